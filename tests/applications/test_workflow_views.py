"""The case action endpoints: one form, one service, clear errors, nothing half-saved."""

import pytest
from django.urls import reverse

from applications.models import CaseState, Complaint, Decision
from applications.services import review
from tests.factories import file_case, simulated_people

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eds_not_required")]  # signing: tests/signatures/

CITIZEN_IIN = "900215300126"


def citizen_case(department, users):
    person = next(p for p in simulated_people() if p.iin == CITIZEN_IIN)
    return file_case(department, users["operator"], person=person)


def act(client, case, action, data=None):
    return client.post(reverse("applications:case_action", args=[case.number, action]), data or {})


def test_clerk_registers_through_the_page(department, users, login):
    case = citizen_case(department, users)
    response = act(login(users["clerk"]), case, "register")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.REGISTERED


@pytest.mark.parametrize("who, status", [("head", 403), ("executor", 404), ("citizen", 403), ("other_clerk", 404), ("operator", 403)])
def test_wrong_roles_cannot_register(department, users, login, who, status):
    case = citizen_case(department, users)
    response = act(login(users[who]), case, "register")
    assert response.status_code == status
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED


def test_assign_with_an_executor_of_another_provider_is_rejected(department, users, login):
    case = citizen_case(department, users)
    review.register_case(case, users["clerk"])
    from accounts.models import Role
    from tests.factories import UserFactory

    stranger = UserFactory(username="exec-aktobe", role=Role.EXECUTOR, provider=department.other_provider)
    response = act(login(users["head"]), case, "assign", {"executor": stranger.pk})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.state == CaseState.REGISTERED and case.assigned_executor is None


def test_full_registration_through_the_pages(department, users, login, client):
    case = citizen_case(department, users)
    assert act(login(users["clerk"]), case, "register").status_code == 302
    assert act(login(users["head"]), case, "assign", {"executor": users["executor"].pk}).status_code == 302
    assert act(login(users["executor"]), case, "eligibility").status_code == 302
    page = client.get(reverse("applications:staff_case", args=[case.number]))
    assert page.status_code == 200 and b"/do/draft/" in page.content
    assert act(client, case, "draft", {"kind": "registration"}).status_code == 302
    assert act(login(users["head"]), case, "sign").status_code == 302
    assert act(login(users["clerk"]), case, "dispatch").status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.QUEUED
    decision = Decision.objects.get(application=case)
    assert decision.queue_number == 1 and decision.dispatched_at
    cabinet = login(users["citizen"]).get(reverse("applications:case_status", args=[case.number]))
    assert cabinet.status_code == 200 and decision.document.number.encode() in cabinet.content


def test_refusal_draft_without_reasoning_changes_nothing(department, users, login):
    case = citizen_case(department, users)
    review.register_case(case, users["clerk"])
    review.assign_executor(case, users["head"], users["executor"])
    review.run_eligibility(case, users["executor"])
    response = act(login(users["executor"]), case, "preliminary_refusal", {"grounds": ["UNRELIABLE_DATA"], "reasoning": "", "place": ""})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW and not case.hearings.exists()


def test_unknown_action_is_404(department, users, login):
    case = citizen_case(department, users)
    assert act(login(users["clerk"]), case, "delete-everything").status_code == 404


def test_citizen_withdraws_with_confirmation(department, users, login):
    case = citizen_case(department, users)
    client = login(users["citizen"])
    url = reverse("applications:withdraw", args=[case.number])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": "moved"}).status_code == 200  # confirmation box not ticked
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED
    assert client.post(url, {"reason": "moved", "confirm": "on"}).status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.WITHDRAWN


def test_other_citizen_cannot_open_withdraw(department, users, login):
    case = citizen_case(department, users)
    assert login(users["other_citizen"]).get(reverse("applications:withdraw", args=[case.number])).status_code == 404


def test_complaint_filed_and_answered_through_the_pages(department, users, login):
    case = citizen_case(department, users)
    client = login(users["citizen"])
    response = client.post(reverse("applications:complain", args=[case.number]), {"subject": "inaction", "text": "Nobody calls me."})
    assert response.status_code == 302
    complaint = Complaint.objects.get(application=case)
    clerk = login(users["clerk"])
    page = clerk.get(reverse("applications:complaint", args=[complaint.number]))
    assert page.status_code == 200 and b"<textarea" not in page.content  # only the head answers
    assert clerk.post(reverse("applications:complaint", args=[complaint.number]), {"answer": "x"}).status_code == 403
    head = login(users["head"])
    assert head.get(reverse("applications:complaints")).status_code == 200
    response = head.post(reverse("applications:complaint", args=[complaint.number]), {"answer": "We are on it.", "settled": "on"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.state == "settled" and complaint.answer_document


def test_operator_hands_out_dispatched_result(department, users, login):
    case = citizen_case(department, users)
    review.register_case(case, users["clerk"])
    review.assign_executor(case, users["head"], users["executor"])
    review.run_eligibility(case, users["executor"])
    review.draft_decision(case, users["executor"], kind="registration")
    review.sign_decision(case, users["head"])
    review.dispatch_decision(case, users["clerk"])
    operator = login(users["operator"])
    home = operator.get(reverse("applications:operator_home"))
    assert case.number.encode() in home.content
    assert act(operator, case, "hand_out").status_code == 302
    assert Decision.objects.get(application=case).handed_out_by == users["operator"]
    assert act(login(users["other_operator"]), case, "hand_out").status_code == 404


def test_citizen_uploads_a_requested_document(department, users, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications.models import DocumentType

    case = citizen_case(department, users)
    review.register_case(case, users["clerk"])
    review.assign_executor(case, users["head"], users["executor"])
    wanted = DocumentType.objects.get(code="category_certificate")
    review.request_documents(case, users["executor"], [wanted])
    client = login(users["citizen"])
    url = reverse("applications:upload_requested", args=[case.number])
    not_requested = DocumentType.objects.get(code="medical_certificate")
    client.post(url, {"document_type": not_requested.pk, "file": SimpleUploadedFile("a.pdf", b"%PDF-1.4 x\n%%EOF\n")})
    assert not case.attachments.exists()
    client.post(url, {"document_type": wanted.pk, "file": SimpleUploadedFile("a.exe", b"MZ\x90\x00")})
    assert not case.attachments.exists()
    response = client.post(url, {"document_type": wanted.pk, "file": SimpleUploadedFile("a.pdf", b"%PDF-1.4 x\n%%EOF\n")})
    assert response.status_code == 302
    assert case.attachments.get().document_type == wanted
    assert case.events.filter(action="document_uploaded").exists()
