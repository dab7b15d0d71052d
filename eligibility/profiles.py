"""What differs between the regulation profiles (DOMAIN.md §6 table), kept as data.

The rules in `eligibility.rules` read these fields instead of asking which profile they run under,
so a new regime (or a regional variant) is a new `EligibilityProfile` value, not new branches.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from eligibility.grounds import Ground


@dataclass(frozen=True)
class EligibilityProfile:
    code: str
    # Ownership "now" (Law art. 69): fund -> ground when a household dwelling is held on as_of,
    # counting only dwellings in this settlement for the funds in `settlement_only_funds`.
    # Empty: the rule does not apply.
    owned_now_grounds: Mapping[str, Ground]
    settlement_only_funds: frozenset[str]
    # Fund assumed when the case names none: the akimat's communal fund, the usual one of this service.
    default_fund: str
    # Ownership at any time in the last N years (seed 004 p.15.2); None: the rule does not apply.
    ownership_window_years: int | None
    # Whether the household's only dwelling, declared in emergency condition and lying in this
    # settlement, is left out of the ownership rules (seed 004 p.6).
    emergency_only_dwelling_exempt: bool
    # Which ground each kind of state housing support gives: "held" (held now, not privatised),
    # "privatised" (state housing privatised, or a dwelling acquired by privatisation),
    # "state_mortgage" (a dwelling bought with a state-programme mortgage).
    state_support_grounds: Mapping[str, Ground]
    category_required: bool
    # Years of residence registration required in the settlement kinds listed (seed 004 p.6);
    # orphans and those who lost their parents before 18 are exempt below `orphan_exempt_below_age`.
    residence_years: int
    residence_settlement_kinds: frozenset[str]
    orphan_exempt_below_age: int
    worsening_window_years: int
    adult_age: int
    # Only these statuses may be registered (DOMAIN.md §5: citizens and kandas).
    entitled_statuses: frozenset[str]


_COMMON = dict(
    default_fund="communal",
    residence_years=3,
    orphan_exempt_below_age=29,
    worsening_window_years=5,
    adult_age=18,
    entitled_statuses=frozenset({"citizen", "kandas"}),
)

REGIONAL_30D = EligibilityProfile(
    code="regional-30d",
    owned_now_grounds=MappingProxyType(
        {
            "communal": Ground.OWNED_HOUSING_KZ,
            "state_enterprise": Ground.OWNED_HOUSING_KZ,
            "state_institution": Ground.OWNED_HOUSING_SETTLEMENT,
        }
    ),
    settlement_only_funds=frozenset({"state_institution"}),
    ownership_window_years=None,
    emergency_only_dwelling_exempt=False,
    state_support_grounds=MappingProxyType(
        {
            "held": Ground.HAS_STATE_HOUSING,
            "privatised": Ground.HAS_STATE_HOUSING,
            "state_mortgage": Ground.HAS_STATE_HOUSING,
        }
    ),
    category_required=True,
    residence_settlement_kinds=frozenset(),
    **_COMMON,
)

NATIONAL_2025 = EligibilityProfile(
    code="national-2025",
    owned_now_grounds=MappingProxyType({}),
    settlement_only_funds=frozenset(),
    ownership_window_years=5,
    emergency_only_dwelling_exempt=True,
    state_support_grounds=MappingProxyType(
        {
            "held": Ground.HAS_STATE_HOUSING,
            "privatised": Ground.PRIVATISED_STATE_HOUSING,
            "state_mortgage": Ground.STATE_MORTGAGE,
        }
    ),
    category_required=False,
    residence_settlement_kinds=frozenset({"capital", "republican_city"}),
    **_COMMON,
)

PROFILES: Mapping[str, EligibilityProfile] = MappingProxyType({p.code: p for p in (REGIONAL_30D, NATIONAL_2025)})
