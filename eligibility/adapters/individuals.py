"""The state database of individuals (ГБД ФЛ): person data by IIN."""

import json
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from django.conf import settings


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


def _parse_date(value):
    return date.fromisoformat(value) if value else None


class SimulatedIndividualsRegistry:
    """Local stand-in seeded from simulator_people.json (demo people only)."""

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
            )
            for row in raw
        }

    def find_person(self, iin: str) -> PersonRecord | None:
        return self._people.get(iin)

    def raw(self, iin: str) -> dict:
        """The simulator's whole record, which the other simulated registries read their part of."""
        return self._raw.get(iin, {})

    def all_people(self) -> list[PersonRecord]:
        return list(self._people.values())


@lru_cache(maxsize=1)
def get_individuals_registry() -> IndividualsRegistry:
    if settings.KEZEK_STATE_SYSTEMS == "simulator":
        return SimulatedIndividualsRegistry()
    raise StateSystemUnavailable(f"no individuals-database client configured for {settings.KEZEK_STATE_SYSTEMS!r}")
