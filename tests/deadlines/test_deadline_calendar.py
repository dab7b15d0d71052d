"""The KZ working-day calendar: public, moved and decreed days off, office hours."""

from datetime import date, datetime, time, timedelta, timezone

import holidays
import pytest

from deadlines.calendar import ALMATY, WorkingCalendar, WorkingHours

CAL = WorkingCalendar()
KZ = holidays.country_holidays("KZ", years=range(2024, 2028))


def local(*args):
    return datetime(*args, tzinfo=ALMATY)


# (day, working?, why) — checked below against the holidays package too.
DAYS = [
    (date(2026, 11, 21), False, "plain Saturday"),
    (date(2026, 11, 22), False, "plain Sunday"),
    (date(2026, 11, 23), True, "plain Monday"),
    (date(2025, 1, 1), False, "New Year"),
    (date(2025, 1, 2), False, "New Year, 2nd day"),
    (date(2025, 1, 3), False, "decree: day off moved from Sunday 5 January"),
    (date(2025, 1, 5), True, "decree: Sunday made a working day"),
    (date(2025, 1, 7), False, "Orthodox Christmas"),
    (date(2025, 3, 8), False, "Women's Day on a Saturday"),
    (date(2025, 3, 10), False, "Women's Day moved to Monday"),
    (date(2025, 3, 11), True, "day after the moved holiday"),
    (date(2026, 3, 9), False, "Women's Day 2026 (Sunday) moved to Monday"),
    (date(2026, 3, 23), False, "Nauryz, Monday"),
    (date(2026, 3, 24), False, "Nauryz Saturday moved to Tuesday"),
    (date(2026, 3, 25), False, "Nauryz Sunday moved to Wednesday"),
    (date(2026, 3, 26), True, "after Nauryz 2026"),
    (date(2027, 3, 24), False, "Nauryz 2027 Sunday moved to Wednesday"),
    (date(2025, 5, 1), False, "Unity Day"),
    (date(2025, 5, 2), True, "Friday after Unity Day"),
    (date(2025, 5, 7), False, "Defender of the Fatherland Day"),
    (date(2025, 5, 9), False, "Victory Day"),
    (date(2027, 5, 3), False, "Unity Day 2027 (Saturday) moved to Monday"),
    (date(2024, 5, 4), True, "decree: Saturday made a working day"),
    (date(2024, 5, 8), False, "decree: day off moved from Saturday 4 May"),
    (date(2025, 7, 7), False, "Capital Day (Sunday) moved to Monday"),
    (date(2026, 7, 6), False, "Capital Day, Monday"),
    (date(2025, 9, 1), False, "Constitution Day (Saturday 30 August) moved to Monday"),
    (date(2025, 10, 27), False, "Republic Day (Saturday) moved to Monday"),
    (date(2026, 10, 26), False, "Republic Day (Sunday) moved to Monday"),
    (date(2027, 10, 25), False, "Republic Day, Monday"),
    (date(2025, 12, 16), False, "Independence Day"),
    (date(2025, 12, 17), True, "17 December is no longer a holiday"),
    (date(2026, 12, 16), False, "Independence Day 2026"),
]


@pytest.mark.parametrize(("day", "working", "why"), DAYS)
def test_working_days(day, working, why):
    assert CAL.is_working_day(day) is working, why
    assert KZ.is_working_day(day) is working, f"holidays package disagrees: {why}"


def test_holiday_is_not_a_weekend_and_vice_versa():
    assert CAL.is_holiday(date(2025, 3, 10))
    assert not CAL.is_holiday(date(2026, 11, 21))  # a plain Saturday is off but no holiday


def test_a_decree_can_move_a_working_day_into_the_previous_year():
    assert CAL.is_working_day(date(2013, 12, 28))  # Saturday, worked for 3 January 2014
    assert not CAL.is_working_day(date(2014, 1, 3))


def test_extra_days_off_and_working_days_override_the_package():
    cal = WorkingCalendar(
        extra_days_off={date(2026, 11, 23)},
        extra_working_days={date(2026, 11, 21), date(2026, 12, 16)},
    )
    assert not cal.is_working_day(date(2026, 11, 23))
    assert cal.is_holiday(date(2026, 11, 23))
    assert cal.is_working_day(date(2026, 11, 21))
    assert cal.is_working_day(date(2026, 12, 16))
    assert not cal.is_holiday(date(2026, 12, 16))


def test_a_day_cannot_be_both_off_and_working():
    with pytest.raises(ValueError, match="both off and working"):
        WorkingCalendar(extra_days_off={date(2026, 1, 5)}, extra_working_days={date(2026, 1, 5)})


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 11, 23), 0, date(2026, 11, 23)),
        (date(2026, 11, 21), 0, date(2026, 11, 23)),  # Saturday -> Monday
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Friday + 1 skips the weekend
        (date(2026, 11, 23), 5, date(2026, 11, 30)),
        (date(2026, 3, 20), 1, date(2026, 3, 26)),  # over Nauryz 2026
        (date(2026, 11, 30), -1, date(2026, 11, 27)),
        (date(2026, 12, 21), -3, date(2026, 12, 15)),  # back over Independence Day
    ],
)
def test_add_working_days(start, n, expected):
    assert CAL.add_working_days(start, n) == expected


def test_next_working_day_is_strictly_after():
    assert CAL.next_working_day(date(2026, 11, 23)) == date(2026, 11, 24)
    assert CAL.next_working_day(date(2025, 12, 31)) == date(2026, 1, 5)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(2026, 11, 23, 10, 0), local(2026, 11, 23, 10, 0)),
        (local(2026, 11, 23, 9, 0), local(2026, 11, 23, 9, 0)),
        (local(2026, 11, 23, 8, 59), local(2026, 11, 23, 9, 0)),
        (local(2026, 11, 23, 0, 0), local(2026, 11, 23, 9, 0)),
        (local(2026, 11, 23, 13, 30), local(2026, 11, 23, 13, 30)),  # lunch is working time
        (local(2026, 11, 23, 18, 30), local(2026, 11, 23, 18, 30)),
        (local(2026, 11, 23, 18, 30, 1), local(2026, 11, 24, 9, 0)),
        (local(2026, 11, 23, 18, 31), local(2026, 11, 24, 9, 0)),
        (local(2026, 11, 27, 18, 31), local(2026, 11, 30, 9, 0)),  # Friday evening -> Monday
        (local(2026, 11, 21, 8, 0), local(2026, 11, 23, 9, 0)),  # Saturday morning -> Monday
        (local(2025, 3, 10, 10, 0), local(2025, 3, 11, 9, 0)),  # moved holiday
    ],
)
def test_next_opening(moment, expected):
    assert CAL.next_opening(moment) == expected


def test_localize():
    assert CAL.localize(datetime(2026, 11, 23, 10, 0)) == local(2026, 11, 23, 10, 0)
    converted = CAL.localize(datetime(2026, 11, 23, 19, 30, tzinfo=timezone.utc))
    assert (converted.date(), converted.time()) == (date(2026, 11, 24), time(0, 30))
    assert converted.tzinfo is ALMATY


def test_almaty_is_utc_plus_5():
    """Fails on tzdata older than 2024a, which still has Almaty on UTC+6."""
    assert local(2026, 11, 23, 12, 0).utcoffset() == timedelta(hours=5)


def test_working_time_between_skips_lunch_nights_and_days_off():
    assert CAL.working_time_between(local(2026, 11, 23, 9), local(2026, 11, 23, 18, 30)) == timedelta(hours=8)
    assert CAL.working_time_between(local(2026, 11, 23, 12), local(2026, 11, 23, 15)) == timedelta(hours=1, minutes=30)
    # Friday 17:30 -> Monday 10:00: one hour on Friday, one on Monday.
    assert CAL.working_time_between(local(2026, 11, 27, 17, 30), local(2026, 11, 30, 10)) == timedelta(hours=2)
    assert CAL.working_time_between(local(2026, 11, 30, 10), local(2026, 11, 27, 17, 30)) == -timedelta(hours=2)


def test_working_hours_validation_and_day_length():
    assert WorkingHours().day_length == timedelta(hours=8)
    with pytest.raises(ValueError):
        WorkingHours(start=time(14), lunch_start=time(13))


def test_with_hours_keeps_the_days():
    cal = WorkingCalendar(extra_days_off={date(2026, 11, 23)})
    other = cal.with_hours(WorkingHours(start=time(8), end=time(17)))
    assert other.hours.start == time(8)
    assert not other.is_working_day(date(2026, 11, 23))
    assert cal.with_hours(cal.hours) is cal
