"""Every refusal ground under both regulation profiles, with its boundaries (DOMAIN.md §6).

Each row starts from the eligible base case (tests/eligibility/cases.py, as_of 2026-11-22) and
lists the exact grounds expected, so a rule firing where it should not fails the row too.
"""

import pytest

from eligibility.grounds import Ground as G
from tests.eligibility.cases import APPLICANT, CHILD, SPOUSE, STRANGER, build_case, decide, dwelling

N, R = "national-2025", "regional-30d"
OWNED_5Y, WORSENING = G.OWNED_HOUSING_5Y, G.DELIBERATE_WORSENING
EMERGENCY_ELSEWHERE, PRIVATISED = G.EMERGENCY_OTHER_SETTLEMENT, G.PRIVATISED_STATE_HOUSING


def row(profile, changes, expected, id):
    return pytest.param(profile, changes, tuple(expected), id=f"{profile}:{id}")


def both(changes, expected, id):
    return [row(N, changes, expected, id), row(R, changes, expected, id)]


def registration(iin, active=True):
    return {"existing_registrations": [{"iin": iin, "settlement": "almaty", "active": active}]}


def props(*dwellings, **changes):
    return {"properties": list(dwellings), **changes}


def housing(holder=APPLICANT, start="2012-01-01", end=None, privatised=False):
    record = {"holder_iin": holder, "settlement": "almaty", "from": start, "to": end, "privatised": privatised}
    return {"state_housing": [record]}


def applicant(**fields):
    return {"applicant": fields}


def unregistered(birth_date="1990-02-15", categories=("LARGE_FAMILY",), **fields):
    """No residence registration here; for the residence rule and its orphan exemption."""
    fields = {"registered_here_since": None, "birth_date": birth_date, **fields}
    return {"applicant": fields, "categories": list(categories)}


def moved(relation, date="2024-01-10"):
    return {"moved_in": [{"iin": STRANGER, "relation": relation, "date": date}]}


def sold(disposed="sale", end="2023-06-01", habitable=True, **extra):
    """A dwelling the applicant disposed of (held 2010 .. end)."""
    return dwelling(end=end, disposed=disposed, habitable=habitable, **extra)


ROWS = [
    *both({}, [], "base case is eligible"),
    # ALREADY_REGISTERED: anyone in the household, active registrations only
    *both(registration(APPLICANT), [G.ALREADY_REGISTERED], "applicant registered"),
    *both(registration(SPOUSE), [G.ALREADY_REGISTERED], "spouse registered"),
    *both(registration(APPLICANT, active=False), [], "inactive registration"),
    *both(registration(STRANGER), [], "stranger registered"),
    *both({"existing_registrations": [{"iin": APPLICANT}]}, [G.ALREADY_REGISTERED], "active by default"),
    # OWNED_HOUSING_5Y (national): holding [from, to) overlapping [2021-11-22, 2026-11-22]
    row(N, props(dwelling()), [G.OWNED_HOUSING_5Y], "owned now"),
    row(N, props(dwelling(owner=SPOUSE)), [G.OWNED_HOUSING_5Y], "spouse owns"),
    row(N, props(dwelling(owner=CHILD, settlement="shymkent")), [G.OWNED_HOUSING_5Y], "child owns elsewhere"),
    row(N, props(dwelling(owner=STRANGER)), [], "stranger owns"),
    row(N, props(dwelling(end="2021-11-22")), [], "left exactly 5 years before (half-open)"),
    row(N, props(dwelling(end="2021-11-23")), [G.OWNED_HOUSING_5Y], "held on the first day of the window"),
    row(N, props(dwelling(end="2019-01-01")), [], "left 7 years ago"),
    row(N, props(dwelling(start="2026-11-22")), [G.OWNED_HOUSING_5Y], "acquired on as_of"),
    row(N, props(dwelling(start="2026-11-23")), [], "acquired after as_of"),
    row(N, props(dwelling(start=None)), [G.OWNED_HOUSING_5Y], "unknown start"),
    row(N, props(sold("sale_to_akimat")), [G.OWNED_HOUSING_5Y], "sold to akimat within 5 years"),
    # only dwelling in emergency condition (national)
    row(N, props(dwelling(emergency=True), categories=["EMERGENCY_DWELLING"]), [], "only emergency dwelling here"),
    row(N, props(dwelling(settlement="shymkent", emergency=True)), [EMERGENCY_ELSEWHERE], "only emergency elsewhere"),
    row(N, props(dwelling(emergency=True), dwelling(owner=SPOUSE)), [G.OWNED_HOUSING_5Y], "emergency, not the only"),
    row(
        N,
        props(dwelling(settlement="shymkent", emergency=True), dwelling(owner=SPOUSE)),
        [G.OWNED_HOUSING_5Y, G.EMERGENCY_OTHER_SETTLEMENT],
        "emergency elsewhere and another dwelling",
    ),
    row(N, props(dwelling(emergency=True), settlement=None), [EMERGENCY_ELSEWHERE], "emergency, case unplaced"),
    # OWNED_HOUSING_KZ / OWNED_HOUSING_SETTLEMENT (regional): held on as_of
    row(R, props(dwelling(settlement="shymkent")), [G.OWNED_HOUSING_KZ], "communal: owned elsewhere"),
    row(R, props(dwelling(), fund="state_enterprise"), [G.OWNED_HOUSING_KZ], "state enterprise: owned"),
    row(R, props(dwelling(), fund=None), [G.OWNED_HOUSING_KZ], "no fund: communal rule"),
    row(R, props(dwelling(owner=SPOUSE)), [G.OWNED_HOUSING_KZ], "spouse owns now"),
    row(R, props(dwelling(owner=STRANGER)), [], "stranger owns now"),
    row(R, props(dwelling(emergency=True)), [G.OWNED_HOUSING_KZ], "emergency dwelling still counts"),
    row(R, props(dwelling(end="2026-11-22")), [], "left on as_of"),
    row(R, props(dwelling(end="2026-11-23")), [G.OWNED_HOUSING_KZ], "leaves the day after as_of"),
    row(R, props(dwelling(start="2026-11-22")), [G.OWNED_HOUSING_KZ], "acquired on as_of"),
    row(R, props(dwelling(start="2026-11-23")), [], "acquired after as_of"),
    row(R, props(dwelling(end="2024-01-01")), [], "owned within 5 years but not now"),
    row(R, props(dwelling(), fund="state_institution"), [G.OWNED_HOUSING_SETTLEMENT], "state institution: owned here"),
    row(R, props(dwelling(settlement="shymkent"), fund="state_institution"), [], "state institution: owned elsewhere"),
    row(R, props(dwelling(), fund="state_institution", settlement=None), [], "state institution: case unplaced"),
    row(N, props(dwelling(), fund="state_institution"), [G.OWNED_HOUSING_5Y], "national ignores the fund"),
    # state housing: HAS_STATE_HOUSING / PRIVATISED_STATE_HOUSING / STATE_MORTGAGE
    *both(housing(), [G.HAS_STATE_HOUSING], "state housing held"),
    *both(housing(holder=SPOUSE), [G.HAS_STATE_HOUSING], "spouse holds state housing"),
    *both(housing(holder=STRANGER), [], "stranger holds state housing"),
    *both(housing(end="2026-11-22"), [], "state housing left on as_of"),
    *both(housing(end="2026-11-23"), [G.HAS_STATE_HOUSING], "state housing left after as_of"),
    *both(housing(start="2026-11-23"), [], "state housing from after as_of"),
    row(N, housing(privatised=True), [G.PRIVATISED_STATE_HOUSING], "state housing privatised"),
    row(R, housing(privatised=True), [G.HAS_STATE_HOUSING], "state housing privatised"),
    row(N, props(dwelling(acquired="privatisation", end="2010-06-01")), [PRIVATISED], "privatised 2009"),
    row(R, props(dwelling(acquired="privatisation", end="2010-06-01")), [G.HAS_STATE_HOUSING], "privatised 2009"),
    row(R, props(dwelling(acquired="privatisation")), [G.OWNED_HOUSING_KZ, G.HAS_STATE_HOUSING], "privatised, owned"),
    row(N, props(dwelling(acquired="state_mortgage", end="2012-01-01")), [G.STATE_MORTGAGE], "state mortgage 2010"),
    row(N, props(dwelling(owner=SPOUSE, acquired="state_mortgage")), [OWNED_5Y, G.STATE_MORTGAGE], "mortgage, owned"),
    row(R, props(dwelling(acquired="state_mortgage", end="2012-01-01")), [G.HAS_STATE_HOUSING], "state mortgage 2010"),
    row(N, props(dwelling(acquired="state_mortgage", start="2027-01-01")), [], "state mortgage after as_of"),
    # UNRELIABLE_DATA
    *both({"data_reliable": False}, [G.UNRELIABLE_DATA], "data unreliable"),
    *both({"data_reliable": None}, [], "reliability not questioned"),
    # DELIBERATE_WORSENING: disposal date = `to`, window [2021-11-22, 2026-11-22]
    row(R, props(sold("sale")), [G.DELIBERATE_WORSENING], "sold habitable"),
    row(N, props(sold("sale")), [G.OWNED_HOUSING_5Y, G.DELIBERATE_WORSENING], "sold habitable"),
    row(R, props(sold("gift")), [G.DELIBERATE_WORSENING], "gave away"),
    row(R, props(sold("exchange")), [G.DELIBERATE_WORSENING], "exchanged"),
    row(R, props(sold("sale", owner=SPOUSE)), [G.DELIBERATE_WORSENING], "spouse sold"),
    row(R, props(sold("sale", owner=STRANGER)), [], "stranger sold"),
    row(R, props(sold("sale_to_akimat")), [], "sold to the akimat"),
    row(R, props(sold("sale", habitable=False)), [], "sold uninhabitable"),
    row(R, props(dwelling(end="2023-06-01", disposed="sale")), [], "habitable not stated"),
    row(R, props(sold("destroyed_by_fault", habitable=False)), [G.DELIBERATE_WORSENING], "destroyed by own fault"),
    row(R, props(sold("demolished")), [], "demolished"),
    row(R, props(sold("other")), [], "other disposal"),
    *both(props(sold("sale", end="2021-11-22", start="2000-01-01")), [WORSENING], "sold exactly 5y before"),
    *both(props(sold("sale", end="2021-11-21", start="2000-01-01")), [], "sold 5 years and a day before"),
    row(R, props(sold("sale", end="2026-11-22")), [G.DELIBERATE_WORSENING], "sold on as_of"),
    row(R, props(sold("sale", end="2026-11-23")), [G.OWNED_HOUSING_KZ], "sale after as_of"),
    *both(moved("brother"), [G.DELIBERATE_WORSENING], "brother moved in"),
    *both(moved("brother", date="2021-11-22"), [G.DELIBERATE_WORSENING], "moved in exactly 5 years before"),
    *both(moved("brother", date="2021-11-21"), [], "moved in 5 years and a day before"),
    *both(moved("brother", date="2026-11-23"), [], "moves in after as_of"),
    *[
        item
        for relation in ("spouse", "minor_child", "disabled_child", "disabled_parent")
        for item in both(moved(relation), [], f"{relation} moved in")
    ],
    # NOT_ELIGIBLE_CATEGORY: required only under regional; status must be citizen or kandas
    row(R, {"categories": []}, [G.NOT_ELIGIBLE_CATEGORY], "no category"),
    row(R, {"categories": None}, [G.NOT_ELIGIBLE_CATEGORY], "categories absent"),
    row(N, {"categories": []}, [], "no category"),
    *both({"applicant": {"status": "foreigner"}}, [G.NOT_ELIGIBLE_CATEGORY], "foreigner"),
    *both({"applicant": {"status": "kandas"}}, [], "kandas"),
    # RESIDENCE_LESS_3Y (national, capital and republican cities): since <= 2023-11-22
    row(N, {"applicant": {"registered_here_since": "2023-11-22"}}, [], "registered exactly 3 years"),
    row(N, {"applicant": {"registered_here_since": "2023-11-23"}}, [G.RESIDENCE_LESS_3Y], "3 years less a day"),
    row(N, {"applicant": {"registered_here_since": None}}, [G.RESIDENCE_LESS_3Y], "no registration"),
    row(N, {**unregistered(), "settlement": {"code": "astana", "kind": "capital"}}, [G.RESIDENCE_LESS_3Y], "capital"),
    row(N, {**unregistered(), "settlement": {"code": "oral", "kind": "regional_city"}}, [], "regional city"),
    row(N, {**unregistered(), "settlement": None}, [], "no settlement in case"),
    row(R, unregistered(), [], "not required"),
    row(N, unregistered("1997-11-23", ["ORPHAN"]), [], "orphan aged 28 (29 tomorrow)"),
    row(N, unregistered("1997-11-22", ["ORPHAN"]), [G.RESIDENCE_LESS_3Y], "orphan on 29th birthday"),
    row(N, unregistered("2000-01-01", lost_parents_before_18=True), [], "lost parents, under 29"),
    row(N, unregistered("1990-01-01", lost_parents_before_18=True), [G.RESIDENCE_LESS_3Y], "lost parents, 36"),
    row(N, unregistered("2000-01-01"), [G.RESIDENCE_LESS_3Y], "under 29, not an orphan"),
    # NO_CONSENT
    *both({"consent_personal_data": False}, [G.NO_CONSENT], "consent refused"),
    *both({"consent_personal_data": None}, [G.NO_CONSENT], "consent absent"),
    # NOT_ADULT: adult on the 18th birthday
    *both({"applicant": {"birth_date": "2008-11-22"}}, [], "18th birthday"),
    *both({"applicant": {"birth_date": "2008-11-23"}}, [G.NOT_ADULT], "18 tomorrow"),
    *both(applicant(birth_date="2008-11-23", legal_representative=True), [], "minor with legal representative"),
    *both({"applicant": {"birth_date": "2008-02-29"}, "as_of": "2026-02-28"}, [], "born 29 Feb, 18 on 28 Feb"),
    *both({"applicant": {"birth_date": "2008-02-29"}, "as_of": "2026-02-27"}, [G.NOT_ADULT], "born 29 Feb, day before"),
]


@pytest.mark.parametrize(("profile", "changes", "expected"), ROWS)
def test_grounds(profile, changes, expected):
    decision = decide(build_case(profile, **changes))
    assert decision.grounds == expected
    assert decision.eligible is (not expected)


ALL_WRONG = dict(
    applicant={"birth_date": "2010-05-05", "status": "foreigner", "registered_here_since": None},
    categories=[],
    existing_registrations=[{"iin": SPOUSE, "active": True}],
    properties=[
        dwelling(acquired="state_mortgage"),
        dwelling(owner=SPOUSE, settlement="shymkent", emergency=True),
        dwelling(owner=SPOUSE, acquired="privatisation", end="2024-02-01", disposed="gift", habitable=True),
    ],
    state_housing=[{"holder_iin": CHILD, "from": "2020-01-01"}],
    moved_in=[{"relation": "cousin", "date": "2025-01-01"}],
    consent_personal_data=False,
    data_reliable=False,
)


@pytest.mark.parametrize(
    ("profile", "changes", "expected"),
    [
        (N, {}, [g for g in G if g not in (G.OWNED_HOUSING_SETTLEMENT, G.OWNED_HOUSING_KZ, G.INCOMPLETE_PACKAGE)]),
        (
            R,
            {},
            [G.ALREADY_REGISTERED, G.OWNED_HOUSING_KZ, G.HAS_STATE_HOUSING, G.UNRELIABLE_DATA]
            + [G.DELIBERATE_WORSENING, G.NOT_ELIGIBLE_CATEGORY, G.NO_CONSENT, G.NOT_ADULT],
        ),
        (
            R,
            {"fund": "state_institution"},
            [G.ALREADY_REGISTERED, G.OWNED_HOUSING_SETTLEMENT, G.HAS_STATE_HOUSING, G.UNRELIABLE_DATA]
            + [G.DELIBERATE_WORSENING, G.NOT_ELIGIBLE_CATEGORY, G.NO_CONSENT, G.NOT_ADULT],
        ),
    ],
)
def test_every_ground_is_listed_in_domain_order(profile, changes, expected):
    decision = decide(build_case(profile, **{**ALL_WRONG, **changes}))
    assert list(decision.grounds) == expected
    assert len(decision.explanation) == len(decision.findings)
    assert decision.explanation == tuple(finding.explanation for finding in decision.findings)


def test_each_triggering_fact_is_its_own_finding():
    decision = decide(build_case(N, **props(dwelling(), dwelling(owner=SPOUSE, settlement="shymkent"))))
    assert decision.grounds == (G.OWNED_HOUSING_5Y,)
    assert [(f.facts["person"], f.facts["iin"], f.facts["settlement"]) for f in decision.findings] == [
        ("applicant", APPLICANT, "almaty"),
        ("spouse", SPOUSE, "shymkent"),
    ]


def test_findings_carry_facts_and_readable_explanations():
    decision = decide(build_case(N, **props(sold("sale", owner=SPOUSE, start="2015-01-01"))))
    owned, worsening = decision.findings
    assert owned.facts == {
        "person": "spouse",
        "iin": SPOUSE,
        "settlement": "almaty",
        "from": "2015-01-01",
        "to": "2023-06-01",
        "period": "2015-01-01/2023-06-01",
        "acquired": "purchase",
        "emergency": False,
        "as_of": "2026-11-22",
        "years": 5,
        "window_start": "2021-11-22",
    }
    assert owned.explanation == (
        f"The spouse (IIN {SPOUSE}) owned a dwelling in almaty (held 2015-01-01/2023-06-01) "
        "within the 5 years before 2026-11-22 (since 2021-11-22)."
    )
    assert worsening.message_key == "worsening_disposal"
    assert worsening.facts["disposed"] == "sale" and worsening.facts["date"] == "2023-06-01"


def test_residence_short_names_the_dates():
    decision = decide(build_case(N, applicant={"registered_here_since": "2024-01-01"}))
    (finding,) = decision.findings
    assert finding.facts["registered_since"] == "2024-01-01"
    assert finding.facts["required_since"] == "2023-11-22"
    assert "since 2024-01-01" in finding.explanation


def test_not_adult_reports_the_age():
    (finding,) = decide(build_case(R, applicant={"birth_date": "2010-01-01"})).findings
    assert finding.facts["age"] == 16
    assert finding.explanation == (
        "The applicant is 16 years old on 2026-11-22 (under 18) and no legal representative applies."
    )


def test_a_null_fact_reads_unspecified():
    data = build_case(R, existing_registrations=[{"iin": APPLICANT}])
    (finding,) = decide(data).findings
    assert finding.facts["settlement"] is None
    assert "(settlement: unspecified)" in finding.explanation


@pytest.mark.parametrize(
    ("profile", "categories", "queue_list"),
    [
        (N, [], "GENERAL"),
        (R, ["LARGE_FAMILY"], "SOCIALLY_VULNERABLE"),
        (N, ["PENSIONER", "ORPHAN"], "ORPHANS"),
        (N, ["LOW_INCOME", "EMERGENCY_DWELLING"], "EMERGENCY"),
        (R, ["ORPHAN", "EMERGENCY_DWELLING"], "ORPHANS"),
        (R, ["MILITARY", "SINGLE_PARENT"], "SOCIALLY_VULNERABLE"),
        (R, ["ELECTED_OFFICIAL"], "CIVIL_SERVANTS"),
        (N, ["BUDGET_EMPLOYEE", "CIVIL_SERVANT"], "CIVIL_SERVANTS"),
        (N, ["KANDAS"], "SOCIALLY_VULNERABLE"),
    ],
)
def test_queue_list_of_an_eligible_case(profile, categories, queue_list):
    decision = decide(build_case(profile, categories=categories))
    assert decision.eligible
    assert decision.queue_list == queue_list
    assert decision.explanation == (
        f"Eligible: no refusal ground applies under the {profile} rules; queue list {queue_list}.",
    )


def test_no_queue_list_when_refused():
    decision = decide(build_case(N, categories=["ORPHAN"], consent_personal_data=False))
    assert decision.queue_list is None
    assert decision.as_dict() == {
        "eligible": False,
        "grounds": ["NO_CONSENT"],
        "queue_list": None,
        "explanation": ["Consent to access protected personal data was not given."],
    }
