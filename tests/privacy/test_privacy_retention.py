"""Retention: refused, withdrawn and returned cases lose their personal data after their period; nothing else does.

The case skeleton (number, dates, state, grounds), the timeline and the append-only audit and queue logs stay.
"""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from applications.models import (
    Application,
    Attachment,
    CaseEvent,
    CaseState,
    Complaint,
    ComplaintState,
    Decision,
    DecisionKind,
    FamilyMember,
    Person,
)
from applications.services.intake import FamilyMemberData
from applications.services.review import withdraw
from audit.models import AuditEvent
from privacy.models import ErasedCase, RetentionRun
from privacy.services import retention
from queues.models import QueueEvent
from queues.services import entries
from tests.factories import file_case
from tests.web.web_support import adults, attach_scan, synthetic_person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eds_not_required")]

DAY = timedelta(days=1)


def _family(n):
    record = synthetic_person(n)
    return [FamilyMemberData(iin=record.iin, relation="child", full_name=f"{record.surname} {record.given_name}",
                             birth_date=record.birth_date, id_document_number="N0001")]


def _case(department, users, person, n, **kwargs):
    case = file_case(department, users["operator"], person=person, family=_family(n), **kwargs)
    attach_scan(case, users["operator"])
    return case


def _refuse(case, head):
    """The last step of a refusal as the head's signature leaves it: state, place closed, timeline, grounds."""
    Application.objects.filter(pk=case.pk).update(state=CaseState.REFUSED)
    case.refresh_from_db()
    entries.on_case_transition(case, "sign_refusal")
    CaseEvent.objects.create(application=case, actor=head, action="sign_refusal", from_state="awaiting_signature",
                             to_state="refused")
    Decision.objects.create(application=case, kind=DecisionKind.REFUSAL, grounds=["OWNS_DWELLING"],
                            reasoning="Owns a dwelling in the settlement.", drafted_by=head, signed_by=head,
                            signed_at=timezone.now())
    return case


@pytest.fixture
def cases(department, users):
    """refused, withdrawn (both closing now), an active pending case, a queued one and a housed one; each with a
    family member, a scan and contacts; the refused and the active case belong to the same person."""
    people = adults()
    made = {
        "refused": _case(department, users, people[1], 1),
        "withdrawn": _case(department, users, people[2], 2),
        "active": _case(department, users, people[1], 3, provider=department.other_provider),
        "queued": _case(department, users, people[3], 4),
        "housed": _case(department, users, people[4], 5),
    }
    _refuse(made["refused"], users["head"])
    withdraw(made["withdrawn"], users["operator"], reason="We bought a flat at Abai 5, phone +77010000000")
    Application.objects.filter(pk=made["queued"].pk).update(state=CaseState.QUEUED)
    Application.objects.filter(pk=made["housed"].pk).update(state=CaseState.HOUSED)
    return {k: Application.objects.get(pk=v.pk) for k, v in made.items()}


def apply_retention(**kwargs):
    """Run the service and its after-commit work (deleting files) as a real transaction would."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return retention.apply_retention(**kwargs)


def _snapshot(case):
    case = Application.objects.get(pk=case.pk)
    return {
        "number": case.number, "state": case.state, "accepted_at": case.accepted_at, "queue_seq": case.queue_seq,
        "phone": case.contact_phone, "email": case.contact_email, "filed": case.filed_payload,
        "family": list(FamilyMember.objects.filter(application=case).values_list("iin", "full_name")),
        "scans": list(Attachment.objects.filter(application=case).values_list("pk", "file")),
        "timeline": list(CaseEvent.objects.filter(application=case).values_list("action", "to_state", "at")),
    }


def _logs():
    return (list(AuditEvent.objects.order_by("pk").values_list("pk", "action", "object_id", "data")),
            list(QueueEvent.objects.order_by("pk").values_list("pk", "hash")))


def test_erases_only_eligible_cases_and_keeps_the_skeleton_and_the_logs(cases):
    before = {k: _snapshot(c) for k, c in cases.items()}
    refused_scan = before["refused"]["scans"][0][1]
    assert default_storage.exists(refused_scan)
    audit_before, queue_log_before = _logs()

    report = apply_retention(now=timezone.now() + timedelta(days=5 * 365) + DAY)

    assert (report.cases, report.refused, report.withdrawn) == (2, 1, 1)
    assert report.attachments == 2 and report.files == 2 and report.family_members == 2
    for key in ("refused", "withdrawn"):
        after = _snapshot(cases[key])
        # the skeleton stays
        for field in ("number", "state", "accepted_at", "queue_seq"):
            assert after[field] == before[key][field]
        assert [(a, s) for a, s, _at in after["timeline"]] == [(a, s) for a, s, _at in before[key]["timeline"]]
        assert after["filed"]["provider"] == before[key]["filed"]["provider"]
        assert after["filed"]["category"] == before[key]["filed"]["category"] and after["filed"]["personal_data_erased"]
        # the personal data goes
        assert after["phone"] == after["email"] == ""
        assert "applicant" not in after["filed"] and "family" not in after["filed"] and "contacts" not in after["filed"]
        assert after["family"] == [] and after["scans"] == []
        marker = ErasedCase.objects.get(application=cases[key])
        assert marker.state == before[key]["state"] and marker.summary["family_members"] == 1
        assert marker.summary["document_types"] == ["identity_document"]
    assert not default_storage.exists(refused_scan)
    assert Decision.objects.get(application=cases["refused"]).grounds == ["OWNS_DWELLING"]
    withdrawal = CaseEvent.objects.get(application=cases["withdrawn"], action="withdraw")
    assert withdrawal.comment == ""  # the applicant's own words
    # everything else untouched
    for key in ("active", "queued", "housed"):
        assert _snapshot(cases[key]) == before[key]
        assert default_storage.exists(before[key]["scans"][0][1])
    # the logs only grew: one audit event per erased case, no queue event changed
    audit_after, queue_log_after = _logs()
    assert audit_after[:len(audit_before)] == audit_before
    assert [a for _pk, a, *_ in audit_after[len(audit_before):]] == ["privacy.personal_data_erased"] * 2
    assert queue_log_after == queue_log_before
    run = RetentionRun.objects.get()
    assert run.finished_at and run.cases == 2 and run.refused_days == 5 * 365 and run.withdrawn_days == 3 * 365
    assert run.returned_days == 3 * 365


def test_the_person_record_is_blanked_only_without_another_live_case(cases):
    apply_retention(now=timezone.now() + timedelta(days=5 * 365) + DAY)
    withdrawn_person = Person.objects.get(pk=cases["withdrawn"].applicant_id)
    assert withdrawn_person.address == withdrawn_person.phone == withdrawn_person.id_document_number == ""
    assert withdrawn_person.iin and withdrawn_person.surname  # whose case it was stays
    refused_person = Person.objects.get(pk=cases["refused"].applicant_id)  # still has the active case
    assert refused_person.address and refused_person.id_document_number


def test_it_is_idempotent(cases):
    later = timezone.now() + timedelta(days=5 * 365) + DAY
    first = apply_retention(now=later)
    audit_count = AuditEvent.objects.count()
    second = apply_retention(now=later + DAY)
    assert first.cases == 2 and second.cases == 0 and second.files == 0
    assert ErasedCase.objects.count() == 2 and AuditEvent.objects.count() == audit_count
    assert RetentionRun.objects.count() == 2


def test_the_periods_are_respected_and_configurable(cases, settings):
    now = timezone.now()
    # just short of both periods: nothing
    assert apply_retention(now=now + timedelta(days=3 * 365) - DAY).cases == 0
    # past the withdrawal period, inside the refusal one: only the withdrawn case
    report = apply_retention(now=now + timedelta(days=3 * 365) + DAY)
    assert (report.refused, report.withdrawn) == (0, 1)
    assert not ErasedCase.objects.filter(application=cases["refused"]).exists()
    # a department that keeps refusals 30 days
    settings.KEZEK_RETENTION_REFUSED_DAYS = 30
    assert apply_retention(now=now + timedelta(days=29)).cases == 0
    report = apply_retention(now=now + timedelta(days=31))
    assert (report.refused, report.withdrawn) == (1, 0)
    assert RetentionRun.objects.order_by("-pk").first().refused_days == 30


def test_a_case_returned_as_incomplete_is_erased_after_its_own_period(department, users, settings):
    case = _case(department, users, adults()[5], 6)
    Application.objects.filter(pk=case.pk).update(state=CaseState.RETURNED)
    case.refresh_from_db()
    entries.on_case_transition(case, "return_incomplete")  # the place closes as the executor's return leaves it
    CaseEvent.objects.create(application=case, actor=users["executor"], action="return_incomplete",
                             from_state="in_review", to_state="returned", comment="Missing: income certificate.")
    now = timezone.now()
    assert apply_retention(now=now + timedelta(days=3 * 365) - DAY).cases == 0
    report = apply_retention(now=now + timedelta(days=3 * 365) + DAY)
    assert (report.cases, report.refused, report.withdrawn, report.returned) == (1, 0, 0, 1)
    case.refresh_from_db()
    assert case.contact_phone == "" and not Attachment.objects.filter(application=case).exists()
    assert not FamilyMember.objects.filter(application=case).exists()
    # the executor's return, with what was missing, is the department's act: kept
    assert CaseEvent.objects.get(application=case, action="return_incomplete").comment == "Missing: income certificate."
    settings.KEZEK_RETENTION_RETURNED_DAYS = 0
    with pytest.raises(ImproperlyConfigured, match="KEZEK_RETENTION_RETURNED_DAYS"):
        apply_retention(now=now)


def test_a_period_under_a_day_is_refused(cases, settings):
    settings.KEZEK_RETENTION_WITHDRAWN_DAYS = 0
    with pytest.raises(ImproperlyConfigured, match="KEZEK_RETENTION_WITHDRAWN_DAYS"):
        apply_retention(now=timezone.now() + timedelta(days=10_000))
    assert not ErasedCase.objects.exists()


def test_dry_run_changes_nothing(cases):
    before = {k: _snapshot(c) for k, c in cases.items()}
    logs = _logs()
    report = apply_retention(now=timezone.now() + timedelta(days=5 * 365) + DAY, dry_run=True)
    assert report.dry_run and (report.cases, report.refused, report.withdrawn) == (2, 1, 1)
    assert report.attachments == 2 and report.family_members == 2
    assert {k: _snapshot(c) for k, c in cases.items()} == before
    assert _logs() == logs and not ErasedCase.objects.exists() and not RetentionRun.objects.exists()
    assert all(default_storage.exists(s["scans"][0][1]) for s in before.values())


def test_the_command_prints_counts_and_dry_run_is_harmless(cases, settings):
    settings.KEZEK_RETENTION_REFUSED_DAYS = settings.KEZEK_RETENTION_WITHDRAWN_DAYS = 1
    CaseEvent.objects.filter(application__in=[cases["refused"], cases["withdrawn"]]).update(
        at=timezone.now() - timedelta(days=2))
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "would erase cases=2 (refused=1 withdrawn=1 returned=0)" in out.getvalue()
    assert not ErasedCase.objects.exists()
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "erased cases=2 (refused=1 withdrawn=1 returned=0) attachments=2 files=2 family_members=2" in out.getvalue()
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "erased cases=0" in out.getvalue()


def test_a_scan_file_shared_with_a_kept_case_stays(cases):
    kept = Attachment.objects.get(application=cases["queued"])
    Attachment.objects.filter(application=cases["refused"]).update(file=kept.file.name)
    report = apply_retention(now=timezone.now() + timedelta(days=5 * 365) + DAY)
    assert report.attachments == 2 and report.files == 1
    assert default_storage.exists(kept.file.name)


def test_a_case_with_an_open_complaint_waits(cases, users):
    case = cases["refused"]
    now = timezone.now()
    Complaint.objects.create(application=case, number="CMP-TEST-1", subject="decision", text="I disagree.",
                             filed_by=users["operator"], filed_at=now, state=ComplaintState.REGISTERED,
                             answer_due_at=now + 5 * DAY, settle_due_at=now + 3 * DAY)
    report = apply_retention(now=now + timedelta(days=5 * 365) + DAY)
    assert (report.refused, report.withdrawn) == (0, 1)
    assert FamilyMember.objects.filter(application=case).exists()


def test_erased_cases_still_open_for_staff(cases, users, login):
    apply_retention(now=timezone.now() + timedelta(days=5 * 365) + DAY)
    client = login(users["clerk"])
    for key in ("refused", "withdrawn"):
        assert client.get(reverse("applications:staff_case", args=[cases[key].number])).status_code == 200


def test_the_beat_runs_it_daily(settings):
    from housing_queue.celery import app
    from privacy import tasks  # noqa: F401  (registers the task, as autodiscovery does in the worker)

    entry = settings.CELERY_BEAT_SCHEDULE["apply-retention"]
    assert entry["task"] == "privacy.apply_retention" and "privacy.apply_retention" in app.tasks
    assert entry["schedule"].hour == {3} and entry["schedule"].minute == {30}
    assert set(tasks.apply_retention.apply().get()) >= {"cases", "files", "dry_run"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks; CI runs it with DATABASE_URL")
def test_two_runs_at_once_erase_each_case_once(department, users):
    from tests.concurrency import race

    people = adults()
    closed = []
    for n, person in enumerate(people[1:5], start=1):
        case = _case(department, users, person, n)
        withdraw(case, users["operator"], reason="")
        closed.append(case)
    later = timezone.now() + timedelta(days=3 * 365) + DAY
    results = race([lambda: retention.apply_retention(now=later, batch_size=1)] * 2)
    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(r.cases for r in results) + retention.apply_retention(now=later).cases == len(closed)
    assert ErasedCase.objects.count() == len(closed)
    assert AuditEvent.objects.filter(action="privacy.personal_data_erased").count() == len(closed)
    assert not Attachment.objects.filter(application__in=closed).exists()
