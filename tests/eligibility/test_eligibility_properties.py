"""Property tests: the engine never crashes on valid-shaped input, the parser fails only with
CaseFormatError, and a disqualifying fact never helps an applicant (refusals are monotonic)."""

import json
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.case import ACQUISITIONS, DISPOSALS, FUNDS, SETTLEMENT_KINDS, STATUSES, CaseFormatError, parse_case
from eligibility.categories import CATEGORY_CODES, GROUP_CODES
from eligibility.grounds import GROUND_CODES, Ground
from eligibility.profiles import PROFILES
from eligibility.rules import MESSAGES, evaluate
from tests.eligibility.cases import APPLICANT, CHILD, SPOUSE, STRANGER

IINS = (APPLICANT, SPOUSE, CHILD, STRANGER)
OWNERS = (APPLICANT, APPLICANT, APPLICANT, SPOUSE, CHILD, STRANGER)  # mostly the household's own housing
SETTLEMENT_CODES = ("almaty", "astana", "shymkent")
OWNERSHIP_GROUNDS = {Ground.OWNED_HOUSING_5Y, Ground.OWNED_HOUSING_KZ, Ground.OWNED_HOUSING_SETTLEMENT}

# leap days, window edges and dates close together (so holdings fall in the windows) are where
# the rules interact, so draw them often
days = st.one_of(
    st.dates(date(1900, 1, 1), date(2100, 12, 31)),
    st.dates(date(2018, 1, 1), date(2027, 12, 31)),
    st.sampled_from([date(2024, 2, 29), date(2028, 2, 29), date(2021, 11, 22), date(2023, 11, 22), date(2026, 11, 22)]),
)
iso = days.map(date.isoformat)


def obj(required, optional):
    """A JSON object strategy: all required keys, any subset of the optional ones (absent or null)."""
    return st.fixed_dictionaries(required, optional={key: st.one_of(st.none(), value) for key, value in optional.items()})


@st.composite
def periods(draw):
    start, end = draw(st.one_of(st.none(), days)), draw(st.one_of(st.none(), days))
    if start and end and end < start:
        start, end = end, start
    return {"from": start and start.isoformat(), "to": end and end.isoformat()}


@st.composite
def properties(draw):
    record = draw(
        obj(
            # emergency dwellings are where the ownership rules interact: draw them often
            {"owner_iin": st.sampled_from(OWNERS), "emergency": st.sampled_from([None, False, True, True])},
            {
                "settlement": st.sampled_from(SETTLEMENT_CODES),
                "acquired": st.sampled_from(ACQUISITIONS),
                "habitable": st.booleans(),
            },
        )
    )
    record.update(draw(periods()))
    if record["to"] is not None and draw(st.booleans()):
        record["disposed"] = draw(st.sampled_from(DISPOSALS))
    return record


@st.composite
def state_housing(draw):
    record = draw(obj({"holder_iin": st.sampled_from(OWNERS)}, {"settlement": st.sampled_from(SETTLEMENT_CODES), "privatised": st.booleans()}))
    record.update(draw(periods()))
    return record


relations = st.sampled_from(["spouse", "minor_child", "disabled_child", "disabled_parent", "brother", "friend"])

cases = obj(
    {
        "as_of": iso,
        "profile": st.sampled_from(list(PROFILES)),
        "applicant": obj(
            {"iin": st.just(APPLICANT), "birth_date": iso},
            {
                "status": st.sampled_from(STATUSES),
                "registered_here_since": iso,
                "lost_parents_before_18": st.booleans(),
                "legal_representative": st.booleans(),
            },
        ),
    },
    {
        "settlement": obj({"code": st.sampled_from(SETTLEMENT_CODES), "kind": st.sampled_from(SETTLEMENT_KINDS)}, {}),
        "fund": st.sampled_from(FUNDS),
        "family": st.lists(obj({"iin": st.sampled_from(IINS[1:]), "relation": relations}, {"birth_date": iso, "disabled": st.booleans()}), max_size=3),
        "categories": st.lists(st.sampled_from(CATEGORY_CODES), max_size=3),
        "properties": st.lists(properties(), max_size=4),
        "state_housing": st.lists(state_housing(), max_size=2),
        "existing_registrations": st.lists(obj({"iin": st.sampled_from(IINS)}, {"settlement": st.sampled_from(SETTLEMENT_CODES), "active": st.booleans()}), max_size=2),
        "moved_in": st.lists(obj({"relation": relations, "date": iso}, {"iin": st.sampled_from(IINS)}), max_size=2),
        "consent_personal_data": st.booleans(),
        "data_reliable": st.booleans(),
    },
)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_decision(decision):
    assert decision.eligible is (decision.grounds == ())
    assert set(decision.grounds) <= set(GROUND_CODES) - {Ground.INCOMPLETE_PACKAGE}
    assert list(decision.grounds) == sorted(decision.grounds, key=GROUND_CODES.index)
    assert decision.grounds == tuple(dict.fromkeys(f.code for f in decision.findings))
    assert all(f.message_key in MESSAGES for f in decision.findings)
    if decision.eligible:
        assert decision.queue_list in GROUP_CODES and len(decision.explanation) == 1
    else:
        assert decision.queue_list is None and len(decision.explanation) == len(decision.findings)
    json.dumps(decision.as_dict(with_findings=True))


@FAST
@given(cases)
def test_engine_never_crashes_on_valid_input(data):
    check_decision(evaluate(parse_case(data)))


def held_now_here(data):
    """A non-emergency dwelling the applicant holds on as_of in the case's settlement."""
    settlement = data.get("settlement") or {"code": "almaty"}
    return {"owner_iin": APPLICANT, "settlement": settlement["code"], "from": data["as_of"], "to": None}


def as_of_plus(data, days_after):
    return (date.fromisoformat(data["as_of"]) + timedelta(days=days_after)).isoformat()


def worsen(data, how):
    """`data` with one disqualifying fact added."""
    data = {**data, "applicant": dict(data["applicant"])}
    if how == "owned_now":
        data["properties"] = [*(data.get("properties") or []), held_now_here(data)]
    elif how == "state_housing":
        data["state_housing"] = [*(data.get("state_housing") or []), {"holder_iin": APPLICANT, "from": data["as_of"]}]
    elif how == "registered":
        data["existing_registrations"] = [*(data.get("existing_registrations") or []), {"iin": APPLICANT, "active": True}]
    elif how == "moved_in":
        data["moved_in"] = [*(data.get("moved_in") or []), {"relation": "friend", "date": data["as_of"]}]
    elif how == "no_consent":
        data["consent_personal_data"] = False
    elif how == "unreliable":
        data["data_reliable"] = False
    elif how == "no_representative":
        data["applicant"]["legal_representative"] = False
    elif how == "no_categories":
        data["categories"] = []
    elif how == "no_residence":
        data["applicant"]["registered_here_since"] = None
    elif how == "registered_later":
        data["applicant"]["registered_here_since"] = as_of_plus(data, 1)
    return data


HOW = ["owned_now", "state_housing", "registered", "moved_in", "no_consent", "unreliable"]
HOW += ["no_representative", "no_categories", "no_residence", "registered_later"]


@FAST
@given(cases, st.sampled_from(HOW))
def test_a_disqualifying_fact_never_helps(data, how):
    before = evaluate(parse_case(data))
    after = evaluate(parse_case(worsen(data, how)))
    check_decision(after)
    assert set(before.grounds) <= set(after.grounds)
    assert after.eligible <= before.eligible


@FAST
@given(cases, st.sampled_from(["registered", "no_consent", "unreliable", "moved_in", "owned_now"]))
def test_a_disqualifying_fact_always_refuses(data, how):
    """Under every profile and fund: these facts alone are enough to refuse."""
    data = {**data, "settlement": data.get("settlement") or {"code": "almaty", "kind": "village"}}
    decision = evaluate(parse_case(worsen(data, how)))
    assert not decision.eligible
    if how == "owned_now":
        assert OWNERSHIP_GROUNDS & set(decision.grounds)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12) | iso,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)


@st.composite
def mutated_cases(draw):
    """A valid case with one value somewhere replaced by arbitrary JSON."""
    data = json.loads(json.dumps(draw(cases)))
    target = data
    while True:
        keys = list(target) if isinstance(target, dict) else list(range(len(target)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        if isinstance(target[key], (dict, list)) and draw(st.booleans()):
            target = target[key]
            continue
        target[key] = draw(json_values)
        break
    return data


@FAST
@given(st.one_of(json_values, mutated_cases()))
def test_parser_fails_only_with_case_format_error(data):
    try:
        case = parse_case(data)
    except CaseFormatError as error:
        assert error.problem
        return
    check_decision(evaluate(case))
