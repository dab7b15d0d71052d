"""The eligibility case (CONTRACT.md "Eligibility case format"): parse and validate into frozen data.

A case is the plain, self-contained record an `applications` service builds from the application
and the state-system answers; storing it lets anyone re-run a decision later. Parsing is strict
because a typo must not silently become "no such fact" and turn a refusal into a registration:
an unknown key, an unknown enum value or a wrong type raises `CaseFormatError` naming the key path
(`properties[0].acquired: unknown value 'rent' ...`).

Required: `as_of`, `profile`, `applicant` (with `iin` and `birth_date`). Everything else is
optional, and an absent key or JSON null means "none": no settlement, no fund, no family, no
categories, no properties, ... A flag that is absent is false, with two exceptions where "none"
means the absence of an adverse finding: `data_reliable` (no check found the data unreliable) and
`existing_registrations[].active` (a listed registration is active unless marked otherwise).
Consent is never presumed: an absent `consent_personal_data` is no consent.

Holding periods (`properties`, `state_housing`) are half-open, [from, to): `from` is the first
day held, `to` the day the dwelling left the household (the disposal date), so it is no longer
held on `to`; a null `to` means still held, a null `from` means held since an unknown date.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from eligibility.categories import CATEGORY_CODES
from eligibility.profiles import PROFILES

SETTLEMENT_KINDS = ("capital", "republican_city", "regional_city", "district", "village")
FUNDS = ("communal", "state_enterprise", "state_institution")
STATUSES = ("citizen", "kandas", "foreigner")
ACQUISITIONS = ("purchase", "inheritance", "gift", "privatisation", "state_mortgage", "other")
DISPOSALS = ("sale", "sale_to_akimat", "gift", "exchange", "destroyed_by_fault", "demolished", "other")

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_IIN = re.compile(r"\d{12}")


class CaseFormatError(ValueError):
    """The case does not follow the format; `path` names the offending key."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


class _Held:
    """Half-open holding period [start, end) shared by owned dwellings and state housing."""

    start: date | None
    end: date | None

    def held_on(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)

    def held_during(self, first: date, last: date) -> bool:
        """Whether the holding overlaps the closed window [first, last]."""
        return (self.start is None or self.start <= last) and (self.end is None or self.end > first)

    def begun_by(self, day: date) -> bool:
        return self.start is None or self.start <= day


@dataclass(frozen=True)
class Settlement:
    code: str
    kind: str


@dataclass(frozen=True)
class Applicant:
    iin: str
    birth_date: date
    status: str | None = None
    registered_here_since: date | None = None
    lost_parents_before_18: bool = False
    legal_representative: bool = False


@dataclass(frozen=True)
class FamilyMember:
    """The spouse or a family member living with the applicant (their housing counts as the applicant's)."""

    iin: str
    relation: str
    birth_date: date | None = None
    disabled: bool = False


@dataclass(frozen=True)
class Property(_Held):
    """A dwelling owned by `owner_iin`; `start`/`end` are the JSON `from`/`to`."""

    owner_iin: str
    settlement: str | None = None
    start: date | None = None
    end: date | None = None
    acquired: str | None = None
    disposed: str | None = None
    habitable: bool = False
    emergency: bool = False


@dataclass(frozen=True)
class StateHousing(_Held):
    """A dwelling from the state fund (or rented by the akimat) held by `holder_iin`."""

    holder_iin: str
    settlement: str | None = None
    start: date | None = None
    end: date | None = None
    privatised: bool = False


@dataclass(frozen=True)
class Registration:
    iin: str
    settlement: str | None = None
    active: bool = True


@dataclass(frozen=True)
class MoveIn:
    relation: str
    date: date
    iin: str | None = None


@dataclass(frozen=True)
class Case:
    as_of: date
    profile: str
    applicant: Applicant
    settlement: Settlement | None = None
    fund: str | None = None
    family: tuple[FamilyMember, ...] = ()
    categories: tuple[str, ...] = ()
    properties: tuple[Property, ...] = ()
    state_housing: tuple[StateHousing, ...] = ()
    existing_registrations: tuple[Registration, ...] = ()
    moved_in: tuple[MoveIn, ...] = ()
    consent_personal_data: bool = False
    data_reliable: bool = True

    def household(self) -> dict[str, str]:
        """IIN -> who the person is ("applicant" or the family relation), applicant first."""
        people = {member.iin: member.relation for member in self.family}
        people.pop(self.applicant.iin, None)
        return {self.applicant.iin: "applicant", **people}

    def in_this_settlement(self, settlement_code: str | None) -> bool:
        """False when the case names no settlement: nothing can be shown to lie "here"."""
        return self.settlement is not None and settlement_code == self.settlement.code


# --- readers: each takes the JSON value and its key path, returns the Python value ----------------


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(value)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CaseFormatError(path, f"expected a non-empty string, got {_show(value)}")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise CaseFormatError(path, f"expected true or false, got {_show(value)}")
    return value


def _date(value: Any, path: str) -> date:
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CaseFormatError(path, f"expected a date YYYY-MM-DD, got {_show(value)}")


def _iin(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _IIN.fullmatch(value):
        raise CaseFormatError(path, f"expected an IIN of 12 digits, got {_show(value)}")
    return value


def _one_of(*allowed: str) -> Callable[[Any, str], str]:
    def read(value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise CaseFormatError(path, f"expected a string, got {_show(value)}")
        if value not in allowed:
            raise CaseFormatError(path, f"unknown value {value!r} (expected one of: {', '.join(allowed)})")
        return value

    return read


def _list_of(item: Callable[[Any, str], Any]) -> Callable[[Any, str], tuple]:
    def read(value: Any, path: str) -> tuple:
        if not isinstance(value, list):
            raise CaseFormatError(path, f"expected a list, got {_show(value)}")
        return tuple(item(element, f"{path}[{index}]") for index, element in enumerate(value))

    return read


def _object(
    value: Any,
    path: str,
    required: dict[str, Callable[[Any, str], Any]],
    optional: dict[str, Callable[[Any, str], Any]],
) -> dict[str, Any]:
    """Read the fields of one JSON object; absent or null optional fields are left out."""
    if not isinstance(value, dict):
        raise CaseFormatError(path, f"expected an object, got {_show(value)}")
    for key in value:
        if key not in required and key not in optional:
            raise CaseFormatError(_join(path, str(key)), "unknown key")
    fields = {}
    for key, read in required.items():
        if value.get(key) is None:
            raise CaseFormatError(_join(path, key), "required")
        fields[key] = read(value[key], _join(path, key))
    for key, read in optional.items():
        if value.get(key) is not None:
            fields[key] = read(value[key], _join(path, key))
    return fields


def _held_period(fields: dict[str, Any], path: str) -> dict[str, Any]:
    """Rename JSON `from`/`to` (a Python keyword) to `start`/`end` and check their order."""
    start, end = fields.pop("from", None), fields.pop("to", None)
    if start is not None and end is not None and end < start:
        raise CaseFormatError(_join(path, "to"), f"{end.isoformat()} is before from {start.isoformat()}")
    return {**fields, "start": start, "end": end}


def _settlement(value: Any, path: str) -> Settlement:
    return Settlement(**_object(value, path, {"code": _string, "kind": _one_of(*SETTLEMENT_KINDS)}, {}))


def _applicant(value: Any, path: str) -> Applicant:
    fields = _object(
        value,
        path,
        required={"iin": _iin, "birth_date": _date},
        optional={
            "status": _one_of(*STATUSES),
            "registered_here_since": _date,
            "lost_parents_before_18": _bool,
            "legal_representative": _bool,
        },
    )
    return Applicant(**fields)


def _family_member(value: Any, path: str) -> FamilyMember:
    fields = _object(
        value,
        path,
        required={"iin": _iin, "relation": _string},
        optional={"birth_date": _date, "disabled": _bool},
    )
    return FamilyMember(**fields)


def _property(value: Any, path: str) -> Property:
    fields = _object(
        value,
        path,
        required={"owner_iin": _iin},
        optional={
            "settlement": _string,
            "from": _date,
            "to": _date,
            "acquired": _one_of(*ACQUISITIONS),
            "disposed": _one_of(*DISPOSALS),
            "habitable": _bool,
            "emergency": _bool,
        },
    )
    if "disposed" in fields and "to" not in fields:
        raise CaseFormatError(_join(path, "to"), "required when 'disposed' is set (it is the disposal date)")
    return Property(**_held_period(fields, path))


def _state_housing(value: Any, path: str) -> StateHousing:
    fields = _object(
        value,
        path,
        required={"holder_iin": _iin},
        optional={"settlement": _string, "from": _date, "to": _date, "privatised": _bool},
    )
    return StateHousing(**_held_period(fields, path))


def _registration(value: Any, path: str) -> Registration:
    fields = _object(value, path, required={"iin": _iin}, optional={"settlement": _string, "active": _bool})
    return Registration(**fields)


def _move_in(value: Any, path: str) -> MoveIn:
    fields = _object(value, path, required={"relation": _string, "date": _date}, optional={"iin": _iin})
    return MoveIn(**fields)


def _categories(value: Any, path: str) -> tuple[str, ...]:
    """Declared category codes, duplicates dropped, order kept."""
    return tuple(dict.fromkeys(_list_of(_one_of(*CATEGORY_CODES))(value, path)))


def parse_case(data: Any) -> Case:
    """Validate a case decoded from JSON; raises CaseFormatError naming the first bad key."""
    fields = _object(
        data,
        "",
        required={"as_of": _date, "profile": _one_of(*PROFILES), "applicant": _applicant},
        optional={
            "settlement": _settlement,
            "fund": _one_of(*FUNDS),
            "family": _list_of(_family_member),
            "categories": _categories,
            "properties": _list_of(_property),
            "state_housing": _list_of(_state_housing),
            "existing_registrations": _list_of(_registration),
            "moved_in": _list_of(_move_in),
            "consent_personal_data": _bool,
            "data_reliable": _bool,
        },
    )
    return Case(**fields)
