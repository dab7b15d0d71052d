"""The state database of individuals (ГБД ФЛ): person data by IIN.

The simulator answers for two kinds of people:
  - the demo people of simulator_people.json, each exercising a rule (`demo_note`);
  - synthetic people: any valid IIN whose 4-digit serial (digits 8-11) starts with 9 and that is not in the
    JSON is a generic living resident named "Synthetic", born and of the sex the IIN says, with no property,
    no state housing and no registered settlement. `generate_queue` gives its benchmark people such IINs
    (serial 9000-9999), so an annual inventory over a million of them finds nothing instead of a million
    "not found". Every other unknown IIN (the tests use serials 0000-8999 for strangers) is not found.
"""

import json
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from django.conf import settings

from eligibility.iin import is_valid_iin, parse_iin


class StateSystemUnavailable(RuntimeError):
    """The external system did not answer; callers show a clear message and let staff retry."""


@dataclass(frozen=True)
class FamilyLink:
    iin: str
    relation: str


@dataclass(frozen=True)
class PersonRecord:
    iin: str
    surname: str
    given_name: str
    patronymic: str
    birth_date: date
    sex: str
    id_document_number: str
    id_document_issued: date | None
    address: str
    registered_since: date | None
    alive: bool = True
    family: tuple[FamilyLink, ...] = field(default_factory=tuple)
    status: str = "citizen"  # citizen, kandas, foreigner
    lost_parents_before_18: bool = False
    moved_in: tuple["MoveIn", ...] = field(default_factory=tuple)
    # code of the settlement of the registered address ("" when the database does not say); compared with
    # Settlement.code by the annual inventory (queues.services.inventory)
    settlement: str = ""
    died_on: date | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.surname, self.given_name, self.patronymic) if p)


@dataclass(frozen=True)
class MoveIn:
    """Someone registered at the person's address (who, as whom, when)."""

    iin: str
    relation: str
    date: date


class IndividualsRegistry(Protocol):
    def find_person(self, iin: str) -> PersonRecord | None: ...


SIMULATOR_DATA = Path(__file__).with_name("simulator_people.json")

# The simulator's records carry an address line, not a settlement code: the city at its start names it.
ADDRESS_SETTLEMENTS = {
    "Алматы қ.": "almaty",
    "Астана қ.": "astana",
    "Шымкент қ.": "shymkent",
    "Ақтөбе қ.": "aktobe",
    "Тараз қ.": "taraz",
}
SYNTHETIC_SURNAME = "Synthetic"


def _parse_date(value):
    return date.fromisoformat(value) if value else None


def settlement_of_address(address: str) -> str:
    head = (address or "").split(",", 1)[0].strip()
    return ADDRESS_SETTLEMENTS.get(head, "")


def is_synthetic_iin(iin: str) -> bool:
    """A valid IIN with a serial 9000-9999: the benchmark's generated people (see the module docstring)."""
    return is_valid_iin(iin) and iin[7] == "9"


def synthetic_person(iin: str) -> PersonRecord:
    parsed = parse_iin(iin)
    return PersonRecord(
        iin=iin, surname=SYNTHETIC_SURNAME, given_name="Person", patronymic="", birth_date=parsed.birth_date,
        sex=parsed.sex, id_document_number="", id_document_issued=None, address="", registered_since=None,
    )


class SimulatedIndividualsRegistry:
    """Local stand-in seeded from simulator_people.json, plus synthetic people (see the module docstring)."""

    def __init__(self, path: Path = SIMULATOR_DATA):
        raw = json.loads(path.read_text(encoding="utf-8"))["people"]
        self._raw = {row["iin"]: row for row in raw}
        self._people = {
            row["iin"]: PersonRecord(
                iin=row["iin"],
                surname=row["surname"],
                given_name=row["given_name"],
                patronymic=row.get("patronymic", ""),
                birth_date=date.fromisoformat(row["birth_date"]),
                sex=row["sex"],
                id_document_number=row.get("id_document_number", ""),
                id_document_issued=_parse_date(row.get("id_document_issued")),
                address=row.get("address", ""),
                registered_since=_parse_date(row.get("registered_since")),
                alive=row.get("alive", True),
                family=tuple(FamilyLink(**link) for link in row.get("family", [])),
                status=row.get("status", "citizen"),
                lost_parents_before_18=row.get("lost_parents_before_18", False),
                moved_in=tuple(
                    MoveIn(iin=m["iin"], relation=m["relation"], date=date.fromisoformat(m["date"]))
                    for m in row.get("moved_in", [])
                ),
                settlement=row.get("settlement") or settlement_of_address(row.get("address", "")),
                died_on=_parse_date(row.get("died_on")),
            )
            for row in raw
        }

    def find_person(self, iin: str) -> PersonRecord | None:
        record = self._people.get(iin)
        if record is None and is_synthetic_iin(iin):
            return synthetic_person(iin)
        return record

    def raw(self, iin: str) -> dict:
        """The simulator's whole record, which the other simulated registries read their part of."""
        return self._raw.get(iin, {})

    def all_people(self) -> list[PersonRecord]:
        """The demo people (synthetic people are answered on request, never listed)."""
        return list(self._people.values())


@lru_cache(maxsize=1)
def get_individuals_registry() -> IndividualsRegistry:
    if settings.KEZEK_STATE_SYSTEMS == "simulator":
        return SimulatedIndividualsRegistry()
    raise StateSystemUnavailable(f"no individuals-database client configured for {settings.KEZEK_STATE_SYSTEMS!r}")
