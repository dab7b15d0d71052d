"""The Kazakhstan working-day calendar deadlines are counted on.

Days off are Saturdays, Sundays and the public holidays of the `holidays`
package, which already carries the two kinds of moved days the Labour Code
produces: a holiday falling on a weekend gives the next working day off
("observed"), and government decrees move a day off from a weekend to a
weekday (the weekday becomes a holiday, the weekend day a working day).
Decrees the package does not know yet are injected as ``extra_days_off`` /
``extra_working_days`` (an admin-edited table supplies them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

ALMATY = ZoneInfo("Asia/Almaty")
COUNTRY = "KZ"


@dataclasses.dataclass(frozen=True)
class WorkingHours:
    """Office hours of a working day (seed 004 annex 1 p.7: 9:00–18:30, lunch 13:00–14:30)."""

    start: time = time(9, 0)
    end: time = time(18, 30)
    lunch_start: time = time(13, 0)
    lunch_end: time = time(14, 30)

    def __post_init__(self):
        if not self.start <= self.lunch_start <= self.lunch_end <= self.end or self.start == self.end:
            raise ValueError(f"working hours out of order: {self}")

    def is_open(self, moment: time) -> bool:
        """Inside the working day, lunch included: only before start / after end is "after hours".

        The end is inclusive to the second (18:30:00 is inside, 18:30:01 is after hours).
        """
        return self.start <= moment <= self.end

    def intervals(self) -> tuple[tuple[time, time], ...]:
        """The spans actually worked (lunch excluded), for measuring time left."""
        return ((self.start, self.lunch_start), (self.lunch_end, self.end))

    @property
    def day_length(self) -> timedelta:
        return sum((_span(a, b) for a, b in self.intervals()), timedelta())


def _span(a: time, b: time) -> timedelta:
    day = date(2000, 1, 1)
    return datetime.combine(day, b) - datetime.combine(day, a)


@lru_cache(maxsize=None)
def _kz_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(holidays incl. observed and decreed days off, weekend days made working) of one year.

    The next year is populated too because a decree may move a working day
    into the previous year (2014: 3 January off for 28 December 2013).
    """
    kz = holidays.country_holidays(COUNTRY, years=(year, year + 1))
    days_off = frozenset(day for day in kz if day.year == year)
    weekend_workdays = frozenset(day for day in kz.weekend_workdays if day.year == year)
    return days_off, weekend_workdays


class WorkingCalendar:
    """Working days and hours in one time zone; immutable and cheap to share."""

    def __init__(
        self,
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        hours: WorkingHours = WorkingHours(),
        tz: ZoneInfo = ALMATY,
    ):
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_working_days = frozenset(extra_working_days)
        clash = self.extra_days_off & self.extra_working_days
        if clash:
            raise ValueError(f"dates both off and working: {sorted(clash)}")
        self.hours = hours
        self.tz = tz

    def __repr__(self):
        return (
            f"WorkingCalendar(extra_days_off={sorted(self.extra_days_off)}, "
            f"extra_working_days={sorted(self.extra_working_days)}, hours={self.hours}, tz={self.tz})"
        )

    def with_hours(self, hours: WorkingHours) -> WorkingCalendar:
        """The same days with other office hours (a profile's hours win over the calendar's)."""
        if hours == self.hours:
            return self
        return WorkingCalendar(self.extra_days_off, self.extra_working_days, hours, self.tz)

    # --- days -------------------------------------------------------------

    def is_holiday(self, day: date) -> bool:
        """A public holiday, observed holiday or decreed day off (weekends aside)."""
        if day in self.extra_days_off:
            return True
        if day in self.extra_working_days:
            return False
        return day in _kz_year(day.year)[0]

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        days_off, weekend_workdays = _kz_year(day.year)
        if day.weekday() >= 5:
            return day in weekend_workdays
        return day not in days_off

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (before it for negative n).

        n == 0 gives ``day`` itself when it is a working day, else the next one.
        """
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        if remaining == 0:
            while not self.is_working_day(day):
                day += step
            return day
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        return self.add_working_days(day, 1)

    # --- moments ----------------------------------------------------------

    def localize(self, moment: datetime) -> datetime:
        """Aware local time: a naive value is already local, an aware one is converted."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            return moment.replace(tzinfo=self.tz)
        return moment.astimezone(self.tz)

    def at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.tz)

    def is_working_time(self, moment: datetime) -> bool:
        local = self.localize(moment)
        return self.is_working_day(local.date()) and self.hours.is_open(local.time())

    def next_opening(self, moment: datetime) -> datetime:
        """``moment`` if the office is open then, else the start of the next working day.

        Before opening on a working day that is the same day's opening.
        """
        local = self.localize(moment)
        if self.is_working_time(local):
            return local
        day = local.date()
        if not (self.is_working_day(day) and local.time() < self.hours.start):
            day = self.next_working_day(day)
        return self.at(day, self.hours.start)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time (lunch excluded) in [start, end); negative when end < start."""
        start, end = self.localize(start), self.localize(end)
        if end < start:
            return -self.working_time_between(end, start)
        total = timedelta()
        day = start.date()
        while day <= end.date():
            if self.is_working_day(day):
                for a, b in self.hours.intervals():
                    lo = max(start, self.at(day, a))
                    hi = min(end, self.at(day, b))
                    if hi > lo:
                        total += hi - lo
            day += timedelta(days=1)
        return total


@lru_cache(maxsize=1)
def default_calendar() -> WorkingCalendar:
    """The package's holidays only, default hours (until an admin table adds decrees)."""
    return WorkingCalendar()
