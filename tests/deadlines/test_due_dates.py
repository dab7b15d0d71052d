"""compute_due_dates and helpers against CONTRACT.md "Counting rules"."""

from datetime import date, datetime, time, timedelta, timezone

import pytest

from deadlines.calendar import ALMATY, WorkingCalendar, WorkingHours
from deadlines.due import add_working_days, compute_due_dates, deadline_after, working_time_left
from deadlines.profiles import NATIONAL_2025, REGIONAL_30D, Profile, calendar_days, minutes, working_days

UTC = timezone.utc


def local(*args):
    return datetime(*args, tzinfo=ALMATY)


def at(iso):
    """An ISO string as a moment; without an offset it is Almaty local time."""
    moment = datetime.fromisoformat(iso)
    return moment if moment.tzinfo else moment.replace(tzinfo=ALMATY)


def rows(*table):
    return [pytest.param(datetime.fromisoformat(received), at(accepted), at(due), id=name)
            for received, accepted, due, name in table]


# received (naive = Almaty), accepted_at, result_due — national-2025, no emergency.
NATIONAL = rows(
    ("2026-11-23T10:00", "2026-11-23T10:00", "2026-11-26T18:30", "monday-morning"),
    ("2026-11-23T09:00", "2026-11-23T09:00", "2026-11-26T18:30", "exactly-9:00"),
    ("2026-11-23T08:59", "2026-11-23T09:00", "2026-11-26T18:30", "08:59-same-day-9:00"),
    ("2026-11-23T00:00", "2026-11-23T09:00", "2026-11-26T18:30", "midnight"),
    ("2026-11-23T13:45", "2026-11-23T13:45", "2026-11-26T18:30", "lunch-is-inside"),
    ("2026-11-23T18:30", "2026-11-23T18:30", "2026-11-26T18:30", "exactly-18:30"),
    ("2026-11-23T18:31", "2026-11-24T09:00", "2026-11-27T18:30", "18:31-next-day"),
    ("2026-11-27T18:31", "2026-11-30T09:00", "2026-12-03T18:30", "friday-evening"),
    ("2026-11-21T12:00", "2026-11-23T09:00", "2026-11-26T18:30", "saturday"),
    ("2026-11-22T23:59:59", "2026-11-23T09:00", "2026-11-26T18:30", "sunday-23:59:59"),
    ("2026-12-16T10:00", "2026-12-17T09:00", "2026-12-22T18:30", "independence-day"),
    ("2025-12-15T10:00", "2025-12-15T10:00", "2025-12-19T18:30", "counts-over-independence-day"),
    ("2025-03-10T10:00", "2025-03-11T09:00", "2025-03-14T18:30", "womens-day-moved-to-monday"),
    ("2025-03-07T18:45", "2025-03-11T09:00", "2025-03-14T18:30", "friday-before-moved-holiday"),
    ("2026-03-20T19:00", "2026-03-26T09:00", "2026-03-31T18:30", "nauryz-2026-moved-days"),
    ("2025-04-28T10:00", "2025-04-28T10:00", "2025-05-02T18:30", "counts-over-1-may"),
    ("2025-05-06T10:00", "2025-05-06T10:00", "2025-05-13T18:30", "counts-over-7-and-9-may"),
    ("2025-01-05T10:00", "2025-01-05T10:00", "2025-01-09T18:30", "decreed-working-sunday"),
    ("2025-12-31T19:00", "2026-01-05T09:00", "2026-01-09T18:30", "new-year-and-christmas"),
    ("2025-08-29T18:31", "2025-09-02T09:00", "2025-09-05T18:30", "constitution-day-moved"),
    ("2026-07-03T20:00", "2026-07-07T09:00", "2026-07-10T18:30", "capital-day-monday"),
    ("2026-11-23T19:30Z", "2026-11-24T09:00", "2026-11-27T18:30", "utc-evening-is-after-midnight-in-almaty"),
    ("2026-11-23T04:00Z", "2026-11-23T09:00", "2026-11-26T18:30", "utc-04:00-is-9:00"),
    ("2026-11-23T13:31Z", "2026-11-24T09:00", "2026-11-27T18:30", "utc-13:31-is-18:31"),
    ("2026-11-22T20:00Z", "2026-11-23T09:00", "2026-11-26T18:30", "utc-sunday-is-monday-01:00"),
    ("2026-11-23T07:00+03:00", "2026-11-23T09:00", "2026-11-26T18:30", "other-offset"),
)


@pytest.mark.parametrize(("received", "accepted", "result_due"), NATIONAL)
def test_national_acceptance_and_result(received, accepted, result_due):
    due = compute_due_dates(received, NATIONAL_2025)
    assert (due.accepted_at, due.result_due) == (accepted, result_due)
    assert due.accepted_at.utcoffset() == timedelta(hours=5)


def test_national_steps():
    due = compute_due_dates(datetime(2026, 11, 23, 10, 0), NATIONAL_2025)
    assert due.steps == {
        "registration": local(2026, 11, 23, 18, 30),
        "review": local(2026, 11, 24, 18, 30),
        "signature": local(2026, 11, 25, 18, 30),
        "dispatch": local(2026, 11, 26, 18, 30),
    }


def test_national_emergency_review_takes_three_working_days():
    due = compute_due_dates(datetime(2026, 11, 27, 18, 31), NATIONAL_2025, emergency=True)
    assert due.accepted_at == local(2026, 11, 30, 9, 0)
    assert due.steps == {
        "registration": local(2026, 11, 30, 18, 30),
        "review": local(2026, 12, 3, 18, 30),
        "signature": local(2026, 12, 3, 18, 30),
        "dispatch": local(2026, 12, 3, 18, 30),
    }
    assert due.result_due == local(2026, 12, 3, 18, 30)


def test_regional_steps_are_consecutive_and_end_of_day():
    due = compute_due_dates(datetime(2026, 11, 23, 10, 0), REGIONAL_30D)
    assert due.accepted_at == local(2026, 11, 23, 10, 0)
    assert due.steps == {
        "intake": local(2026, 11, 23, 10, 15),
        "registration": local(2026, 11, 23, 10, 30),
        "assignment": local(2026, 11, 24, 23, 59, 59),
        "review": local(2026, 12, 19, 23, 59, 59),
        "signature": local(2026, 12, 20, 23, 59, 59),
        "dispatch": local(2026, 12, 21, 23, 59, 59),
        "handout": local(2026, 12, 22, 23, 59, 59),
    }
    assert due.result_due == local(2026, 12, 23, 23, 59, 59)


@pytest.mark.parametrize(
    ("received", "accepted", "result_due"),
    rows(
        ("2026-11-21T22:00", "2026-11-21T22:00", "2026-12-21T23:59:59", "weekends-do-not-matter"),
        ("2026-03-22T03:00", "2026-03-22T03:00", "2026-04-21T23:59:59", "holidays-do-not-matter"),
        ("2026-11-23T19:30Z", "2026-11-24T00:30", "2026-12-24T23:59:59", "utc-across-midnight"),
        ("2026-11-23T00:00", "2026-11-23T00:00", "2026-12-23T23:59:59", "midnight"),
    ),
)
def test_regional_acceptance_is_the_received_moment(received, accepted, result_due):
    due = compute_due_dates(received, REGIONAL_30D)
    assert (due.accepted_at, due.result_due) == (accepted, result_due)


def test_regional_minutes_cross_midnight_and_still_fit():
    due = compute_due_dates(datetime(2026, 11, 23, 23, 50), REGIONAL_30D)
    assert due.steps["intake"] == local(2026, 11, 24, 0, 5)
    assert due.steps["registration"] == local(2026, 11, 24, 0, 20)
    assert due.steps["handout"] == due.result_due == local(2026, 12, 23, 23, 59, 59)


def test_emergency_changes_nothing_under_regional():
    received = datetime(2026, 11, 23, 10, 0)
    assert compute_due_dates(received, REGIONAL_30D, emergency=True) == compute_due_dates(received, REGIONAL_30D)


def sample_moments():
    """Every 97 minutes over spans with weekends, moved holidays, decrees and New Year."""
    for start in (datetime(2024, 12, 25), datetime(2025, 2, 28), datetime(2026, 3, 14), datetime(2026, 12, 10)):
        moment = start
        while moment < start + timedelta(days=25):
            yield moment
            moment += timedelta(minutes=97)


@pytest.mark.parametrize("profile", [NATIONAL_2025, REGIONAL_30D], ids=lambda p: p.code)
@pytest.mark.parametrize("emergency", [False, True])
def test_steps_are_ordered_and_inside_the_total(profile, emergency):
    calendar = WorkingCalendar()
    for received in sample_moments():
        due = compute_due_dates(received, profile, emergency=emergency, calendar=calendar)
        moments = [due.accepted_at, *due.steps.values()]
        assert moments == sorted(moments), received
        assert moments[-1] <= due.result_due, received
        assert due.accepted_at >= calendar.localize(received)
        if profile.after_hours_next_working_day:
            assert calendar.is_working_time(due.accepted_at), received


def test_injected_days_off_and_working_days():
    calendar = WorkingCalendar(extra_days_off={date(2026, 11, 24)}, extra_working_days={date(2026, 11, 28)})
    due = compute_due_dates(datetime(2026, 11, 23, 19, 0), NATIONAL_2025, calendar=calendar)
    # Tuesday decreed off, Saturday decreed working: accepted Wednesday, then Thu, Fri, Sat.
    assert due.accepted_at == local(2026, 11, 25, 9, 0)
    assert due.result_due == local(2026, 11, 28, 18, 30)


def test_profile_hours_override_the_calendars():
    profile = Profile(
        code="short-day", title="short day", steps={"review": working_days(1)}, total=working_days(2),
        after_hours_next_working_day=True, working_hours=WorkingHours(start=time(10), end=time(17)),
    )
    due = compute_due_dates(datetime(2026, 11, 23, 9, 30), profile)
    assert due.accepted_at == local(2026, 11, 23, 10, 0)
    assert due.steps["review"] == local(2026, 11, 24, 17, 0)
    assert compute_due_dates(datetime(2026, 11, 23, 17, 1), profile).accepted_at == local(2026, 11, 24, 10, 0)


def test_as_json_is_local_iso_to_the_second():
    due = compute_due_dates(datetime(2026, 11, 22, 20, 0, 0, 123456, tzinfo=UTC), REGIONAL_30D)
    data = due.as_json()
    assert data["accepted_at"] == "2026-11-23T01:00:00+05:00"
    assert data["steps"]["intake"] == "2026-11-23T01:15:00+05:00"
    assert data["result_due"] == "2026-12-23T23:59:59+05:00"


@pytest.mark.parametrize(
    ("start", "limit", "expected"),
    [
        (local(2026, 11, 23, 10, 0), minutes(15), local(2026, 11, 23, 10, 15)),
        (local(2026, 11, 23, 10, 0), calendar_days(0), local(2026, 11, 23, 23, 59, 59)),
        (local(2026, 11, 23, 10, 0), calendar_days(1), local(2026, 11, 24, 23, 59, 59)),
        (local(2026, 11, 23, 10, 0), working_days(0), local(2026, 11, 23, 18, 30)),
        (local(2026, 11, 27, 10, 0), working_days(1), local(2026, 11, 30, 18, 30)),
        (local(2026, 11, 23, 10, 0), working_days(5), local(2026, 11, 30, 18, 30)),
    ],
)
def test_deadline_after(start, limit, expected):
    assert deadline_after(start, limit) == expected


def test_add_working_days_forwards_and_back():
    assert add_working_days(datetime(2026, 11, 27, 10, 0), 1) == local(2026, 11, 30, 18, 30)
    assert add_working_days(local(2026, 12, 22, 18, 30), -3) == local(2026, 12, 17, 18, 30)


def test_time_left_in_working_time():
    left = working_time_left(datetime(2026, 11, 23, 10, 0), local(2026, 11, 26, 18, 30), NATIONAL_2025)
    assert (left.working, left.overdue, left.days, left.hours, left.minutes) == (True, False, 3, 7, 0)


def test_time_left_ignores_nights_and_weekends():
    left = working_time_left(local(2026, 11, 27, 18, 0), local(2026, 11, 30, 18, 30), NATIONAL_2025)
    assert (left.days, left.hours, left.minutes) == (1, 0, 30)


def test_overdue_working_time():
    left = working_time_left(local(2026, 11, 27, 10, 15), local(2026, 11, 26, 18, 30), NATIONAL_2025)
    assert left.overdue and left.remaining == -timedelta(hours=1, minutes=15)
    assert (left.days, left.hours, left.minutes) == (0, 1, 15)
    just_after_closing = working_time_left(local(2026, 11, 26, 18, 45), local(2026, 11, 26, 18, 30), NATIONAL_2025)
    assert just_after_closing.overdue


def test_time_left_in_calendar_time():
    left = working_time_left(datetime(2026, 11, 23, 10, 0), local(2026, 12, 23, 23, 59, 59), REGIONAL_30D)
    assert (left.working, left.overdue, left.days, left.hours, left.minutes) == (False, False, 30, 13, 59)
    late = working_time_left(datetime(2026, 12, 24, 1, 0), local(2026, 12, 23, 23, 59, 59), REGIONAL_30D)
    assert late.overdue and (late.days, late.hours, late.minutes) == (0, 1, 0)
