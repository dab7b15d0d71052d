"""The department's work on a case, service by service (DOMAIN.md §3), with roles and states."""

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from applications.models import CaseState, DecisionKind, DocumentType
from applications.selectors import queue_position
from applications.services import complaints, review
from applications.services.errors import ServiceError
from applications.services.workflow import NotPermitted
from deadlines.due import add_working_days
from documents.models import DocumentKind
from notifications.models import Message
from tests.factories import file_case, simulated_people

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eds_not_required")]  # signing: tests/signatures/

ELIGIBLE = "900215300126"  # the demo citizen: no property, long residence


def person(iin):
    return next(p for p in simulated_people() if p.iin == iin)


def person_by_note(fragment):
    from eligibility.adapters import get_individuals_registry

    registry = get_individuals_registry()
    iin = next(row for row in (registry.raw(p.iin) for p in registry.all_people()) if fragment in row.get("demo_note", ""))["iin"]
    return registry.find_person(iin)


def on_commit():
    return TestCase.captureOnCommitCallbacks(execute=True)


def to_review(dept, users, applicant=None, **kwargs):
    case = file_case(dept, users["operator"], person=applicant or person(ELIGIBLE), **kwargs)
    review.register_case(case, users["clerk"])
    return review.assign_executor(case, users["head"], users["executor"])


def registered_in_queue(dept, users, applicant=None):
    case = to_review(dept, users, applicant)
    review.run_eligibility(case, users["executor"])
    review.draft_decision(case, users["executor"], kind=DecisionKind.REGISTRATION)
    with on_commit():
        decision = review.sign_decision(case, users["head"])
    return decision


def test_registration_path_ends_with_a_signed_notification_and_dispatch(department, users):
    decision = registered_in_queue(department, users)
    case = decision.application
    case.refresh_from_db()
    assert case.state == CaseState.QUEUED
    assert decision.queue_number == 1
    assert decision.document.kind == DocumentKind.REGISTRATION_NOTIFICATION
    assert decision.document.context["queue_number"] == 1
    decision.document.refresh_from_db()
    assert decision.document.file and decision.document.sha256
    with on_commit():
        review.dispatch_decision(case, users["clerk"])
        review.dispatch_decision(case, users["clerk"])  # a second click sends nothing twice
    sent = Message.objects.filter(application=case, kind="decision_dispatched")
    assert sorted(sent.values_list("channel", flat=True)) == ["cabinet", "email", "sms"]
    review.hand_out(case, users["operator"])
    decision.refresh_from_db()
    assert decision.handed_out_by == users["operator"]
    actions = list(case.events.values_list("action", flat=True))
    assert actions == ["accept", "register", "assign_executor", "eligibility_checked", "submit_draft_decision",
                       "sign_registration", "dispatched", "handed_out"]


def test_refusal_goes_through_preliminary_decision_and_hearing(department, users):
    owner = person_by_note("owns a dwelling now")
    case = to_review(department, users, owner)
    check = review.run_eligibility(case, users["executor"])
    assert not check.eligible and "OWNED_HOUSING_5Y" in check.grounds
    assert any("IIN" in f["text"] for f in check.findings)
    with pytest.raises(ServiceError):  # registering against the engine needs a written override
        review.draft_decision(case, users["executor"], kind=DecisionKind.REGISTRATION)
    with pytest.raises(ServiceError):  # a refusal must first be preliminary
        review.draft_decision(case, users["executor"], kind=DecisionKind.REFUSAL, grounds=check.grounds, reasoning="x")
    hearing_at = add_working_days(timezone.now(), 1) - timedelta(hours=2)
    with on_commit():
        hearing = review.send_preliminary_refusal(
            case, users["executor"], grounds=check.grounds, reasoning="Owns a flat.", hearing_at=hearing_at, place="Room 12"
        )
    case.refresh_from_db()
    assert case.state == CaseState.HEARING
    assert hearing.notice_document.kind == DocumentKind.PRELIMINARY_DECISION
    assert Message.objects.filter(application=case, kind="preliminary_refusal").count() == 3
    with pytest.raises(ServiceError):
        review.draft_decision(case, users["executor"], kind=DecisionKind.REFUSAL, grounds=check.grounds, reasoning="x")
    review.record_hearing(case, users["executor"], attended=True, position="I sold it last week.")
    review.draft_decision(case, users["executor"], kind=DecisionKind.REFUSAL, grounds=check.grounds, reasoning="Still owned on the register.")
    with on_commit():
        decision = review.sign_decision(case, users["head"])
    case.refresh_from_db()
    assert case.state == CaseState.REFUSED
    assert decision.document.kind == DocumentKind.REASONED_REFUSAL
    assert decision.document.context["grounds"] == check.grounds


def test_override_is_allowed_with_a_reason_and_logged(department, users):
    case = to_review(department, users, person_by_note("owns a dwelling now"))
    review.run_eligibility(case, users["executor"])
    decision = review.draft_decision(case, users["executor"], kind=DecisionKind.REGISTRATION,
                                     override_reason="The registry record is outdated; sale contract attached.")
    assert decision.override_reason
    assert case.events.filter(action="eligibility_override").exists()


def test_head_can_send_the_draft_back_with_a_comment(department, users):
    case = to_review(department, users)
    review.run_eligibility(case, users["executor"])
    review.draft_decision(case, users["executor"], kind=DecisionKind.REGISTRATION)
    with pytest.raises(ServiceError):
        review.send_back(case, users["head"], "")
    review.send_back(case, users["head"], "Check the family composition.")
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    review.draft_decision(case, users["executor"], kind=DecisionKind.REGISTRATION)  # a fresh draft is allowed


def test_document_request_stops_the_clock(department, users):
    case = to_review(department, users)
    due_before = case.result_due_at
    doc = DocumentType.objects.get(code="category_certificate")
    with on_commit():
        request = review.request_documents(case, users["executor"], [doc], "Please bring the certificate.")
    assert Message.objects.filter(application=case, kind="documents_requested", channel="sms").exists()
    request.requested_at = timezone.now() - timedelta(days=2)
    request.save()
    case = review.receive_documents(case, users["executor"])
    assert case.state == CaseState.IN_REVIEW
    assert case.result_due_at - due_before >= timedelta(days=2) - timedelta(seconds=5)


def test_return_incomplete_closes_the_case_and_frees_a_new_application(department, users):
    case = to_review(department, users)
    review.return_incomplete(case, users["executor"], [DocumentType.objects.get(code="address_registration")])
    case.refresh_from_db()
    assert case.state == CaseState.RETURNED
    file_case(department, users["operator"], person=person(ELIGIBLE))


@pytest.mark.parametrize(
    "action, allowed, forbidden",
    [
        ("register", "clerk", ["head", "executor", "operator", "admin", "auditor", "citizen"]),
        ("assign", "head", ["clerk", "executor", "admin", "auditor"]),
    ],
)
def test_transition_roles(department, users, action, allowed, forbidden):
    case = file_case(department, users["operator"], person=person(ELIGIBLE))
    if action == "assign":
        review.register_case(case, users["clerk"])
    run = {
        "register": lambda who: review.register_case(case, users[who]),
        "assign": lambda who: review.assign_executor(case, users[who], users["executor"]),
    }[action]
    for who in forbidden:
        with pytest.raises(NotPermitted):
            run(who)
    run(allowed)


def test_only_the_assigned_executor_reviews(department, users):
    case = to_review(department, users)
    with pytest.raises(NotPermitted):
        review.run_eligibility(case, users["other_executor"])
    review.assign_executor(case, users["head"], users["other_executor"], reason="Holiday")
    review.run_eligibility(case, users["other_executor"])
    with pytest.raises(NotPermitted):
        review.run_eligibility(case, users["executor"])


def test_reassignment_needs_a_reason(department, users):
    case = to_review(department, users)
    with pytest.raises(ServiceError):
        review.assign_executor(case, users["head"], users["other_executor"])


def test_signing_twice_or_in_the_wrong_state_is_refused(department, users):
    decision = registered_in_queue(department, users)
    with pytest.raises(ServiceError):
        review.sign_decision(decision.application, users["head"])


def test_withdraw_before_decision_only(department, users):
    case = to_review(department, users)
    review.withdraw(case, users["citizen"], "Found housing")
    case.refresh_from_db()
    assert case.state == CaseState.WITHDRAWN
    decision = registered_in_queue(department, users, person(ELIGIBLE))
    with pytest.raises(ServiceError):
        review.withdraw(decision.application, users["citizen"])


def test_pending_case_ahead_holds_its_place(department, users):
    """DOMAIN.md §7: a notified number never grows; a refusal ahead moves people forward."""
    ahead = to_review(department, users, person_by_note("owns a dwelling now"))
    behind = registered_in_queue(department, users, person(ELIGIBLE))
    assert behind.queue_number == 2  # the pending case ahead is counted
    review.run_eligibility(ahead, users["executor"])
    review.draft_decision(ahead, users["executor"], kind=DecisionKind.REGISTRATION, override_reason="Documents prove the sale.")
    review.sign_decision(ahead, users["head"])
    assert queue_position(behind.application) == 2  # registered ahead: nothing changes behind


def test_refusal_ahead_moves_everyone_forward(department, users):
    ahead = to_review(department, users, person_by_note("owns a dwelling now"))
    behind = registered_in_queue(department, users, person(ELIGIBLE))
    assert behind.queue_number == 2
    review.withdraw(ahead, users["operator"], "Written request")
    behind.application.refresh_from_db()
    assert queue_position(behind.application) == 1


def test_complaint_is_answered_with_a_document(department, users):
    decision = registered_in_queue(department, users)
    case = decision.application
    with pytest.raises(ServiceError):
        complaints.file_complaint(case, users["citizen"], subject="inaction", text="Too slow")
    complaint = complaints.file_complaint(case, users["citizen"], subject="decision", text="My number should be lower.")
    assert complaint.answer_due_at > complaint.settle_due_at > complaint.filed_at
    with pytest.raises(NotPermitted):
        complaints.answer_complaint(complaint, users["clerk"], answer="No", upheld=False)
    with on_commit():
        answered = complaints.answer_complaint(complaint, users["head"], answer="The number is correct.", upheld=False)
    assert answered.answer_document.kind == DocumentKind.COMPLAINT_ANSWER
    assert Message.objects.filter(application=case, kind="complaint_answered", channel="cabinet").exists()


def test_other_citizen_cannot_complain_or_withdraw(department, users):
    case = to_review(department, users)
    with pytest.raises(NotPermitted):
        complaints.file_complaint(case, users["other_citizen"], subject="inaction", text="x")
    with pytest.raises(ServiceError):
        review.withdraw(case, users["other_citizen"])


def test_registration_with_another_provider_is_already_registered(department, users):
    from accounts.models import Role
    from tests.factories import UserFactory

    registered_in_queue(department, users, person(ELIGIBLE))
    other_staff = {r: UserFactory(username=f"aktobe-{r}", role=role, provider=department.other_provider)
                   for r, role in (("clerk", Role.CLERK), ("head", Role.HEAD), ("executor", Role.EXECUTOR))}
    case = file_case(department, users["operator"], person=person(ELIGIBLE), provider=department.other_provider)
    review.register_case(case, other_staff["clerk"])
    review.assign_executor(case, other_staff["head"], other_staff["executor"])
    check = review.run_eligibility(case, other_staff["executor"])
    assert "ALREADY_REGISTERED" in check.grounds


def test_pending_application_elsewhere_is_not_a_registration(department, users):
    file_case(department, users["operator"], person=person(ELIGIBLE), provider=department.other_provider)
    case = to_review(department, users)
    assert "ALREADY_REGISTERED" not in review.run_eligibility(case, users["executor"]).grounds
