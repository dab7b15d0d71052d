"""The deadline job: record every step instance, warn before the limit, escalate when it is missed.

Run by Celery beat every 5 minutes (``deadlines.enforce``) and by ``manage.py enforce_deadlines``.

Idempotent and safe to run twice or concurrently:
- cases are taken in chunks under ``SELECT … FOR UPDATE SKIP LOCKED``, so two runs never work on the
  same case at once, and a case a member of staff is moving right now (the services lock its row) is
  left for the next run — whose snapshot then includes that move, so a step done on time is never
  marked late;
- each step instance is one ``StepDeadline`` row (unique per case, step and start); its
  ``due_soon_at`` / ``breached_at`` are set once;
- each alert is one ``DeadlineAlert`` row (unique per step instance, kind and person) and its e-mail
  one outbox message (deduplicated by the alert id).

Who hears what: "due soon" goes to whoever must act now (deadlines.steps); "overdue" goes to them and
to the heads of the department. A breach is recorded when the job first finds a step late — open and
past its due moment, or already finished late — in ``StepDeadline.breached_at`` and the audit log.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from datetime import datetime, timedelta
from types import SimpleNamespace

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import enqueue, record_event

from .models import AlertKind, DeadlineAlert, StepDeadline
from .services import calendar_for, profile_for_case
from .steps import CLERK, DUE_SOON, EXECUTOR, HEAD, OPERATOR, OVERDUE, RESULT, current_step, status, step_instances

log = logging.getLogger(__name__)

CHUNK = 200
RECENT = timedelta(days=1)  # cases with timeline entries this recent are re-read, to record steps that closed between runs


@dataclasses.dataclass
class EnforcementReport:
    cases: int = 0
    skipped_locked: int = 0
    recorded: int = 0
    due_soon: int = 0
    overdue: int = 0
    breaches: int = 0
    alerts: int = 0

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def __str__(self):
        return " ".join(f"{key}={value}" for key, value in self.as_dict().items())


def candidate_ids(now: datetime) -> list[int]:
    """Cases that may have an open step, or whose steps may have changed since the last run."""
    from applications.models import PENDING_STATES, Application, CaseEvent, Channel, Decision

    ids = set(Application.objects.filter(state__in=PENDING_STATES).values_list("pk", flat=True))
    ids |= set(
        Decision.objects.filter(signed_at__isnull=False, dispatched_at__isnull=True).values_list("application_id", flat=True)
    )
    ids |= set(
        Decision.objects.filter(
            dispatched_at__isnull=False, handed_out_at__isnull=True, application__channel=Channel.SERVICE_CENTRE
        ).values_list("application_id", flat=True)
    )
    ids |= set(StepDeadline.objects.filter(ended_at__isnull=True).values_list("application_id", flat=True))
    ids |= set(CaseEvent.objects.filter(at__gte=now - RECENT).values_list("application_id", flat=True))
    return sorted(ids)


def enforce_deadlines(now: datetime | None = None, chunk: int = CHUNK) -> EnforcementReport:
    """One pass over every case with an open or recently changed step."""
    report = EnforcementReport()
    ids = candidate_ids(now or timezone.now())
    for start in range(0, len(ids), chunk):
        _process_chunk(ids[start:start + chunk], now, report)
    log.info("deadlines enforced: %s", report)
    return report


class _Staff:
    """Active clerks and heads per provider, operators per branch: loaded once per chunk."""

    def __init__(self, cases):
        from accounts.models import Role, User

        providers = {c.provider_id for c in cases}
        centres = {c.service_centre_id for c in cases if c.service_centre_id}
        self.by_provider = defaultdict(list)
        self.by_centre = defaultdict(list)
        users = User.objects.filter(is_active=True).filter(
            Q(role__in=[Role.CLERK, Role.HEAD], provider_id__in=providers)
            | Q(role=Role.OPERATOR, service_centre_id__in=centres)
        ).order_by("pk")
        for user in users:
            if user.role == Role.OPERATOR:
                self.by_centre[user.service_centre_id].append(user)
            else:
                self.by_provider[(user.provider_id, user.role)].append(user)

    def heads(self, case):
        return self.by_provider[(case.provider_id, HEAD)]

    def responsible(self, case, role: str):
        if role == CLERK:
            return self.by_provider[(case.provider_id, CLERK)]
        if role == EXECUTOR:
            executor = case.assigned_executor
            return [executor] if executor is not None and executor.is_active else self.heads(case)
        if role == OPERATOR:
            return self.by_centre[case.service_centre_id] if case.service_centre_id else []
        return self.heads(case)


def _process_chunk(ids, now, report: EnforcementReport) -> None:
    from applications.models import Application, CaseEvent

    with transaction.atomic():
        cases = list(
            Application.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=ids)
            .select_related("provider", "service_centre", "assigned_executor")
            .order_by("pk")
        )
        report.skipped_locked += len(ids) - len(cases)
        if not cases:
            return
        moment = now or timezone.now()  # taken under the locks: every move made so far is in the snapshot
        events = defaultdict(list)
        for row in (
            CaseEvent.objects.filter(application_id__in=[c.pk for c in cases])
            .order_by("application_id", "at", "id")
            .values("application_id", "at", "action", "from_state", "to_state")
        ):
            events[row["application_id"]].append(SimpleNamespace(**row))
        existing = {
            (d.application_id, d.step, d.started_at): d
            for d in StepDeadline.objects.filter(application_id__in=[c.pk for c in cases])
        }
        staff = _Staff(cases)
        for case in cases:
            _enforce_case(case, events[case.pk], existing, staff, moment, report)
            report.cases += 1


def _enforce_case(case, events, existing, staff: _Staff, now, report: EnforcementReport) -> None:
    profile = profile_for_case(case)
    calendar = calendar_for()
    instances = step_instances(case, events, profile, calendar, now)
    open_step = current_step(instances)
    for instance in instances:
        row = existing.get((case.pk, instance.step, instance.started_at))
        if row is None:
            row = _record(case, instance, report)
        changed = []
        if row.due_at != instance.due_at:
            row.due_at = instance.due_at
            changed.append("due_at")
        if row.ended_at != instance.ended_at:
            row.ended_at = instance.ended_at
            changed.append("ended_at")
        state = status(instance, now, profile, calendar)
        if row.breached_at is None and (state == OVERDUE or instance.late):
            row.breached_at = now
            changed.append("breached_at")
            report.breaches += 1
            record_event(
                actor=None, action="deadline.breached", obj=case,
                data={"step": instance.step, "started_at": instance.started_at.isoformat(),
                      "due_at": instance.due_at.isoformat(),
                      "ended_at": instance.ended_at.isoformat() if instance.ended_at else None},
            )
            if state == OVERDUE:  # still open: escalate; a step already finished late is only recorded
                report.overdue += 1
                recipients = _recipients(case, instance, open_step, staff) + staff.heads(case)
                _alert(row, case, instance, AlertKind.OVERDUE, recipients, report)
        elif state == DUE_SOON and row.due_soon_at is None and row.breached_at is None:
            row.due_soon_at = now
            changed.append("due_soon_at")
            report.due_soon += 1
            _alert(row, case, instance, AlertKind.DUE_SOON, _recipients(case, instance, open_step, staff), report)
        if changed:
            row.save(update_fields=[*changed, "updated_at"])


def _recipients(case, instance, open_step, staff: _Staff) -> list:
    if instance.step == RESULT:
        mover = staff.responsible(case, open_step.responsible) if open_step is not None else []
        return staff.heads(case) + mover
    return staff.responsible(case, instance.responsible)


def _record(case, instance, report: EnforcementReport) -> StepDeadline:
    try:
        with transaction.atomic():
            row = StepDeadline.objects.create(
                application=case, step=instance.step, started_at=instance.started_at,
                due_at=instance.due_at, ended_at=instance.ended_at,
            )
    except IntegrityError:  # another run recorded it a moment ago
        return StepDeadline.objects.get(application=case, step=instance.step, started_at=instance.started_at)
    report.recorded += 1
    return row


def _alert(row: StepDeadline, case, instance, kind: str, recipients, report: EnforcementReport) -> None:
    seen = set()
    for user in recipients:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        try:
            with transaction.atomic():
                alert = DeadlineAlert.objects.create(
                    user=user, application=case, deadline=row, step=instance.step, kind=kind, due_at=instance.due_at
                )
        except IntegrityError:
            continue  # this person already has this alert
        report.alerts += 1
        if user.email:
            enqueue("deadlines.alert_email", {"alert_id": alert.pk}, dedupe_key=f"deadline-alert:{alert.pk}")
