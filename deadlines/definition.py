"""A regulation profile as JSON data an administrator edits, and back (pure: no models).

The stored definition of a profile version is one JSON object::

    {
      "title": "Regional akimat regulations: 30 calendar days",
      "steps": {"registration": {"amount": 15, "unit": "minutes"}, "review": {"amount": 25, "unit": "calendar_days"}},
      "total": {"amount": 30, "unit": "calendar_days"},
      "emergency_steps": {},                 # optional: step limits for an emergency dwelling
      "emergency_total": null,               # optional
      "after_hours_next_working_day": false, # an application after hours counts from the next opening
      "working_hours": {"start": "09:00", "end": "18:30", "lunch_start": "13:00", "lunch_end": "14:30"},
      "hearing_notice_before_due": {...}, "hearing_within_after_notice": {...},
      "complaint_review_by_provider": {...}, "complaint_review_by_authority": {...},
      "complaint_settle_by_provider": {...}
    }

Steps are an object keyed by step code; their order is always the workflow order (STEP_CODES), so a
database that sorts JSON keys (PostgreSQL jsonb) changes nothing. Every problem is reported as a
translated message naming the key path, and nothing is built from a definition with a problem.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from django.utils.translation import gettext as _

from .calendar import WorkingCalendar, WorkingHours
from .profiles import STEP_CODES, Limit, Profile, Unit

LIMIT_FIELDS = (
    "hearing_notice_before_due",
    "hearing_within_after_notice",
    "complaint_review_by_provider",
    "complaint_review_by_authority",
    "complaint_settle_by_provider",
)
REQUIRED_KEYS = ("title", "steps", "total", "after_hours_next_working_day")
OPTIONAL_KEYS = ("emergency_steps", "emergency_total", "working_hours", *LIMIT_FIELDS)
HOURS_KEYS = ("start", "end", "lunch_start", "lunch_end")
# Sanity bounds per unit: a week of minutes, a year of calendar days, a year of working days.
MAX_AMOUNT = {Unit.MINUTES: 7 * 24 * 60, Unit.CALENDAR_DAYS: 366, Unit.WORKING_DAYS: 250}


class DefinitionError(ValueError):
    """A definition that cannot become a profile; ``str()`` is the translated message with the key path."""

    def __init__(self, path: str, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(_("%(path)s: %(problem)s") % {"path": path or _("definition"), "problem": problem})

    def __str__(self):
        return self.args[0]


# ---------------------------------------------------------------- Profile → JSON


def limit_to_json(limit: Limit) -> dict:
    return {"amount": limit.amount, "unit": limit.unit.value}


def _hours_to_json(hours: WorkingHours) -> dict:
    return {key: getattr(hours, key).strftime("%H:%M") for key in HOURS_KEYS}


def profile_to_definition(profile: Profile) -> dict:
    """The JSON definition of a profile (without its code, which the version row carries)."""
    return {
        "title": profile.title,
        "steps": {code: limit_to_json(limit) for code, limit in profile.steps},
        "total": limit_to_json(profile.total),
        "emergency_steps": {code: limit_to_json(limit) for code, limit in profile.emergency_steps},
        "emergency_total": limit_to_json(profile.emergency_total) if profile.emergency_total else None,
        "after_hours_next_working_day": profile.after_hours_next_working_day,
        "working_hours": _hours_to_json(profile.working_hours),
        **{name: limit_to_json(getattr(profile, name)) for name in LIMIT_FIELDS},
    }


def definition_to_text(definition: dict) -> str:
    """Pretty JSON for the edit form, steps in workflow order."""
    return json.dumps(definition, ensure_ascii=False, indent=2)


# ---------------------------------------------------------------- JSON → Profile


def parse_definition_text(text: str) -> dict:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError(
            "", _("not valid JSON (line %(line)d, column %(column)d: %(message)s)")
            % {"line": exc.lineno, "column": exc.colno, "message": exc.msg}
        ) from None
    return data


def _limit(value, path: str, *, minimum: int = 0) -> Limit:
    if not isinstance(value, dict):
        raise DefinitionError(path, _('a limit is an object like {"amount": 1, "unit": "working_days"}'))
    unknown = sorted(set(value) - {"amount", "unit"})
    if unknown:
        raise DefinitionError(f"{path}.{unknown[0]}", _("unknown key"))
    if "unit" not in value:
        raise DefinitionError(f"{path}.unit", _("is required"))
    if "amount" not in value:
        raise DefinitionError(f"{path}.amount", _("is required"))
    try:
        unit = Unit(value["unit"])
    except (ValueError, TypeError):
        raise DefinitionError(
            f"{path}.unit", _("must be one of: %(units)s") % {"units": ", ".join(u.value for u in Unit)}
        ) from None
    amount = value["amount"]
    maximum = MAX_AMOUNT[unit]
    if isinstance(amount, bool) or not isinstance(amount, int) or not minimum <= amount <= maximum:
        raise DefinitionError(
            f"{path}.amount",
            _("must be a whole number from %(min)d to %(max)d") % {"min": minimum, "max": maximum},
        )
    return Limit(amount, unit)


def _steps(value, path: str, *, allow_empty: bool) -> tuple[tuple[str, Limit], ...]:
    if not isinstance(value, dict):
        raise DefinitionError(path, _("must be an object keyed by step code"))
    if not value and not allow_empty:
        raise DefinitionError(path, _("name at least one step"))
    for code in value:
        if code not in STEP_CODES:
            raise DefinitionError(
                f"{path}.{code}", _("unknown step; known steps: %(steps)s") % {"steps": ", ".join(STEP_CODES)}
            )
    return tuple((code, _limit(value[code], f"{path}.{code}")) for code in STEP_CODES if code in value)


def _clock(value, path: str) -> time:
    if not isinstance(value, str):
        raise DefinitionError(path, _("must be a time like 09:00"))
    try:
        parsed = datetime.strptime(value, "%H:%M").time()
    except ValueError:
        raise DefinitionError(path, _("must be a time like 09:00")) from None
    return parsed


def _hours(value, path: str) -> WorkingHours:
    if not isinstance(value, dict):
        raise DefinitionError(path, _("must be an object with start, end, lunch_start and lunch_end"))
    unknown = sorted(set(value) - set(HOURS_KEYS))
    if unknown:
        raise DefinitionError(f"{path}.{unknown[0]}", _("unknown key"))
    missing = [key for key in HOURS_KEYS if key not in value]
    if missing:
        raise DefinitionError(f"{path}.{missing[0]}", _("is required"))
    clocks = {key: _clock(value[key], f"{path}.{key}") for key in HOURS_KEYS}
    try:
        return WorkingHours(**clocks)
    except ValueError:
        raise DefinitionError(
            path, _("must be in order: start ≤ lunch start ≤ lunch end ≤ end, and start before end")
        ) from None


def profile_from_definition(code: str, data) -> Profile:
    """Build the frozen Profile, or raise DefinitionError (translated, naming the key)."""
    if not isinstance(data, dict):
        raise DefinitionError("", _("must be a JSON object"))
    unknown = sorted(set(data) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise DefinitionError(unknown[0], _("unknown key"))
    for key in REQUIRED_KEYS:
        if key not in data:
            raise DefinitionError(key, _("is required"))
    title = data["title"]
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise DefinitionError("title", _("must be a non-empty text of at most 200 characters"))
    steps = _steps(data["steps"], "steps", allow_empty=False)
    total = _limit(data["total"], "total", minimum=1)
    emergency_steps = _steps(data.get("emergency_steps") or {}, "emergency_steps", allow_empty=True)
    extra = [code for code, _limit_ in emergency_steps if code not in dict(steps)]
    if extra:
        raise DefinitionError(f"emergency_steps.{extra[0]}", _("the profile has no such step"))
    emergency_total = data.get("emergency_total")
    emergency_total = None if emergency_total is None else _limit(emergency_total, "emergency_total", minimum=1)
    after_hours = data["after_hours_next_working_day"]
    if not isinstance(after_hours, bool):
        raise DefinitionError("after_hours_next_working_day", _("must be true or false"))
    extras = {}
    if data.get("working_hours") is not None:
        extras["working_hours"] = _hours(data["working_hours"], "working_hours")
    for name in LIMIT_FIELDS:
        if data.get(name) is not None:
            extras[name] = _limit(data[name], name, minimum=1)
    profile = Profile(
        code=code,
        title=title.strip(),
        steps=steps,
        total=total,
        after_hours_next_working_day=after_hours,
        emergency_steps=emergency_steps,
        emergency_total=emergency_total,
        **extras,
    )
    check_steps_fit(profile)
    return profile


# A sample week (no holidays) at a morning and an evening moment, for the "steps fit in the total" check.
_SAMPLE_DAYS = [date(2026, 11, 23) + timedelta(days=n) for n in range(7)]
_SAMPLE_CLOCKS = (time(10, 0), time(20, 0))


def check_steps_fit(profile: Profile) -> None:
    """The consecutive steps must end by the whole service's deadline (checked over a sample week)."""
    from .due import compute_due_dates

    calendar = WorkingCalendar()
    for emergency in (False, True):
        for day in _SAMPLE_DAYS:
            for clock in _SAMPLE_CLOCKS:
                due = compute_due_dates(datetime.combine(day, clock), profile, emergency=emergency, calendar=calendar)
                last = max(due.steps.values())
                if last > due.result_due:
                    path = "emergency_steps" if emergency and profile.emergency_steps else "steps"
                    raise DefinitionError(
                        path,
                        _("the steps together take longer than the whole service (%(total)s)")
                        % {"total": describe_limit(profile.total_for(emergency))},
                    )


def describe_limit(limit: Limit) -> str:
    """“15 minutes”, “3 working days” in the current language."""
    from django.utils.translation import ngettext

    if limit.unit is Unit.MINUTES:
        text = ngettext("%(n)d minute", "%(n)d minutes", limit.amount)
    elif limit.unit is Unit.CALENDAR_DAYS:
        text = ngettext("%(n)d calendar day", "%(n)d calendar days", limit.amount)
    else:
        text = ngettext("%(n)d working day", "%(n)d working days", limit.amount)
    return text % {"n": limit.amount}
