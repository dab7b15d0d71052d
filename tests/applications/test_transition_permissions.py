"""Every case transition: the allowed role succeeds, every other role is refused, wrong states are refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from applications.models import CaseState, DecisionKind, DocumentType
from applications.services import review
from applications.services.errors import ServiceError
from applications.services.workflow import NotPermitted, run_transition
from deadlines.due import add_working_days
from tests.factories import file_case, simulated_people

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eds_not_required")]  # signing: tests/signatures/

ROLES = ["citizen", "operator", "clerk", "head", "executor", "admin", "auditor"]
OWNER = "owns a dwelling now"


def person(note=None):
    from eligibility.adapters import get_individuals_registry

    registry = get_individuals_registry()
    if note is None:
        return next(p for p in simulated_people() if p.iin == "900215300126")
    return next(p for p in registry.all_people() if note in registry.raw(p.iin).get("demo_note", ""))


def hearing_time():
    return add_working_days(timezone.now(), 1) - timedelta(hours=3)


def at(state, dept, users):
    """A fresh case walked to `state` by the right people."""
    case = file_case(dept, users["operator"], person=person(OWNER if state in ("hearing", "hearing_recorded") else None))
    if state == "accepted":
        return case
    review.register_case(case, users["clerk"])
    if state == "registered":
        return case
    review.assign_executor(case, users["head"], users["executor"])
    if state == "awaiting_documents":
        review.request_documents(case, users["executor"], list(DocumentType.objects.filter(code="category_certificate")))
        return case
    check = review.run_eligibility(case, users["executor"])
    if state == "in_review":
        return case
    if state in ("hearing", "hearing_recorded"):
        review.send_preliminary_refusal(case, users["executor"], grounds=check.grounds, reasoning="r",
                                        hearing_at=hearing_time(), place="Room 1")
        if state == "hearing_recorded":
            review.record_hearing(case, users["executor"], attended=False, position="")
        return case
    review.draft_decision(case, users["executor"], kind=DecisionKind.REGISTRATION)
    if state == "awaiting_signature":
        return case
    review.sign_decision(case, users["head"])
    return case


def _types():
    return list(DocumentType.objects.filter(code="address_registration"))


# action: (source state, allowed role, the call, target state)
TRANSITIONS = {
    "register": ("accepted", "clerk", lambda c, u, us: review.register_case(c, u), CaseState.REGISTERED),
    "assign_executor": ("registered", "head", lambda c, u, us: review.assign_executor(c, u, us["executor"]), CaseState.IN_REVIEW),
    "request_documents": ("in_review", "executor", lambda c, u, us: review.request_documents(c, u, _types()), CaseState.AWAITING_DOCUMENTS),
    "receive_documents": ("awaiting_documents", "executor", lambda c, u, us: review.receive_documents(c, u), CaseState.IN_REVIEW),
    "return_incomplete": ("in_review", "executor", lambda c, u, us: review.return_incomplete(c, u, _types()), CaseState.RETURNED),
    "send_preliminary_refusal": (
        "in_review", "executor",
        lambda c, u, us: review.send_preliminary_refusal(c, u, grounds=["UNRELIABLE_DATA"], reasoning="r", override_reason="o",
                                                         hearing_at=hearing_time(), place="Room 1"),
        CaseState.HEARING,
    ),
    "submit_draft_decision": ("in_review", "executor", lambda c, u, us: review.draft_decision(c, u, kind=DecisionKind.REGISTRATION), CaseState.AWAITING_SIGNATURE),
    "final_refusal": (
        "hearing_recorded", "executor",
        lambda c, u, us: review.draft_decision(c, u, kind=DecisionKind.REFUSAL, grounds=["OWNED_HOUSING_5Y"], reasoning="r"),
        CaseState.AWAITING_SIGNATURE,
    ),
    "send_back_to_executor": ("awaiting_signature", "head", lambda c, u, us: review.send_back(c, u, "fix"), CaseState.IN_REVIEW),
    "sign": ("awaiting_signature", "head", lambda c, u, us: review.sign_decision(c, u), CaseState.QUEUED),
    "withdraw": ("registered", "citizen", lambda c, u, us: review.withdraw(c, u), CaseState.WITHDRAWN),
    "remove_from_register": ("queued", "admin", lambda c, u, us: _after_place(c, u, "remove_from_register"), CaseState.REMOVED),
    "mark_housed": ("queued", "head", lambda c, u, us: _after_place(c, u, "mark_housed"), CaseState.HOUSED),
}


def _after_place(case, user, name):
    """These transitions follow the queue's own procedure, which closes the place first (queues.services)."""
    from django.db import transaction

    from queues.models import QueueEntry
    from queues.services import entries

    with transaction.atomic():
        entry = QueueEntry.objects.get(application=case)
        if name == "mark_housed":
            entries.house_entry(entry, decision_number="D-1")
        else:
            entries.remove_entry(entry, ground="OWN_REQUEST", legal_basis="art. 73", request_id=0)
        return run_transition(case, name, actor=user)


@pytest.mark.parametrize("name", ["remove_from_register", "mark_housed"])
def test_no_one_click_removal_or_housing(department, users, name):
    """Without the removal flow or a signed housing decision the case transition is refused, whoever asks."""
    case = at("queued", department, users)
    for role in ("admin", "head"):
        with pytest.raises(ServiceError):
            run_transition(case, name, actor=users[role])
    assert case.__class__.objects.get(pk=case.pk).state == CaseState.QUEUED


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_allowed_role_only(department, users, action):
    source, allowed, call, target = TRANSITIONS[action]
    case = at(source, department, users)
    before = case.__class__.objects.get(pk=case.pk).state
    for role in ROLES:
        if role == allowed or (action == "withdraw" and role == "operator"):  # withdrawal on written request at the ЦОН
            continue
        if action == "remove_from_register" and role == "head":  # the head approves removals (queues.services.removals)
            continue
        with pytest.raises((NotPermitted, ServiceError)):
            call(case, users[role], users)
        assert case.__class__.objects.get(pk=case.pk).state == before, (action, role)
    call(case, users[allowed], users)
    assert case.__class__.objects.get(pk=case.pk).state == target


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_wrong_state_is_refused(department, users, action):
    source, allowed, call, target = TRANSITIONS[action]
    wrong = {"withdraw": "queued"}.get(action, "accepted" if source != "accepted" else "in_review")
    case = at(wrong, department, users)
    before = case.__class__.objects.get(pk=case.pk).state
    with pytest.raises(ServiceError):
        call(case, users[allowed], users)
    assert case.__class__.objects.get(pk=case.pk).state == before
