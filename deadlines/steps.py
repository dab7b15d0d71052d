"""Which workflow step a case is in, since when, until when, and whose move it is (pure: no models).

A case's timeline (its CaseEvents, oldest first) is replayed into *step instances*: the stretch of
time a case spent in one step, with the due moment the regulation profile gives that step.

State → step (DOMAIN.md §3):

=====================================  ==============  ===========================
case state                             step            whose move
=====================================  ==============  ===========================
accepted                               registration    the department's clerks
registered                             assignment      the head
in_review / awaiting_documents /       review          the assigned executor
hearing                                                (the head while unassigned)
awaiting_signature                     signature       the head
queued / refused, result not sent      dispatch        the clerks
ЦОН case sent, not handed out          handout         the branch's operators
=====================================  ==============  ===========================

- A step the profile leaves out belongs to the next step it has (national-2025 has no separate
  assignment: its review clock starts when the case is registered, and the head must assign within
  it). Consecutive states that map to the same step are one instance.
- The first instance (from acceptance) is due when ``compute_due_dates`` says that step is due, so
  the promised dates and the enforced ones are the same numbers (under regional-30d the ЦОН's
  15 minutes of intake come before the clerk's 15 minutes). A later instance is due ``deadline_after``
  its start by the step's limit (emergency limits for an emergency dwelling).
- The review clock stops while the department waits for the applicant: in ``awaiting_documents``,
  and from a preliminary refusal until the hearing is recorded. The due moment moves by the time
  waited (as the case's ``result_due_at`` does when documents arrive).
- The whole service is the pseudo-step ``result``: from acceptance to the case's ``result_due_at``,
  ended when the result is sent (or the case is returned, withdrawn or closed).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from .calendar import WorkingCalendar
from .due import compute_due_dates, deadline_after
from .profiles import STEP_CODES, Profile

RESULT = "result"
TRACKED_STEPS = (*STEP_CODES, RESULT)

CLERK, HEAD, EXECUTOR, OPERATOR = "clerk", "head", "executor", "operator"

# Case states (applications.models.CaseState values; repeated here to keep this module pure).
ACCEPTED, REGISTERED, IN_REVIEW = "accepted", "registered", "in_review"
AWAITING_DOCUMENTS, HEARING, AWAITING_SIGNATURE = "awaiting_documents", "hearing", "awaiting_signature"
QUEUED, REFUSED = "queued", "refused"
SERVICE_CENTRE = "service_centre"

# Timeline actions that end a case without a result being delivered.
ABANDONING_ACTIONS = frozenset({"withdraw"})

DUE_SOON_SHARE = 0.25
DUE_SOON_CAP = timedelta(hours=2)


@dataclasses.dataclass(frozen=True)
class Phase:
    step: str | None  # nominal step (before the profile's missing steps are folded in)
    responsible: str | None
    paused: bool = False
    delivered: bool = False  # the result has reached the applicant (or the case closed)
    waiting_for: str = ""  # "documents" or "hearing" while paused


@dataclasses.dataclass
class StepInstance:
    step: str
    responsible: str
    started_at: datetime
    base_due: datetime  # the limit counted from the start, before pauses
    ended_at: datetime | None = None
    end_action: str = ""
    paused: timedelta = timedelta()
    paused_now: bool = False
    first: bool = False

    @property
    def due_at(self) -> datetime:
        return self.base_due + self.paused

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def completed(self) -> bool:
        """Ended by the work being done (not by a withdrawal)."""
        return self.ended_at is not None and self.end_action not in ABANDONING_ACTIONS

    @property
    def on_time(self) -> bool:
        return self.completed and self.ended_at <= self.due_at

    @property
    def late(self) -> bool:
        return self.completed and self.ended_at > self.due_at

    def duration(self) -> timedelta | None:
        """Time the step took, pauses excluded."""
        if self.ended_at is None:
            return None
        return self.ended_at - self.started_at - self.paused


def phase_of(state: str, *, channel: str, dispatched: bool, handed_out: bool, hearing_open: bool) -> Phase:
    if state == ACCEPTED:
        return Phase("registration", CLERK)
    if state == REGISTERED:
        return Phase("assignment", HEAD)
    if state == IN_REVIEW:
        return Phase("review", EXECUTOR)
    if state == AWAITING_DOCUMENTS:
        return Phase("review", EXECUTOR, paused=True, waiting_for="documents")
    if state == HEARING:
        return Phase("review", EXECUTOR, paused=hearing_open, waiting_for="hearing" if hearing_open else "")
    if state == AWAITING_SIGNATURE:
        return Phase("signature", HEAD)
    if state in (QUEUED, REFUSED):
        if not dispatched:
            return Phase("dispatch", CLERK)
        if channel == SERVICE_CENTRE and not handed_out:
            return Phase("handout", OPERATOR, delivered=True)
        return Phase(None, None, delivered=True)
    # returned, withdrawn, removed, housed: the case is closed
    return Phase(None, None, delivered=True)


def profile_step(profile: Profile, nominal: str | None) -> str | None:
    """The profile's step a nominal step belongs to: itself, or the next step the profile has."""
    if nominal is None:
        return None
    present = {code for code, _ in profile.steps}
    for code in STEP_CODES[STEP_CODES.index(nominal):]:
        if code in present:
            return code
    return None


def _segments(case, events) -> list[tuple[datetime, datetime | None, Phase, str]]:
    """(start, end, phase, action that ended it) from acceptance to now."""
    state, dispatched, handed_out, hearing_open = ACCEPTED, False, False, False
    channel = case.channel

    def current():
        return phase_of(state, channel=channel, dispatched=dispatched, handed_out=handed_out, hearing_open=hearing_open)

    start, phase = case.accepted_at, current()
    segments = []
    for event in events:
        if event.action == "accept":
            continue
        if event.action == "dispatched":
            dispatched = True
        elif event.action == "handed_out":
            handed_out = True
        elif event.action == "send_preliminary_refusal":
            hearing_open = True
        elif event.action == "hearing_recorded":
            hearing_open = False
        if event.to_state and getattr(event, "from_state", None) != event.to_state:
            state = event.to_state  # a transition; timeline notes (from == to) never change the state
        new = current()
        if new != phase:
            at = max(event.at, start)
            segments.append((start, at, phase, event.action))
            start, phase = at, new
    segments.append((start, None, phase, ""))
    return segments


def step_instances(case, events, profile: Profile, calendar: WorkingCalendar, now: datetime) -> list[StepInstance]:
    """Every step instance of the case, oldest first, plus the ``result`` pseudo-step last.

    ``case`` needs ``accepted_at``, ``result_due_at``, ``channel`` and ``emergency_dwelling``;
    ``events`` are its timeline entries oldest first (``at``, ``action``, ``from_state``, ``to_state``). A case without
    any timeline (bulk-imported) has no instances.
    """
    events = list(events)
    if not events:
        return []
    calendar = calendar.with_hours(profile.working_hours)
    emergency = bool(case.emergency_dwelling)
    limits = dict(profile.steps_for(emergency))
    promised = None
    instances: list[StepInstance] = []
    current: StepInstance | None = None
    segments = _segments(case, events)
    for index, (start, end, phase, end_action) in enumerate(segments):
        step = profile_step(profile, phase.step)
        if current is not None and current.step == step:
            current.responsible = phase.responsible or current.responsible
        else:
            if current is not None:
                instances.append(current)
                current = None
            if step is not None:
                first = index == 0
                if first:
                    promised = promised or compute_due_dates(case.accepted_at, profile, emergency=emergency, calendar=calendar)
                    base_due = promised.steps[step]
                else:
                    base_due = deadline_after(start, limits[step], calendar)
                current = StepInstance(step=step, responsible=phase.responsible, started_at=start, base_due=base_due, first=first)
        if current is not None:
            if phase.paused:
                current.paused += (end or max(now, start)) - start
                current.paused_now = end is None
            else:
                current.paused_now = False
            current.ended_at, current.end_action = end, end_action
    if current is not None:
        instances.append(current)
    result = _result_instance(case, segments)
    if result is not None:
        instances.append(result)
    return instances


def _result_instance(case, segments) -> StepInstance | None:
    if case.result_due_at is None:
        return None
    result = StepInstance(step=RESULT, responsible=HEAD, started_at=case.accepted_at, base_due=case.result_due_at)
    for index, (start, _end, phase, _action) in enumerate(segments):
        if phase.delivered:
            result.ended_at = start
            result.end_action = segments[index - 1][3] if index else ""
            return result
    # result_due_at itself moves when the documents arrive; while they are awaited it is not enforced
    result.paused_now = segments[-1][2].waiting_for == "documents"
    return result


def current_step(instances: list[StepInstance]) -> StepInstance | None:
    """The open workflow step (not the ``result`` pseudo-step), if any."""
    return next((i for i in instances if i.is_open and i.step != RESULT), None)


# ---------------------------------------------------------------- due soon / overdue


def _measure(start: datetime, end: datetime, profile: Profile, calendar: WorkingCalendar) -> timedelta:
    """Time between two moments as the profile counts it: office time for working-day profiles."""
    if profile.counts_working_days:
        return calendar.with_hours(profile.working_hours).working_time_between(start, end)
    return end - start


def due_soon_threshold(instance: StepInstance, profile: Profile, calendar: WorkingCalendar) -> timedelta:
    """25 % of the step's limit or 2 hours, whichever is smaller (in the profile's way of counting)."""
    span = max(_measure(instance.started_at, instance.base_due, profile, calendar), timedelta())
    return min(span * DUE_SOON_SHARE, DUE_SOON_CAP)


OVERDUE, DUE_SOON, ON_TRACK, PAUSED, DONE = "overdue", "due_soon", "on_track", "paused", "done"


def status(instance: StepInstance, now: datetime, profile: Profile, calendar: WorkingCalendar) -> str:
    if not instance.is_open:
        return DONE
    if instance.paused_now:
        return PAUSED
    if now > instance.due_at:
        return OVERDUE
    if _measure(now, instance.due_at, profile, calendar) <= due_soon_threshold(instance, profile, calendar):
        return DUE_SOON
    return ON_TRACK
