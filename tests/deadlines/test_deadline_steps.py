"""deadlines.steps: replaying a case's timeline into step instances, pauses, due soon and overdue (pure)."""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from deadlines.calendar import ALMATY, WorkingCalendar
from deadlines.due import compute_due_dates
from deadlines.profiles import NATIONAL_2025, REGIONAL_30D
from deadlines.steps import (
    DUE_SOON,
    ON_TRACK,
    OVERDUE,
    PAUSED,
    RESULT,
    current_step,
    due_soon_threshold,
    profile_step,
    status,
    step_instances,
)

CAL = WorkingCalendar()


def at(*args):
    return datetime(*args, tzinfo=ALMATY)


def case(accepted, profile=NATIONAL_2025, channel="portal", emergency=False):
    due = compute_due_dates(accepted, profile, emergency=emergency, calendar=CAL)
    return SimpleNamespace(accepted_at=accepted, result_due_at=due.result_due, channel=channel, emergency_dwelling=emergency)


def ev(moment, action, to_state=""):
    return SimpleNamespace(at=moment, action=action, to_state=to_state)


ACCEPT = "accept"


def by_step(instances):
    return {i.step: i for i in instances}


def test_a_profile_without_assignment_folds_it_into_review():
    assert profile_step(NATIONAL_2025, "assignment") == "review"
    assert profile_step(NATIONAL_2025, "handout") is None
    assert profile_step(REGIONAL_30D, "assignment") == "assignment"


def test_first_step_is_due_when_compute_due_dates_says_so():
    c = case(at(2026, 11, 23, 19, 0))  # after hours: accepted at 9:00 next day under national-2025
    events = [ev(c.accepted_at, ACCEPT, "accepted")]
    steps = step_instances(c, events, NATIONAL_2025, CAL, at(2026, 11, 24, 10, 0))
    promised = compute_due_dates(c.accepted_at, NATIONAL_2025, calendar=CAL)
    assert by_step(steps)["registration"].due_at == promised.steps["registration"] == at(2026, 11, 24, 18, 30)
    assert by_step(steps)[RESULT].due_at == c.result_due_at


def test_regional_registration_includes_the_service_centres_15_minutes():
    c = case(at(2026, 11, 23, 10, 0), REGIONAL_30D, channel="service_centre")
    steps = step_instances(c, [ev(c.accepted_at, ACCEPT, "accepted")], REGIONAL_30D, CAL, c.accepted_at)
    assert by_step(steps)["registration"].due_at == at(2026, 11, 23, 10, 30)


def test_national_walk_every_step_on_time():
    c = case(at(2026, 11, 23, 10, 0))
    events = [
        ev(at(2026, 11, 23, 10, 0), ACCEPT, "accepted"),
        ev(at(2026, 11, 23, 11, 0), "register", "registered"),
        ev(at(2026, 11, 23, 12, 0), "assign_executor", "in_review"),
        ev(at(2026, 11, 24, 10, 0), "submit_draft_decision", "awaiting_signature"),
        ev(at(2026, 11, 25, 10, 0), "sign_registration", "queued"),
        ev(at(2026, 11, 25, 15, 0), "dispatched", "queued"),
    ]
    steps = step_instances(c, events, NATIONAL_2025, CAL, at(2026, 11, 27, 12, 0))
    assert [s.step for s in steps] == ["registration", "review", "signature", "dispatch", RESULT]
    review = by_step(steps)["review"]
    assert review.started_at == at(2026, 11, 23, 11, 0)  # from registration: no separate assignment
    assert review.due_at == at(2026, 11, 24, 18, 30)
    assert review.responsible == "executor"
    assert all(s.on_time for s in steps) and not any(s.is_open for s in steps)
    assert by_step(steps)[RESULT].ended_at == at(2026, 11, 25, 15, 0)
    assert current_step(steps) is None


def test_a_late_review_and_result():
    c = case(at(2026, 11, 23, 10, 0))
    events = [
        ev(at(2026, 11, 23, 10, 0), ACCEPT, "accepted"),
        ev(at(2026, 11, 23, 11, 0), "register", "registered"),
        ev(at(2026, 11, 23, 12, 0), "assign_executor", "in_review"),
    ]
    now = at(2026, 11, 25, 9, 0)
    steps = step_instances(c, events, NATIONAL_2025, CAL, now)
    review = current_step(steps)
    assert review.step == "review" and review.is_open
    assert status(review, now, NATIONAL_2025, CAL) == OVERDUE
    assert status(by_step(steps)[RESULT], now, NATIONAL_2025, CAL) == ON_TRACK


def test_waiting_for_documents_stops_the_review_clock():
    c = case(at(2026, 11, 23, 10, 0))
    events = [
        ev(at(2026, 11, 23, 10, 0), ACCEPT, "accepted"),
        ev(at(2026, 11, 23, 11, 0), "register", "registered"),
        ev(at(2026, 11, 23, 12, 0), "assign_executor", "in_review"),
        ev(at(2026, 11, 24, 10, 0), "request_documents", "awaiting_documents"),
    ]
    now = at(2026, 11, 26, 10, 0)
    steps = step_instances(c, events, NATIONAL_2025, CAL, now)
    review = current_step(steps)
    assert status(review, now, NATIONAL_2025, CAL) == PAUSED
    assert by_step(steps)[RESULT].paused_now  # result_due_at moves when they arrive; not enforced meanwhile
    events.append(ev(at(2026, 11, 27, 10, 0), "receive_documents", "in_review"))
    steps = step_instances(c, events, NATIONAL_2025, CAL, at(2026, 11, 27, 11, 0))
    review = current_step(steps)
    assert review.paused == timedelta(days=3)
    assert review.due_at == at(2026, 11, 24, 18, 30) + timedelta(days=3)
    assert not review.paused_now


def test_a_hearing_pauses_review_until_it_is_recorded():
    c = case(at(2026, 11, 23, 10, 0))
    events = [
        ev(at(2026, 11, 23, 10, 0), ACCEPT, "accepted"),
        ev(at(2026, 11, 23, 11, 0), "register", "registered"),
        ev(at(2026, 11, 23, 12, 0), "assign_executor", "in_review"),
        ev(at(2026, 11, 23, 15, 0), "send_preliminary_refusal", "hearing"),
        ev(at(2026, 11, 25, 15, 0), "hearing_recorded", "hearing"),
    ]
    steps = step_instances(c, events, NATIONAL_2025, CAL, at(2026, 11, 25, 16, 0))
    review = current_step(steps)
    assert review.paused == timedelta(days=2) and not review.paused_now
    assert review.due_at == at(2026, 11, 26, 18, 30)


def test_sent_back_draft_starts_a_new_review():
    c = case(at(2026, 11, 23, 10, 0))
    events = [
        ev(at(2026, 11, 23, 10, 0), ACCEPT, "accepted"),
        ev(at(2026, 11, 23, 11, 0), "register", "registered"),
        ev(at(2026, 11, 23, 12, 0), "assign_executor", "in_review"),
        ev(at(2026, 11, 24, 10, 0), "submit_draft_decision", "awaiting_signature"),
        ev(at(2026, 11, 24, 11, 0), "send_back_to_executor", "in_review"),
    ]
    steps = step_instances(c, events, NATIONAL_2025, CAL, at(2026, 11, 24, 12, 0))
    assert [s.step for s in steps] == ["registration", "review", "signature", "review", RESULT]
    assert steps[3].started_at == at(2026, 11, 24, 11, 0) and steps[3].due_at == at(2026, 11, 25, 18, 30)


def test_service_centre_case_has_a_handout_step_under_regional():
    c = case(at(2026, 11, 23, 10, 0), REGIONAL_30D, channel="service_centre")
    events = [
        ev(at(2026, 11, 23, 10, 0), ACCEPT, "accepted"),
        ev(at(2026, 11, 23, 10, 20), "register", "registered"),
        ev(at(2026, 11, 24, 10, 0), "assign_executor", "in_review"),
        ev(at(2026, 12, 1, 10, 0), "submit_draft_decision", "awaiting_signature"),
        ev(at(2026, 12, 2, 10, 0), "sign_refusal", "refused"),
        ev(at(2026, 12, 3, 10, 0), "dispatched", "refused"),
    ]
    steps = step_instances(c, events, REGIONAL_30D, CAL, at(2026, 12, 3, 11, 0))
    handout = current_step(steps)
    assert handout.step == "handout" and handout.responsible == "operator"
    assert handout.due_at == at(2026, 12, 4, 23, 59, 59)
    assert not by_step(steps)[RESULT].is_open  # dispatch delivers the result; hand-out is the branch's step


def test_withdrawal_ends_steps_without_completing_them():
    c = case(at(2026, 11, 23, 10, 0))
    events = [ev(at(2026, 11, 23, 10, 0), ACCEPT, "accepted"), ev(at(2026, 11, 25, 10, 0), "withdraw", "withdrawn")]
    steps = step_instances(c, events, NATIONAL_2025, CAL, at(2026, 11, 26, 10, 0))
    registration = by_step(steps)["registration"]
    assert registration.ended_at == at(2026, 11, 25, 10, 0)
    assert not registration.completed and not registration.late  # abandoned, not done late
    assert not by_step(steps)[RESULT].completed


def test_a_case_without_timeline_has_no_steps():
    c = case(at(2026, 11, 23, 10, 0))
    assert step_instances(c, [], NATIONAL_2025, CAL, at(2026, 11, 30)) == []


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2026, 11, 24, 16, 29), ON_TRACK),  # 2 h 01 min of working time left
        (at(2026, 11, 24, 16, 30), DUE_SOON),  # 2 working hours left (25 % of 14 h would be 3.5 h)
        (at(2026, 11, 24, 18, 30), DUE_SOON),  # the due moment itself still counts
        (at(2026, 11, 24, 18, 30, 1), OVERDUE),
    ],
)
def test_due_soon_is_25_percent_or_2_working_hours_whichever_is_smaller(now, expected):
    c = case(at(2026, 11, 23, 10, 0))
    events = [
        ev(at(2026, 11, 23, 10, 0), ACCEPT, "accepted"),
        ev(at(2026, 11, 23, 11, 0), "register", "registered"),
    ]
    review = current_step(step_instances(c, events, NATIONAL_2025, CAL, now))
    assert due_soon_threshold(review, NATIONAL_2025, CAL) == timedelta(hours=2)
    assert status(review, now, NATIONAL_2025, CAL) == expected


def test_due_soon_of_a_short_step_is_a_quarter_of_it():
    c = case(at(2026, 11, 23, 10, 0), REGIONAL_30D, channel="service_centre")
    steps = step_instances(c, [ev(c.accepted_at, ACCEPT, "accepted")], REGIONAL_30D, CAL, c.accepted_at)
    registration = current_step(steps)
    assert due_soon_threshold(registration, REGIONAL_30D, CAL) == timedelta(minutes=7, seconds=30)
    assert status(registration, at(2026, 11, 23, 10, 22), REGIONAL_30D, CAL) == ON_TRACK
    assert status(registration, at(2026, 11, 23, 10, 23), REGIONAL_30D, CAL) == DUE_SOON
