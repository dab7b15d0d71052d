"""Regulation profiles are validated data; unknown codes are a clear error."""

import dataclasses

import pytest

from deadlines.profiles import (
    BUILTIN_PROFILES,
    NATIONAL_2025,
    REGIONAL_30D,
    Limit,
    Profile,
    Unit,
    UnknownProfile,
    calendar_days,
    get_profile,
    minutes,
    working_days,
)


def test_builtin_profiles_by_code():
    assert get_profile("regional-30d") is REGIONAL_30D
    assert get_profile("national-2025") is NATIONAL_2025
    assert set(BUILTIN_PROFILES) == {"regional-30d", "national-2025"}


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(UnknownProfile) as caught:
        get_profile("national-2030")
    assert isinstance(caught.value, LookupError)
    assert str(caught.value) == "unknown regulation profile 'national-2030'; known: national-2025, regional-30d"


def test_regional_steps_are_the_domain_workflow():
    assert dict(REGIONAL_30D.steps) == {
        "intake": minutes(15),
        "registration": minutes(15),
        "assignment": calendar_days(1),
        "review": calendar_days(25),
        "signature": calendar_days(1),
        "dispatch": calendar_days(1),
        "handout": calendar_days(1),
    }
    assert REGIONAL_30D.total == calendar_days(30)
    assert not REGIONAL_30D.after_hours_next_working_day
    assert REGIONAL_30D.steps_for(emergency=True) == REGIONAL_30D.steps
    assert REGIONAL_30D.total_for(emergency=True) == calendar_days(30)


def test_national_review_and_total():
    assert dict(NATIONAL_2025.steps_for())["review"] == working_days(1)
    assert dict(NATIONAL_2025.steps_for(emergency=True))["review"] == working_days(3)
    assert NATIONAL_2025.total_for() == NATIONAL_2025.total_for(emergency=True) == working_days(3)
    assert NATIONAL_2025.after_hours_next_working_day
    assert NATIONAL_2025.counts_working_days and not REGIONAL_30D.counts_working_days
    for emergency in (False, True):
        assert sum(limit.amount for _, limit in NATIONAL_2025.steps_for(emergency)) <= 3


def test_hearing_and_complaint_limits():
    for profile in BUILTIN_PROFILES.values():
        assert profile.hearing_notice_before_due == working_days(3)
        assert profile.hearing_within_after_notice == working_days(2)
        assert profile.complaint_review_by_provider == working_days(5)
        assert profile.complaint_review_by_authority == working_days(15)
        assert profile.complaint_settle_by_provider == working_days(3)


def test_profiles_are_frozen_and_hashable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        NATIONAL_2025.total = working_days(5)
    assert len({NATIONAL_2025, REGIONAL_30D}) == 2


def test_limit_accepts_unit_strings_and_rejects_bad_amounts():
    assert Limit(2, "working_days").unit is Unit.WORKING_DAYS
    assert str(calendar_days(30)) == "30 calendar_days"
    for amount in (-1, 1.5, True):
        with pytest.raises(ValueError):
            Limit(amount, Unit.MINUTES)
    with pytest.raises(ValueError):
        Limit(1, "weeks")


def make(**changes):
    fields = dict(code="x", title="x", steps={"review": working_days(1)}, total=working_days(3),
                  after_hours_next_working_day=True)
    return Profile(**{**fields, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"steps": {"approval": working_days(1)}}, "unknown step codes"),
        ({"steps": {"review": working_days(1), "intake": minutes(15)}}, "workflow order"),
        ({"steps": (("review", working_days(1)), ("review", working_days(1)))}, "unique"),
        ({"emergency_steps": {"signature": working_days(1)}}, "lacks"),
    ],
)
def test_profile_validation(changes, message):
    with pytest.raises(ValueError, match=message):
        make(**changes)


def test_profile_keeps_step_order_from_a_mapping():
    profile = make(steps={"intake": minutes(15), "review": working_days(1), "dispatch": working_days(1)})
    assert [code for code, _ in profile.steps] == ["intake", "review", "dispatch"]
