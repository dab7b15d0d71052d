"""The notary system (ЕНИС): is this power of attorney real and in force?"""

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Protocol

from django.conf import settings


@dataclass(frozen=True)
class PowerOfAttorneyCheck:
    found: bool
    in_force: bool
    reason: str = ""


class NotaryRegistry(Protocol):
    def check_power_of_attorney(
        self, number: str, principal_iin: str, representative_iin: str, on: date
    ) -> PowerOfAttorneyCheck: ...


class SimulatedNotaryRegistry:
    """Simulator rule: numbers starting with "PoA-" are registered; "PoA-REVOKED-..." were revoked."""

    def check_power_of_attorney(self, number, principal_iin, representative_iin, on):
        number = (number or "").strip()
        if not number.upper().startswith("POA-"):
            return PowerOfAttorneyCheck(found=False, in_force=False, reason="not_found")
        if "REVOKED" in number.upper():
            return PowerOfAttorneyCheck(found=True, in_force=False, reason="revoked")
        if principal_iin == representative_iin:
            return PowerOfAttorneyCheck(found=True, in_force=False, reason="same_person")
        return PowerOfAttorneyCheck(found=True, in_force=True)


@lru_cache(maxsize=1)
def get_notary_registry() -> NotaryRegistry:
    if settings.KEZEK_STATE_SYSTEMS == "simulator":
        return SimulatedNotaryRegistry()
    raise RuntimeError(f"no notary client configured for {settings.KEZEK_STATE_SYSTEMS!r}")
