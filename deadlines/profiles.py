"""Regulation profiles: each regime's time limits as data, so regimes differ by configuration, not code.

Two are built in (DOMAIN.md §3). Later an admin-edited table supplies more;
it builds the same `Profile` values, so the due-date code never changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import StrEnum

from .calendar import WorkingHours

# Workflow steps in their only possible order (CONTRACT.md); a profile may leave some out.
STEP_CODES = ("intake", "registration", "assignment", "review", "signature", "dispatch", "handout")


class Unit(StrEnum):
    MINUTES = "minutes"
    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"


@dataclasses.dataclass(frozen=True)
class Limit:
    amount: int
    unit: Unit

    def __post_init__(self):
        object.__setattr__(self, "unit", Unit(self.unit))
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise ValueError(f"a limit is a whole number >= 0, not {self.amount!r}")

    def __str__(self):
        return f"{self.amount} {self.unit.value}"


def minutes(n: int) -> Limit:
    return Limit(n, Unit.MINUTES)


def calendar_days(n: int) -> Limit:
    return Limit(n, Unit.CALENDAR_DAYS)


def working_days(n: int) -> Limit:
    return Limit(n, Unit.WORKING_DAYS)


Steps = tuple[tuple[str, Limit], ...]


def _as_steps(value: Mapping[str, Limit] | Steps) -> Steps:
    items = tuple(value.items() if isinstance(value, Mapping) else value)
    codes = [code for code, _ in items]
    unknown = [code for code in codes if code not in STEP_CODES]
    if unknown:
        raise ValueError(f"unknown step codes {unknown}; known: {', '.join(STEP_CODES)}")
    if codes != sorted(set(codes), key=STEP_CODES.index):
        raise ValueError(f"steps must be unique and in workflow order {STEP_CODES}, got {codes}")
    return items


@dataclasses.dataclass(frozen=True)
class Profile:
    """One regime's limits.

    ``steps`` run one after another: each step's limit counts from the
    previous step's due date, the first from acceptance; ``total`` counts from
    acceptance. ``emergency_steps`` override some step limits and
    ``emergency_total`` the total for an applicant whose only dwelling is in
    emergency condition; without them the emergency flag changes nothing.
    Steps and emergency steps may be given as a mapping (kept in order).
    """

    code: str
    title: str
    steps: Steps
    total: Limit
    after_hours_next_working_day: bool
    emergency_steps: Steps = ()
    emergency_total: Limit | None = None
    working_hours: WorkingHours = WorkingHours()
    # Preliminary refusal (seed 004 p.17, APPC art. 73).
    hearing_notice_before_due: Limit = working_days(3)
    hearing_within_after_notice: Limit = working_days(2)
    # Complaints (seed 004 p.18–19).
    complaint_review_by_provider: Limit = working_days(5)
    complaint_review_by_authority: Limit = working_days(15)
    complaint_settle_by_provider: Limit = working_days(3)

    def __post_init__(self):
        object.__setattr__(self, "steps", _as_steps(self.steps))
        object.__setattr__(self, "emergency_steps", _as_steps(self.emergency_steps))
        extra = set(dict(self.emergency_steps)) - set(dict(self.steps))
        if extra:
            raise ValueError(f"emergency limits for steps the profile lacks: {sorted(extra)}")

    def steps_for(self, emergency: bool = False) -> Steps:
        if not emergency:
            return self.steps
        override = dict(self.emergency_steps)
        return tuple((code, override.get(code, limit)) for code, limit in self.steps)

    def total_for(self, emergency: bool = False) -> Limit:
        return self.emergency_total if emergency and self.emergency_total else self.total

    @property
    def counts_working_days(self) -> bool:
        """Whether people should see time left in working days (else calendar time)."""
        return self.total.unit is Unit.WORKING_DAYS


REGIONAL_30D = Profile(
    code="regional-30d",
    title="Regional akimat regulations: 30 calendar days",
    steps={
        "intake": minutes(15),
        "registration": minutes(15),
        "assignment": calendar_days(1),
        "review": calendar_days(25),
        "signature": calendar_days(1),
        "dispatch": calendar_days(1),
        "handout": calendar_days(1),
    },
    total=calendar_days(30),
    after_hours_next_working_day=False,
)
"""West Kazakhstan 2017 / Astana 2015 workflow; the steps add up to 29 days 30 minutes, inside the 30."""

NATIONAL_2025 = Profile(
    code="national-2025",
    title="National rules of 2025 (order No. 130): working days",
    steps={
        "registration": working_days(0),
        "review": working_days(1),
        "signature": working_days(1),
        "dispatch": working_days(1),
    },
    total=working_days(3),
    emergency_steps={
        "review": working_days(3),
        "signature": working_days(0),
        "dispatch": working_days(0),
    },
    emergency_total=working_days(3),
    after_hours_next_working_day=True,
)
"""Seed 004: filed electronically, reviewed within 1 working day (3 for an emergency dwelling),
decision to the applicant within 3 working days of the application (p.13, p.16, annex 1 p.3).

Steps chosen to fit the 3 working days:
- no ``intake``: the application is filed on the electronic base, accepted
  the moment it arrives in working hours (or at the next opening);
- ``registration`` by the end of the acceptance day (0 working days);
- ``review`` 1 working day (p.13), then ``signature`` and ``dispatch`` 1
  working day each, so dispatch lands on the 3-working-day total;
- emergency: review takes the full 3 working days (p.13), so signing and
  dispatch happen the same day (0) and the total stays 3 (p.16 has no
  emergency extension);
- no ``assignment`` (no separate executor assignment in the national rules)
  and no ``handout`` (the result is delivered to the personal cabinet, i.e.
  dispatch is delivery).
"""

BUILTIN_PROFILES: Mapping[str, Profile] = {p.code: p for p in (REGIONAL_30D, NATIONAL_2025)}


class UnknownProfile(LookupError):
    def __init__(self, code: str, known=None):
        self.code = code
        known = sorted(known if known is not None else BUILTIN_PROFILES)
        super().__init__(f"unknown regulation profile {code!r}; known: {', '.join(known)}")

    def __str__(self):
        return self.args[0]


def get_profile(code: str) -> Profile:
    try:
        return BUILTIN_PROFILES[code]
    except KeyError:
        raise UnknownProfile(code) from None
