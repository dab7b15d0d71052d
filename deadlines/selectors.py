"""Reads for the deadline dashboards, in a fixed number of queries however many cases there are.

The open and recent cases of the viewer's department are loaded with their timelines (two queries)
and replayed into step instances (deadlines.steps) with each case's profile version and the calendar —
the same computation the enforcement job uses, so the dashboard and the alerts never disagree. Queue
sizes over time are counted in the database (two grouped queries).
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime
from types import SimpleNamespace

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.access import visible_applications

from .due import TimeLeft, working_time_left
from .labels import RESPONSIBLE_LABELS, step_label
from .profiles import STEP_CODES
from .services import calendar_for, profile_for_case
from .steps import DUE_SOON, EXECUTOR, OVERDUE, RESULT, TRACKED_STEPS, StepInstance, status, step_instances

MONTHS = 12


def describe_left(left: TimeLeft) -> str:
    """“2 working days”, “3 h 10 min of working time”, “5 days”… of the absolute value."""
    if left.working:
        if left.days:
            return ngettext("%(n)d working day", "%(n)d working days", left.days) % {"n": left.days}
        return _("%(h)d h %(m)d min of working time") % {"h": left.hours, "m": left.minutes}
    if left.days:
        return ngettext("%(n)d day", "%(n)d days", left.days) % {"n": left.days}
    return _("%(h)d h %(m)d min") % {"h": left.hours, "m": left.minutes}


@dataclasses.dataclass
class OpenItem:
    case_id: int
    number: str
    step: str
    responsible: str
    started_at: datetime
    due_at: datetime
    status: str
    left: str

    @property
    def step_label(self) -> str:
        return step_label(self.step)


@dataclasses.dataclass
class Dashboard:
    now: datetime
    months: list[date]
    by_step: list[tuple[str, int]]
    by_person: list[tuple[str, int]]
    overdue: list[OpenItem]
    due_soon: list[OpenItem]
    on_time_by_month: list[tuple[date, int, int]]
    on_time_by_executor: list[tuple[str, int, int]]
    median_by_step: list[tuple[str, float, int]]
    queue_sizes: list[tuple[str, list[int]]]
    month_ends: list[datetime]


def month_starts(now: datetime, count: int = MONTHS) -> list[date]:
    """The first days of the last ``count`` months, the current one last (local time)."""
    local = timezone.localtime(now).date().replace(day=1)
    starts = []
    year, month = local.year, local.month
    for _index in range(count):
        starts.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(starts))


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _cases_in_view(user, window_start: datetime):
    """Open cases, and cases with anything on their timeline since the window opened."""
    from applications.models import PENDING_STATES, CaseEvent, Channel, Decision

    scope = visible_applications(user)
    return scope.filter(
        Q(state__in=PENDING_STATES)
        | Q(pk__in=CaseEvent.objects.filter(at__gte=window_start).values("application_id"))
        | Q(pk__in=Decision.objects.filter(signed_at__isnull=False, dispatched_at__isnull=True).values("application_id"))
        | Q(pk__in=Decision.objects.filter(dispatched_at__isnull=False, handed_out_at__isnull=True,
                                           application__channel=Channel.SERVICE_CENTRE).values("application_id"))
    )


def dashboard(user, now: datetime | None = None, months: int = MONTHS) -> Dashboard:
    from accounts.models import User
    from applications.models import CaseEvent

    now = now or timezone.now()
    starts = month_starts(now, months)
    window_start = _aware(starts[0])
    in_view = _cases_in_view(user, window_start)
    cases = [
        SimpleNamespace(**row)
        for row in in_view.values(
            "pk", "number", "state", "channel", "accepted_at", "result_due_at", "emergency_dwelling",
            "regulation_profile", "profile_version_id", "assigned_executor_id",
        )
    ]
    events = defaultdict(list)
    for row in (
        CaseEvent.objects.filter(application__in=in_view.values("pk"))
        .order_by("application_id", "at", "id")
        .values("application_id", "at", "action", "from_state", "to_state")
    ):
        events[row["application_id"]].append(SimpleNamespace(**row))
    executor_ids = {c.assigned_executor_id for c in cases if c.assigned_executor_id}
    executors = {u.pk: u.display_name for u in User.objects.filter(pk__in=executor_ids)} if executor_ids else {}

    calendar = calendar_for()
    by_step, by_person = Counter(), Counter()
    overdue, due_soon = [], []
    month_index = {(d.year, d.month): i for i, d in enumerate(starts)}
    on_time_month = [[0, 0] for _ in starts]
    on_time_executor = defaultdict(lambda: [0, 0])
    durations = defaultdict(list)

    for case in cases:
        profile = profile_for_case(case)
        instances = step_instances(case, events[case.pk], profile, calendar, now)
        open_step = next((i for i in instances if i.is_open and i.step != RESULT), None)

        def responsible_label(instance: StepInstance) -> str:
            role = instance.responsible
            if instance.step == RESULT and open_step is not None:
                role = open_step.responsible
            if role == EXECUTOR and case.assigned_executor_id:
                return executors.get(case.assigned_executor_id, str(RESPONSIBLE_LABELS[EXECUTOR]))
            if role == EXECUTOR:
                return str(RESPONSIBLE_LABELS["head"])
            return str(RESPONSIBLE_LABELS.get(role, role))

        for instance in instances:
            if instance.is_open:
                if instance.step != RESULT:
                    by_step[instance.step] += 1
                    by_person[responsible_label(instance)] += 1
                state = status(instance, now, profile, calendar)
                if state in (OVERDUE, DUE_SOON):
                    left = working_time_left(now, instance.due_at, profile, calendar)
                    item = OpenItem(case.pk, case.number, instance.step, responsible_label(instance),
                                    instance.started_at, instance.due_at, state, describe_left(left))
                    (overdue if state == OVERDUE else due_soon).append(item)
                continue
            if not instance.completed or instance.ended_at < window_start:
                continue
            durations[instance.step].append(instance.duration().total_seconds() / 3600)
            if instance.step == RESULT:
                local = timezone.localtime(instance.ended_at)
                index = month_index.get((local.year, local.month))
                if index is not None:
                    on_time_month[index][0] += instance.on_time
                    on_time_month[index][1] += 1
            elif instance.step == "review" and case.assigned_executor_id:
                name = executors.get(case.assigned_executor_id, "—")
                on_time_executor[name][0] += instance.on_time
                on_time_executor[name][1] += 1

    overdue.sort(key=lambda i: (i.due_at, i.number))
    due_soon.sort(key=lambda i: (i.due_at, i.number))
    month_ends = [min(_aware(_next_month(d)), now) for d in starts]
    return Dashboard(
        now=now,
        months=starts,
        by_step=[(step, by_step[step]) for step in STEP_CODES if by_step[step]],
        by_person=sorted(by_person.items(), key=lambda kv: (-kv[1], kv[0])),
        overdue=overdue,
        due_soon=due_soon,
        on_time_by_month=[(starts[i], on_time, total) for i, (on_time, total) in enumerate(on_time_month)],
        on_time_by_executor=sorted(((name, a, b) for name, (a, b) in on_time_executor.items()), key=lambda r: r[0]),
        median_by_step=[
            (step, statistics.median(durations[step]), len(durations[step])) for step in TRACKED_STEPS if durations[step]
        ],
        queue_sizes=queue_sizes(user, month_ends),
        month_ends=month_ends,
    )


def queue_sizes(user, month_ends: list[datetime]) -> list[tuple[str, list[int]]]:
    """Active (pending or queued) cases per queue list at each month end: accepted by then minus closed by then."""
    from applications.models import CLOSED_STATES, CaseEvent
    from queues.models import QueueList

    scope = visible_applications(user).filter(queue_list__isnull=False)
    closed = [s.value for s in CLOSED_STATES]
    accepted = {
        row["queue_list"]: row
        for row in scope.values("queue_list").annotate(
            **{f"m{i}": Count("pk", filter=Q(accepted_at__lt=end)) for i, end in enumerate(month_ends)}
        ).order_by()
    }
    left = {
        row["application__queue_list"]: row
        for row in CaseEvent.objects.filter(application__in=scope.values("pk"), to_state__in=closed)
        .exclude(from_state__in=closed)
        .values("application__queue_list")
        .annotate(**{f"m{i}": Count("application", distinct=True, filter=Q(at__lt=end)) for i, end in enumerate(month_ends)})
        .order_by()
    }
    # a closed state is final, so active at a moment = accepted before it and not closed before it
    lists = QueueList.objects.filter(pk__in=list(accepted)).order_by("ordering", "code") if accepted else []
    series = []
    for queue_list in lists:
        counts = [
            accepted[queue_list.pk][f"m{i}"] - (left.get(queue_list.pk) or {}).get(f"m{i}", 0)
            for i in range(len(month_ends))
        ]
        if any(counts):
            series.append((str(queue_list), counts))
    return series


def month_label(day: date) -> str:
    return f"{day.month:02d}.{day.year}"

