"""The deadline job: a frozen clock walks cases through every step on time and late; run twice it alerts
once; two runs at once on PostgreSQL alert once; a case decided on time never shows as late."""

import threading
from collections import Counter
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from django.test import TestCase

from applications.models import DecisionKind
from applications.services import review
from audit.models import AuditEvent
from deadlines import selectors
from deadlines.calendar import ALMATY
from deadlines.enforcement import enforce_deadlines
from deadlines.models import DeadlineAlert, StepDeadline
from deadlines.steps import RESULT
from deadlines.tasks import enforce
from tests.factories import UserFactory, file_case, simulated_people

pytestmark = pytest.mark.django_db


def at(*args):
    return datetime(*args, tzinfo=ALMATY)


@pytest.fixture
def staff(users):
    """Department staff with e-mail addresses, so alerts are also mailed."""
    for key in ("clerk", "head", "executor", "operator", "admin"):
        users[key].email = f"{key}@akimat.example.kz"
        users[key].save(update_fields=["email"])
    return users


def run_job():
    """One pass of the beat task, with its after-commit work (alert e-mails through the outbox) delivered."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return enforce.delay().get()


def alerts():
    return Counter((a.application.number, a.step, a.kind, a.user.username)
                   for a in DeadlineAlert.objects.select_related("user", "application"))


def staff_mail():
    """E-mails to department staff (the applicant's own notifications go to applicant@example.kz)."""
    return [m for m in mail.outbox if m.to[0].endswith("@akimat.example.kz")]


def breaches(case):
    return sorted(StepDeadline.objects.filter(application=case, breached_at__isnull=False).values_list("step", flat=True))


def decide(case, users, clock, *, sign_at, draft_at):
    clock.set(*draft_at)
    check = review.run_eligibility(case, users["executor"])
    review.draft_decision(case, users["executor"], kind=DecisionKind.REGISTRATION,
                          override_reason="" if check.eligible else "documents prove the registry is outdated")
    clock.set(*sign_at)
    review.sign_decision(case, users["head"])


# ---------------------------------------------------------------- national-2025, a portal-like flow


def test_national_case_on_time_at_every_step_is_never_late(staff, department, clock):
    users = staff
    case = file_case(department, users["operator"], person=simulated_people()[0])  # Monday 10:00
    run_job()
    clock.set(2026, 11, 23, 11, 0)
    review.register_case(case, users["clerk"])
    run_job()
    clock.set(2026, 11, 23, 12, 0)
    review.assign_executor(case, users["head"], users["executor"])
    clock.set(2026, 11, 24, 15, 0)  # review due Tuesday 18:30: 3.5 working hours left, not yet due soon
    run_job()
    decide(case, users, clock, draft_at=(2026, 11, 24, 16, 0), sign_at=(2026, 11, 25, 10, 0))
    run_job()
    clock.set(2026, 11, 25, 15, 0)
    review.dispatch_decision(case, users["clerk"])
    for day in (25, 26, 27, 30):
        clock.set(2026, 11, day, 19, 0)
        run_job()
    assert breaches(case) == []
    assert not DeadlineAlert.objects.exists()
    assert not staff_mail()
    rows = {d.step: d for d in StepDeadline.objects.filter(application=case)}
    assert set(rows) == {"registration", "review", "signature", "dispatch", RESULT}
    assert all(d.ended_at is not None and d.ended_at <= d.due_at for d in rows.values())
    dashboard = selectors.dashboard(users["head"])
    assert dashboard.overdue == [] and dashboard.due_soon == []
    assert [(m.month, on_time, total) for m, on_time, total in dashboard.on_time_by_month if total] == [(11, 1, 1)]


def test_national_case_late_in_review_warns_then_escalates_once(staff, department, clock):
    users = staff
    case = file_case(department, users["operator"], person=simulated_people()[0])
    clock.set(2026, 11, 23, 11, 0)
    review.register_case(case, users["clerk"])
    clock.set(2026, 11, 23, 12, 0)
    review.assign_executor(case, users["head"], users["executor"])

    clock.set(2026, 11, 24, 17, 0)  # 1.5 working hours before the review is due
    first = run_job()
    assert first["due_soon"] == 1
    assert alerts() == Counter({(case.number, "review", "due_soon", "executor"): 1})
    assert [m.to for m in staff_mail()] == [["executor@akimat.example.kz"]]
    assert run_job()["alerts"] == 0 and len(staff_mail()) == 1  # the beat job twice: the reminder once

    clock.set(2026, 11, 25, 9, 0)  # the review is overdue: the executor and the head hear of it
    report = run_job()
    assert (report["overdue"], report["breaches"]) == (1, 1)
    assert alerts() == Counter({
        (case.number, "review", "due_soon", "executor"): 1,
        (case.number, "review", "overdue", "executor"): 1,
        (case.number, "review", "overdue", "head"): 1,
    })
    assert sorted(m.to[0] for m in staff_mail()[1:]) == ["executor@akimat.example.kz", "head@akimat.example.kz"]
    assert case.number in staff_mail()[-1].subject
    clock.advance(minutes=5)
    again = run_job()
    assert (again["alerts"], again["breaches"], again["overdue"], again["due_soon"], again["recorded"]) == (0, 0, 0, 0, 0)
    assert len(staff_mail()) == 3 and DeadlineAlert.objects.count() == 3
    assert AuditEvent.objects.filter(action="deadline.breached").count() == 1
    assert [i.number for i in selectors.dashboard(users["head"]).overdue] == [case.number]

    # finished late: signature and dispatch are on time, the whole service is not
    decide(case, users, clock, draft_at=(2026, 11, 25, 10, 0), sign_at=(2026, 11, 26, 10, 0))
    clock.set(2026, 11, 27, 9, 0)
    run_job()
    assert breaches(case) == ["result", "review"]
    assert (case.number, RESULT, "overdue", "head") in alerts()
    assert (case.number, RESULT, "overdue", "clerk") in alerts()  # whose move it is now: dispatch
    clock.set(2026, 11, 27, 10, 0)
    review.dispatch_decision(case, users["clerk"])
    clock.set(2026, 11, 27, 19, 0)
    run_job()
    assert breaches(case) == ["result", "review"]
    dashboard = selectors.dashboard(users["head"])
    assert dashboard.overdue == []
    assert [(on_time, total) for _m, on_time, total in dashboard.on_time_by_month if total] == [(0, 1)]
    assert [(name, on_time, total) for name, on_time, total in dashboard.on_time_by_executor] == [
        (users["executor"].display_name, 0, 1)]


# ---------------------------------------------------------------- regional-30d, a ЦОН case through all its steps


def _regional(department):
    department.provider.regulation_profile = "regional-30d"
    department.provider.save(update_fields=["regulation_profile"])


def _walk_regional(users, department, clock, *, handout_at):
    _regional(department)
    case = file_case(department, users["operator"], person=simulated_people()[0])  # ЦОН, Monday 10:00
    assert case.profile_version.code == "regional-30d"
    clock.set(2026, 11, 23, 10, 20)  # intake 15 + registration 15 minutes: due 10:30
    run_job()
    review.register_case(case, users["clerk"])
    clock.set(2026, 11, 24, 10, 0)  # assignment: 1 calendar day
    run_job()
    review.assign_executor(case, users["head"], users["executor"])
    decide(case, users, clock, draft_at=(2026, 12, 1, 10, 0), sign_at=(2026, 12, 2, 10, 0))  # review: 25 days
    run_job()
    clock.set(2026, 12, 3, 10, 0)
    review.dispatch_decision(case, users["clerk"])
    run_job()
    clock.set(*handout_at)
    run_job()
    review.hand_out(case, users["operator"])
    clock.advance(hours=1)
    run_job()
    return case


def test_regional_service_centre_case_through_every_step_on_time(staff, department, clock):
    case = _walk_regional(staff, department, clock, handout_at=(2026, 12, 4, 10, 0))
    rows = {d.step: d for d in StepDeadline.objects.filter(application=case)}
    assert set(rows) == {"registration", "assignment", "review", "signature", "dispatch", "handout", RESULT}
    assert rows["registration"].due_at == at(2026, 11, 23, 10, 30)
    assert rows["handout"].due_at == at(2026, 12, 4, 23, 59, 59)
    assert rows[RESULT].due_at == at(2026, 12, 23, 23, 59, 59)
    assert breaches(case) == [] and not DeadlineAlert.objects.exists()


def test_regional_service_centre_case_late_at_hand_out(staff, department, clock):
    case = _walk_regional(staff, department, clock, handout_at=(2026, 12, 7, 10, 0))
    assert breaches(case) == ["handout"]
    assert alerts() == Counter({
        (case.number, "handout", "overdue", "operator"): 1,  # the branch's operators
        (case.number, "handout", "overdue", "head"): 1,
    })
    assert not StepDeadline.objects.filter(application=case, step=RESULT, breached_at__isnull=False).exists()


def test_a_step_finished_late_between_runs_is_recorded_without_alerts(staff, department, clock):
    case = file_case(department, staff["operator"], person=simulated_people()[0])
    clock.set(2026, 11, 24, 10, 0)  # registration was due Monday 18:30
    review.register_case(case, staff["clerk"])
    run_job()
    assert breaches(case) == ["registration"]
    assert not DeadlineAlert.objects.exists()


def test_a_case_a_member_of_staff_holds_is_left_for_the_next_run(staff, department, clock):
    case = file_case(department, staff["operator"], person=simulated_people()[0])
    clock.set(2026, 11, 24, 10, 0)
    report = enforce_deadlines(chunk=1)
    assert report.cases == 1 and report.skipped_locked == 0


def test_management_command(staff, department, clock):
    file_case(department, staff["operator"], person=simulated_people()[0])
    clock.set(2026, 11, 23, 17, 0)
    out = StringIO()
    call_command("enforce_deadlines", stdout=out)
    assert "cases=1" in out.getvalue() and "due_soon=1" in out.getvalue()
    out = StringIO()
    call_command("enforce_deadlines", stdout=out)
    assert "due_soon=0" in out.getvalue() and "alerts=0" in out.getvalue()


def test_inactive_or_missing_executor_escalates_to_the_head(staff, department, clock):
    users = staff
    case = file_case(department, users["operator"], person=simulated_people()[0])
    clock.set(2026, 11, 23, 11, 0)
    review.register_case(case, users["clerk"])
    clock.set(2026, 11, 24, 17, 0)  # registered, never assigned: national-2025 review runs from registration
    run_job()
    assert alerts() == Counter({(case.number, "review", "due_soon", "head"): 1})
    second_head = UserFactory(username="deputy", role="head", provider=department.provider)
    clock.set(2026, 11, 25, 9, 0)
    run_job()
    assert alerts()[(case.number, "review", "overdue", second_head.username)] == 1


def test_beat_schedule_runs_the_job(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["enforce-deadlines"]
    assert entry["task"] == enforce.name == "deadlines.enforce"
    assert entry["schedule"] <= 300


# ---------------------------------------------------------------- PostgreSQL: two runs at once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks; CI runs it with DATABASE_URL")
def test_two_runs_at_once_alert_each_person_once(department, users):
    from deadlines.services import clear_caches

    people = simulated_people()
    cases = []
    for person in people[:6]:
        case = file_case(department, users["operator"], person=person)
        review.register_case(case, users["clerk"])
        cases.append(case)
    later = max(c.result_due_at for c in cases) + timedelta(days=1)
    barrier = threading.Barrier(3)
    results = []

    def run():
        try:
            clear_caches()
            barrier.wait(timeout=10)
            results.append(enforce_deadlines(now=later, chunk=2))
        except Exception as exc:  # collected for the assertion
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(not isinstance(r, Exception) for r in results), results
    enforce_deadlines(now=later)  # whatever a run skipped as locked, a later run finishes
    keys = list(DeadlineAlert.objects.values_list("deadline_id", "kind", "user_id"))
    assert keys and len(keys) == len(set(keys))
    assert StepDeadline.objects.filter(breached_at__isnull=False).count() == 2 * len(cases)  # review and result
    assert sum(r.breaches for r in results) + enforce_deadlines(now=later).breaches == 2 * len(cases)
    assert AuditEvent.objects.filter(action="deadline.breached").count() == 2 * len(cases)
