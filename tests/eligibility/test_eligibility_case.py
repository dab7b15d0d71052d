"""Parsing the CONTRACT.md case format: defaults for absent keys, and errors that name the key."""

import dataclasses
from datetime import date

import pytest

from eligibility.case import Case, CaseFormatError, parse_case
from tests.eligibility.cases import APPLICANT, BASE_CASE, SPOUSE, build_case, dwelling

CONTRACT_EXAMPLE = {
    "as_of": "2026-11-22",
    "profile": "national-2025",
    "settlement": {"code": "almaty", "kind": "republican_city"},
    "fund": "communal",
    "applicant": {
        "iin": "900215300126",
        "birth_date": "1990-02-15",
        "status": "citizen",
        "registered_here_since": "2019-05-01",
        "lost_parents_before_18": False,
        "legal_representative": False,
    },
    "family": [{"iin": SPOUSE, "relation": "spouse", "birth_date": "1992-03-10", "disabled": False}],
    "categories": ["LARGE_FAMILY"],
    "properties": [
        {
            "owner_iin": SPOUSE,
            "settlement": "almaty",
            "from": "2015-01-01",
            "to": "2023-06-01",
            "acquired": "purchase",
            "disposed": "sale",
            "habitable": True,
            "emergency": False,
        }
    ],
    "state_housing": [
        {"holder_iin": SPOUSE, "settlement": "almaty", "from": "2000-01-01", "to": None, "privatised": False}
    ],
    "existing_registrations": [{"iin": SPOUSE, "settlement": "almaty", "active": True}],
    "moved_in": [{"iin": "111111111111", "relation": "brother", "date": "2024-01-10"}],
    "consent_personal_data": True,
    "data_reliable": True,
}


def test_contract_example_parses():
    case = parse_case(CONTRACT_EXAMPLE)
    assert case.as_of == date(2026, 11, 22)
    assert case.settlement.kind == "republican_city"
    (held,) = case.properties
    assert (held.start, held.end, held.disposed, held.habitable) == (date(2015, 1, 1), date(2023, 6, 1), "sale", True)
    assert case.state_housing[0].end is None
    assert case.household() == {APPLICANT: "applicant", SPOUSE: "spouse"}


def test_minimal_case_means_none_of_everything():
    applicant = {"iin": APPLICANT, "birth_date": "1990-02-15"}
    case = parse_case({"as_of": "2026-11-22", "profile": "regional-30d", "applicant": applicant})
    assert case == Case(as_of=date(2026, 11, 22), profile="regional-30d", applicant=case.applicant)
    assert (case.settlement, case.fund, case.family, case.categories, case.properties) == (None, None, (), (), ())
    assert case.consent_personal_data is False  # consent is never presumed
    assert case.data_reliable is True  # no check found the data unreliable
    assert case.applicant.status is None and case.applicant.registered_here_since is None
    assert case.applicant.legal_representative is False and case.applicant.lost_parents_before_18 is False


def test_null_is_the_same_as_absent():
    data = build_case(settlement=None, fund=None)
    data.update(family=None, categories=None, data_reliable=None)
    data["applicant"]["registered_here_since"] = None
    data["properties"] = [dwelling(end=None, disposed=None, acquired=None)]
    case = parse_case(data)
    assert (case.settlement, case.fund, case.family, case.categories, case.data_reliable) == (None, None, (), (), True)
    assert case.properties[0].acquired is None and case.properties[0].end is None


def test_parsed_case_is_frozen_and_duplicate_categories_dropped():
    case = parse_case(build_case(categories=["PENSIONER", "LOW_INCOME", "PENSIONER"]))
    assert case.categories == ("PENSIONER", "LOW_INCOME")
    with pytest.raises(dataclasses.FrozenInstanceError):
        case.as_of = date(2000, 1, 1)


def with_change(path, value):
    """BASE_CASE with the value at `path` (a tuple of keys and indexes) replaced; `...` deletes it."""
    data = build_case(properties=[dwelling(), dwelling(owner=SPOUSE)], state_housing=[{"holder_iin": SPOUSE}])
    data["existing_registrations"] = [{"iin": SPOUSE}]
    data["moved_in"] = [{"relation": "brother", "date": "2024-01-10"}]
    *parents, last = path
    target = data
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("as_of",), ..., "as_of: required"),
        (("as_of",), None, "as_of: required"),
        (("as_of",), "22.11.2026", "as_of: expected a date YYYY-MM-DD, got '22.11.2026'"),
        (("as_of",), "2026-02-30", "as_of: expected a date YYYY-MM-DD, got '2026-02-30'"),
        (("as_of",), "20261122", "as_of: expected a date"),
        (("as_of",), 20261122, "as_of: expected a date YYYY-MM-DD, got 20261122"),
        (("profile",), "2030", "profile: unknown value '2030' (expected one of: regional-30d, national-2025)"),
        (("profile",), ..., "profile: required"),
        (("colour",), "red", "colour: unknown key"),
        (("applicant",), ..., "applicant: required"),
        (("applicant",), "900215300126", "applicant: expected an object, got '900215300126'"),
        (("applicant", "iin"), "12345", "applicant.iin: expected an IIN of 12 digits, got '12345'"),
        (("applicant", "iin"), 900215300126, "applicant.iin: expected an IIN of 12 digits"),
        (("applicant", "birth_date"), ..., "applicant.birth_date: required"),
        (("applicant", "nickname"), "Aru", "applicant.nickname: unknown key"),
        (("applicant", "status"), "resident", "applicant.status: unknown value 'resident'"),
        (("applicant", "legal_representative"), "n", "applicant.legal_representative: expected true or false, got 'n'"),
        (("applicant", "registered_here_since"), "2019", "applicant.registered_here_since: expected a date"),
        (("settlement", "kind"), "town", "settlement.kind: unknown value 'town'"),
        (("settlement", "code"), "", "settlement.code: expected a non-empty string"),
        (("settlement", "code"), ..., "settlement.code: required"),
        (("fund",), "private", "fund: unknown value 'private'"),
        (("family",), {}, "family: expected a list, got {}"),
        (("family", 0, "relation"), "", "family[0].relation: expected a non-empty string"),
        (("family", 1, "iin"), ..., "family[1].iin: required"),
        (("family", 0, "disabled"), 0, "family[0].disabled: expected true or false, got 0"),
        (("categories",), "LARGE_FAMILY", "categories: expected a list"),
        (("categories",), ["LARGE_FAMILY", "VIP"], "categories[1]: unknown value 'VIP'"),
        (("properties", 0, "acquired"), "rent", "properties[0].acquired: unknown value 'rent'"),
        (("properties", 1, "disposed"), "lease", "properties[1].disposed: unknown value 'lease'"),
        (("properties", 0, "disposed"), "sale", "properties[0].to: required when 'disposed' is set"),
        (("properties", 0, "from"), "yesterday", "properties[0].from: expected a date"),
        (("properties", 0, "to"), "2009-12-31", "properties[0].to: 2009-12-31 is before from 2010-01-01"),
        (("properties", 0, "habitable"), "yes", "properties[0].habitable: expected true or false"),
        (("properties", 1, "owner_iin"), ..., "properties[1].owner_iin: required"),
        (("properties", 1, "rooms"), 3, "properties[1].rooms: unknown key"),
        (("properties", 0), "flat", "properties[0]: expected an object"),
        (("state_housing", 0, "privatised"), 1, "state_housing[0].privatised: expected true or false, got 1"),
        (("state_housing", 0, "holder_iin"), ..., "state_housing[0].holder_iin: required"),
        (("existing_registrations", 0, "active"), "true", "existing_registrations[0].active: expected true or false"),
        (("moved_in", 0, "date"), ..., "moved_in[0].date: required"),
        (("moved_in", 0, "relation"), 7, "moved_in[0].relation: expected a non-empty string, got 7"),
        (("consent_personal_data",), "yes", "consent_personal_data: expected true or false"),
        (("data_reliable",), 1, "data_reliable: expected true or false"),
    ],
)
def test_format_errors_name_the_key(path, value, message):
    with pytest.raises(CaseFormatError) as raised:
        parse_case(with_change(path, value))
    assert str(raised.value).startswith(message)


def test_error_carries_the_path():
    with pytest.raises(CaseFormatError) as raised:
        parse_case(with_change(("properties", 0, "acquired"), "rent"))
    assert raised.value.path == "properties[0].acquired"


@pytest.mark.parametrize("data", [None, [], "case", 5, [BASE_CASE]])
def test_case_must_be_an_object(data):
    with pytest.raises(CaseFormatError, match="expected an object"):
        parse_case(data)
