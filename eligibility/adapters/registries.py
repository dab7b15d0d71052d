"""The other state systems the review consults (DOMAIN.md §4, seed 004): property, state housing,
the unified republican register of people in the queue, and social-protection category confirmation.

Each is a Protocol a production client implements against the e-government gateway; the simulators
answer from the demo people in simulator_people.json.
"""

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Iterable, Protocol

from django.conf import settings

from .individuals import SimulatedIndividualsRegistry, StateSystemUnavailable


@dataclass(frozen=True)
class PropertyRecord:
    owner_iin: str
    settlement: str
    held_from: date
    held_to: date | None
    acquired: str
    disposed: str | None
    habitable: bool
    emergency: bool


@dataclass(frozen=True)
class StateHousingRecord:
    holder_iin: str
    settlement: str
    held_from: date
    held_to: date | None
    privatised: bool


@dataclass(frozen=True)
class RegistrationRecord:
    iin: str
    settlement: str
    active: bool


class PropertyRegistry(Protocol):
    def history(self, iins: Iterable[str]) -> list[PropertyRecord]:
        """Every dwelling these people owned, with acquisition and disposal kind (at least 5 years back)."""


class StateHousingRegistry(Protocol):
    def holdings(self, iins: Iterable[str]) -> list[StateHousingRecord]: ...


class UnifiedRegister(Protocol):
    def registrations(self, iins: Iterable[str]) -> list[RegistrationRecord]: ...


class SocialProtection(Protocol):
    def confirmed_categories(self, iin: str) -> set[str]: ...


def _d(value):
    return date.fromisoformat(value) if value else None


class Simulator:
    """One object implements all four simulated systems over the demo people."""

    def __init__(self, people: SimulatedIndividualsRegistry | None = None):
        self._people = people or SimulatedIndividualsRegistry()

    def history(self, iins):
        return [
            PropertyRecord(
                owner_iin=iin, settlement=row["settlement"], held_from=_d(row["from"]), held_to=_d(row.get("to")),
                acquired=row.get("acquired", "purchase"), disposed=row.get("disposed"),
                habitable=row.get("habitable", True), emergency=row.get("emergency", False),
            )
            for iin in iins
            for row in self._people.raw(iin).get("properties", [])
        ]

    def holdings(self, iins):
        return [
            StateHousingRecord(
                holder_iin=iin, settlement=row["settlement"], held_from=_d(row["from"]), held_to=_d(row.get("to")),
                privatised=row.get("privatised", False),
            )
            for iin in iins
            for row in self._people.raw(iin).get("state_housing", [])
        ]

    def registrations(self, iins):
        return [
            RegistrationRecord(iin=iin, settlement=row["settlement"], active=row.get("active", True))
            for iin in iins
            for row in self._people.raw(iin).get("registrations", [])
        ]

    def confirmed_categories(self, iin):
        return set(self._people.raw(iin).get("confirmed_categories", []))


@lru_cache(maxsize=1)
def _simulator() -> Simulator:
    return Simulator()


def _configured(kind: str):
    if settings.KEZEK_STATE_SYSTEMS == "simulator":
        return _simulator()
    raise StateSystemUnavailable(f"no {kind} client configured for {settings.KEZEK_STATE_SYSTEMS!r}")


def get_property_registry() -> PropertyRegistry:
    return _configured("property registry")


def get_state_housing_registry() -> StateHousingRegistry:
    return _configured("state housing registry")


def get_unified_register() -> UnifiedRegister:
    return _configured("unified register")


def get_social_protection() -> SocialProtection:
    return _configured("social protection")
