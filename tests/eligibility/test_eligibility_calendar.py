"""Year arithmetic behind every boundary: anniversaries, windows and ages, 29 February included."""

from datetime import date

import pytest

from eligibility.rules import age_on, anniversary, years_before
from tests.eligibility.cases import build_case, decide

N = "national-2025"


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (date(2026, 11, 22), -5, date(2021, 11, 22)),
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2028, 2, 29), -5, date(2023, 2, 28)),
        (date(3, 1, 1), -5, date.min),
        (date(9998, 1, 1), 5, date.max),
    ],
)
def test_anniversary(day, years, expected):
    assert anniversary(day, years) == expected


def test_years_before_is_a_negative_anniversary():
    assert years_before(date(2028, 2, 29), 3) == date(2025, 2, 28)


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(2008, 11, 22), date(2026, 11, 22), 18),
        (date(2008, 11, 22), date(2026, 11, 21), 17),
        (date(2008, 2, 29), date(2026, 2, 28), 18),  # non-leap year: birthday on 28 February
        (date(2008, 2, 29), date(2026, 2, 27), 17),
        (date(2008, 2, 29), date(2028, 2, 28), 19),  # leap year: birthday on 29 February itself
        (date(2008, 2, 29), date(2028, 2, 29), 20),
        (date(1997, 11, 22), date(2026, 11, 22), 29),
        (date(2027, 1, 1), date(2026, 11, 22), -1),  # born after as_of: under age, never a crash
    ],
)
def test_age_on(birth, day, age):
    assert age_on(birth, day) == age


@pytest.mark.parametrize(
    ("since", "grounds"),
    [("2025-02-28", ()), ("2025-03-01", ("RESIDENCE_LESS_3Y",))],
)
def test_residence_window_from_29_february(since, grounds):
    decision = decide(build_case(N, as_of="2028-02-29", applicant={"registered_here_since": since}))
    assert decision.grounds == grounds


@pytest.mark.parametrize(("moved_on", "grounds"), [("2023-02-28", ("DELIBERATE_WORSENING",)), ("2023-02-27", ())])
def test_worsening_window_from_29_february(moved_on, grounds):
    data = build_case(N, as_of="2028-02-29", moved_in=[{"relation": "nephew", "date": moved_on}])
    assert decide(data).grounds == grounds


@pytest.mark.parametrize(("as_of", "grounds"), [("2025-02-27", ()), ("2025-02-28", ("RESIDENCE_LESS_3Y",))])
def test_orphan_born_29_february_turns_29_on_28_february(as_of, grounds):
    data = build_case(
        N, as_of=as_of, categories=["ORPHAN"], applicant={"birth_date": "1996-02-29", "registered_here_since": None}
    )
    assert decide(data).grounds == grounds
