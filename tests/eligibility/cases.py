"""Case builders shared by the eligibility tests.

The base case is eligible under both profiles; each test changes only the facts it is about.
as_of is 2026-11-22, so "5 years before" is 2021-11-22 and "3 years before" 2023-11-22.
"""

import copy

from eligibility.case import parse_case
from eligibility.rules import evaluate

PROFILES = ("national-2025", "regional-30d")
AS_OF = "2026-11-22"
APPLICANT = "900215300126"
SPOUSE = "920310400127"
CHILD = "150601500128"
STRANGER = "850101300129"  # not in the household

BASE_CASE = {
    "as_of": AS_OF,
    "profile": "national-2025",
    "settlement": {"code": "almaty", "kind": "republican_city"},
    "fund": "communal",
    "applicant": {
        "iin": APPLICANT,
        "birth_date": "1990-02-15",
        "status": "citizen",
        "registered_here_since": "2019-05-01",
        "lost_parents_before_18": False,
        "legal_representative": False,
    },
    "family": [
        {"iin": SPOUSE, "relation": "spouse", "birth_date": "1992-03-10"},
        {"iin": CHILD, "relation": "minor_child", "birth_date": "2015-06-01"},
    ],
    "categories": ["LARGE_FAMILY"],
    "properties": [],
    "state_housing": [],
    "existing_registrations": [],
    "moved_in": [],
    "consent_personal_data": True,
    "data_reliable": True,
}


def build_case(profile="national-2025", applicant=None, **changes):
    """BASE_CASE under `profile`; `applicant` keys are merged, other keys replace (None deletes)."""
    data = copy.deepcopy(BASE_CASE)
    data["profile"] = profile
    data["applicant"].update(applicant or {})
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def dwelling(owner=APPLICANT, settlement="almaty", start="2010-01-01", end=None, **extra):
    """A property record; `start`/`end` become `from`/`to`."""
    return {"owner_iin": owner, "settlement": settlement, "from": start, "to": end, "acquired": "purchase", **extra}


def decide(data):
    return evaluate(parse_case(data))
