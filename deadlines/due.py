"""Due dates of a case's steps and of the whole service (CONTRACT.md "Counting rules").

All values are aware datetimes in the calendar's zone (Asia/Almaty).

- Acceptance: under a profile with ``after_hours_next_working_day`` an
  application received outside working hours (before opening, after closing,
  on a day off) is accepted at the opening of the next working day; lunch is
  inside working hours. Otherwise acceptance is the moment of receipt.
- ``N working days`` end at closing time (18:30) of the N-th working day after
  the start's day (0 = the start's day itself).
- ``N calendar days`` end at 23:59:59 of the N-th calendar day after the
  start's day: "ends on that day", so the whole day is usable.
- ``N minutes`` count from the start moment on the wall clock.
- Steps are consecutive: each counts from the previous step's due date, the
  first from acceptance; the total counts from acceptance.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta

from .calendar import WorkingCalendar, default_calendar
from .profiles import Limit, Profile, Unit

END_OF_DAY = time(23, 59, 59)


@dataclasses.dataclass(frozen=True)
class DueDates:
    accepted_at: datetime
    steps: dict[str, datetime]
    result_due: datetime

    def as_json(self) -> dict:
        """The CONTRACT.md ``due_dates`` shape: ISO 8601 local times with offset, to the second."""

        def iso(moment: datetime) -> str:
            return moment.isoformat(timespec="seconds")

        return {
            "accepted_at": iso(self.accepted_at),
            "steps": {code: iso(due) for code, due in self.steps.items()},
            "result_due": iso(self.result_due),
        }


def deadline_after(start: datetime, limit: Limit, calendar: WorkingCalendar | None = None) -> datetime:
    """When ``limit`` counted from ``start`` runs out (the unit rules in the module docstring)."""
    calendar = calendar or default_calendar()
    start = calendar.localize(start)
    if limit.unit is Unit.MINUTES:
        return start + timedelta(minutes=limit.amount)
    if limit.unit is Unit.CALENDAR_DAYS:
        return calendar.at(start.date() + timedelta(days=limit.amount), END_OF_DAY)
    return calendar.at(calendar.add_working_days(start.date(), limit.amount), calendar.hours.end)


def add_working_days(moment: datetime, n: int, calendar: WorkingCalendar | None = None) -> datetime:
    """Closing time of the n-th working day after ``moment``'s day (before it for negative n)."""
    calendar = calendar or default_calendar()
    day = calendar.localize(moment).date()
    return calendar.at(calendar.add_working_days(day, n), calendar.hours.end)


def compute_due_dates(
    received_at: datetime,
    profile: Profile,
    emergency: bool = False,
    calendar: WorkingCalendar | None = None,
) -> DueDates:
    """Acceptance, each step's due date and the service's due date for an application.

    ``received_at`` may be naive (Almaty local time) or aware in any zone.
    The profile's working hours override the calendar's; the calendar
    supplies the days off (pass one carrying the decreed transfers).
    """
    calendar = (calendar or default_calendar()).with_hours(profile.working_hours)
    received = calendar.localize(received_at)
    accepted = calendar.next_opening(received) if profile.after_hours_next_working_day else received
    steps = {}
    cursor = accepted
    for code, limit in profile.steps_for(emergency):
        cursor = steps[code] = deadline_after(cursor, limit, calendar)
    result_due = deadline_after(accepted, profile.total_for(emergency), calendar)
    return DueDates(accepted_at=accepted, steps=steps, result_due=result_due)


@dataclasses.dataclass(frozen=True)
class TimeLeft:
    """Time left until a due date as people count it (negative ``remaining`` once overdue).

    For working-day profiles ``remaining`` is office time (lunch excluded) and
    ``days`` are working days of that length (8 h by default); otherwise it is
    wall-clock time and ``days`` are 24 h.
    """

    remaining: timedelta
    overdue: bool
    working: bool
    days: int
    hours: int
    minutes: int


def working_time_left(
    now: datetime,
    due: datetime,
    profile: Profile,
    calendar: WorkingCalendar | None = None,
) -> TimeLeft:
    """What the inbox shows as "time left"; days/hours/minutes are of the absolute value."""
    calendar = (calendar or default_calendar()).with_hours(profile.working_hours)
    now, due = calendar.localize(now), calendar.localize(due)
    working = profile.counts_working_days
    if working:
        remaining = calendar.working_time_between(now, due)
        day_length = calendar.hours.day_length
    else:
        remaining = due - now
        day_length = timedelta(days=1)
    days, rest = divmod(abs(remaining), day_length)
    total_minutes = int(rest.total_seconds()) // 60
    return TimeLeft(remaining, now > due, working, days, total_minutes // 60, total_minutes % 60)
