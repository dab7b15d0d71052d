"""Property tests: the engine never crashes on valid-shaped input, the parser fails only with
CaseFormatError, and a disqualifying fact never helps an applicant (refusals are monotonic)."""

import json
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.case import ACQUISITIONS, DISPOSALS, FUNDS, SETTLEMENT_KINDS, CaseFormatError, parse_case
from eligibility.categories import CATEGORY_CODES, GROUP_CODES
from eligibility.grounds import GROUND_CODES, Ground
from eligibility.profiles import PROFILES
from eligibility.rules import MESSAGES, evaluate, years_before
from tests.eligibility.cases import APPLICANT, CHILD, SPOUSE, STRANGER

IINS = (APPLICANT, SPOUSE, CHILD, STRANGER)
OWNERS = (APPLICANT, APPLICANT, APPLICANT, SPOUSE, CHILD, STRANGER)  # mostly the household's own housing
SETTLEMENT_CODES = ("almaty", "astana", "shymkent")
OWNERSHIP_GROUNDS = {Ground.OWNED_HOUSING_5Y, Ground.OWNED_HOUSING_KZ, Ground.OWNED_HOUSING_SETTLEMENT}

ABSENT = object()  # drawn for an optional key that is left out of the JSON object

# anywhere in the range, plus leap days
days = st.one_of(
    st.dates(date(1900, 1, 1), date(2100, 12, 31)),
    st.sampled_from([date(2024, 2, 29), date(2028, 2, 29), date(2026, 11, 22)]),
)
relations = st.sampled_from(["spouse", "minor_child", "disabled_child", "disabled_parent", "brother", "friend"])


def shift(day, n_days):
    try:
        return day + timedelta(days=n_days)
    except OverflowError:
        return day


def boundaries(as_of):
    """The days where a rule flips: windows of 3 and 5 years, ages 18 and 29, as_of itself."""
    edges = [as_of] + [years_before(as_of, years) for years in (3, 5, 18, 29)]
    return sorted({shift(edge, delta) for edge in edges for delta in (-1, 0, 1)})


def json_object(draw, fields):
    """Build a JSON object from {key: strategy}; a drawn ABSENT leaves the key out."""
    values = {key: draw(strategy) for key, strategy in fields.items()}
    return {key: value for key, value in values.items() if value is not ABSENT}


def optional(strategy):
    """Absent, null or a value: the three ways a case can say "none" or something."""
    return st.one_of(st.just(ABSENT), st.none(), strategy)


@st.composite
def cases(draw):
    """Valid-shaped cases. Dates cluster around as_of and on the rule boundaries, and most facts
    are favourable, so that the rules interact instead of every case failing on consent or age."""
    as_of = draw(days)
    near = st.one_of(
        st.integers(-60 * 365, 3 * 365).map(lambda n: shift(as_of, n)),
        st.sampled_from(boundaries(as_of)),
        days,
    )
    iso = near.map(date.isoformat)

    def period():
        start, end = draw(st.one_of(st.none(), near)), draw(st.one_of(st.none(), near))
        if start and end and end < start:
            start, end = end, start
        return {"from": start and start.isoformat(), "to": end and end.isoformat()}

    def dwelling():
        record = json_object(
            draw,
            {
                "owner_iin": st.sampled_from(OWNERS),
                "settlement": optional(st.sampled_from(SETTLEMENT_CODES)),
                "acquired": optional(st.sampled_from(ACQUISITIONS)),
                "habitable": st.sampled_from([ABSENT, None, True, True, False]),
                "emergency": st.sampled_from([ABSENT, False, True, True]),
            },
        )
        record.update(period())
        if record["to"] is not None and draw(st.booleans()):
            record["disposed"] = draw(st.sampled_from(DISPOSALS))
        return record

    def state_housing():
        fields = {"holder_iin": st.sampled_from(OWNERS), "settlement": optional(st.sampled_from(SETTLEMENT_CODES))}
        return {**json_object(draw, {**fields, "privatised": optional(st.booleans())}), **period()}

    def many(build, sizes):
        return [build() for _ in range(draw(st.sampled_from(sizes)))]

    applicant = json_object(
        draw,
        {
            "iin": st.just(APPLICANT),
            "birth_date": st.sampled_from([True, True, True, False]).flatmap(
                lambda adult: st.integers(18 * 366 + 1, 90 * 365).map(lambda n: shift(as_of, -n)) if adult else near
            ).map(date.isoformat),
            "status": st.sampled_from([ABSENT, "citizen", "citizen", "citizen", "kandas", "foreigner"]),
            "registered_here_since": optional(iso),
            "lost_parents_before_18": optional(st.booleans()),
            "legal_representative": optional(st.booleans()),
        },
    )
    member = st.fixed_dictionaries(
        {
            "iin": st.sampled_from(IINS[1:]),
            "relation": relations,
            "birth_date": st.one_of(st.none(), iso),
            "disabled": st.one_of(st.none(), st.booleans()),
        }
    )
    registration = st.fixed_dictionaries({"iin": st.sampled_from(IINS), "active": st.one_of(st.none(), st.booleans())})
    move_in = st.fixed_dictionaries({"relation": relations, "date": iso})
    settlement = st.fixed_dictionaries(
        {"code": st.sampled_from(SETTLEMENT_CODES), "kind": st.sampled_from(SETTLEMENT_KINDS)}
    )
    categories = st.lists(st.sampled_from(CATEGORY_CODES), min_size=1, max_size=3)
    return json_object(
        draw,
        {
            "as_of": st.just(as_of.isoformat()),
            "profile": st.sampled_from(list(PROFILES)),
            "applicant": st.just(applicant),
            "settlement": optional(settlement),
            "fund": optional(st.sampled_from(FUNDS)),
            "family": optional(st.lists(member, max_size=3)),
            "categories": st.sampled_from([True, True, True, False]).flatmap(
                lambda declared: categories if declared else optional(st.just([]))
            ),
            "properties": st.just(many(dwelling, [0, 0, 0, 1, 1, 2, 4])),
            "state_housing": st.just(many(state_housing, [0, 0, 0, 1, 2])),
            "existing_registrations": optional(st.lists(registration, max_size=1)),
            "moved_in": optional(st.lists(move_in, max_size=2)),
            "consent_personal_data": st.sampled_from([True] * 6 + [False, None, ABSENT]),
            "data_reliable": st.sampled_from([True, True, True, None, ABSENT, False]),
        },
    )


FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


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
@given(cases())
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
        registration = {"iin": APPLICANT, "active": True}
        data["existing_registrations"] = [*(data.get("existing_registrations") or []), registration]
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
@given(cases(), st.sampled_from(HOW))
def test_a_disqualifying_fact_never_helps(data, how):
    before = evaluate(parse_case(data))
    after = evaluate(parse_case(worsen(data, how)))
    check_decision(after)
    assert set(before.grounds) <= set(after.grounds)
    assert after.eligible <= before.eligible


@FAST
@given(cases(), st.sampled_from(["registered", "no_consent", "unreliable", "moved_in", "owned_now"]))
def test_a_disqualifying_fact_always_refuses(data, how):
    """Under every profile and fund: these facts alone are enough to refuse."""
    data = {**data, "settlement": data.get("settlement") or {"code": "almaty", "kind": "village"}}
    decision = evaluate(parse_case(worsen(data, how)))
    assert not decision.eligible
    if how == "owned_now":
        assert OWNERSHIP_GROUNDS & set(decision.grounds)


RECORD_LISTS = ("properties", "state_housing", "existing_registrations", "moved_in")


@FAST
@given(cases(), st.data())
def test_dropping_records_never_adds_a_ground(data, choice):
    """Each dwelling, state housing, registration or move-in can only add grounds: the subset
    of a case's records never has a ground the full case lacks (the emergency-dwelling exception
    included, where "the only dwelling" depends on the other records)."""
    fewer = dict(data)
    for key in RECORD_LISTS:
        records = data.get(key) or []
        kept = choice.draw(st.lists(st.sampled_from(range(len(records))), unique=True) if records else st.just([]))
        fewer[key] = [records[index] for index in sorted(kept)]
    assert set(evaluate(parse_case(fewer)).grounds) <= set(evaluate(parse_case(data)).grounds)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12) | days.map(str),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)


@st.composite
def mutated_cases(draw):
    """A valid case with one value somewhere replaced by arbitrary JSON."""
    data = json.loads(json.dumps(draw(cases())))
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
