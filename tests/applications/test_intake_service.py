from datetime import date

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction

from applications.models import ACTIVE_STATES, Application, Attachment, CaseEvent, CaseState, Channel, Consent, Person
from applications.services.errors import DuplicateApplication, IncompletePackage, MissingConsent, PersonDataMismatch, ServiceError
from applications.services.intake import FamilyMemberData, accept_application, refuse_to_accept
from applications.services.workflow import run_transition
from audit.models import AuditEvent, OutboxMessage
from documents.models import DocumentKind, IssuedDocument
from notifications.models import Message
from tests.factories import file_case, intake_request, simulated_people

pytestmark = pytest.mark.django_db


def test_complete_application_is_accepted_with_queue_key_receipt_and_notifications(department, users):
    case = file_case(department, users["operator"])
    assert case.state == CaseState.ACCEPTED
    assert case.accepted_at is not None and case.queue_seq > 0
    assert case.number.startswith("ALMATY-")
    assert case.queue_list.category_group == "SOCIALLY_VULNERABLE"
    assert case.result_due_at > case.accepted_at
    assert set(Consent.objects.filter(application=case).values_list("kind", flat=True)) == {
        "property_check", "personal_data", "publication"
    }
    receipt = IssuedDocument.objects.get(application=case, kind=DocumentKind.ACCEPTANCE_RECEIPT)
    assert receipt.file and len(receipt.sha256) == 64  # rendered by the outbox handler in-process
    assert receipt.context["applicant_name"] == case.applicant.full_name
    channels = set(Message.objects.filter(application=case).values_list("channel", flat=True))
    assert channels == {"cabinet", "email", "sms"}
    assert len(mail.outbox) == 1 and case.number in mail.outbox[0].subject
    assert OutboxMessage.objects.filter(delivered_at__isnull=True).count() == 0
    assert CaseEvent.objects.filter(application=case, action="accept").exists()
    assert AuditEvent.objects.filter(action="application.accepted", object_id=str(case.pk)).exists()


def test_notification_handler_run_twice_sends_once(department, users):
    from audit.relay import deliver
    from notifications.services import notify_applicant

    case = file_case(department, users["operator"])
    before = Message.objects.count()
    message = OutboxMessage.objects.get(dedupe_key=f"accepted:{case.pk}")
    assert deliver(message.pk) is False  # already delivered
    notify_applicant(case, "application_accepted", {"receipt": case.issued_documents.first()})
    assert Message.objects.count() == before


def test_second_active_application_for_same_person_and_provider_is_refused(department, users):
    first = file_case(department, users["operator"])
    with pytest.raises(DuplicateApplication) as exc:
        file_case(department, users["operator"])
    assert exc.value.existing == first
    assert Application.objects.count() == 1


def test_same_person_may_apply_to_another_provider(department, users):
    file_case(department, users["operator"])
    other = file_case(department, users["operator"], provider=department.other_provider)
    assert other.provider == department.other_provider


def test_after_withdrawal_a_new_application_is_possible(department, users):
    first = file_case(department, users["operator"])
    run_transition(first, "withdraw", actor=users["citizen"])
    second = file_case(department, users["operator"])
    assert second.queue_key > first.queue_key


@pytest.mark.parametrize("consents", [set(), {"property_check", "personal_data"}])
def test_missing_consent_changes_nothing(department, users, consents):
    with pytest.raises(MissingConsent):
        accept_application(intake_request(department, users["operator"], consents=consents))
    assert Application.objects.count() == 0 and Person.objects.count() == 0


def test_incomplete_package_raises_and_refusal_receipt_has_no_case(department, users):
    request = intake_request(department, users["operator"], documents_received={"identity_document"})
    with pytest.raises(IncompletePackage) as exc:
        accept_application(request)
    assert {dt.code for dt in exc.value.details["missing"]} >= {"address_registration", "category_certificate"}
    receipt = refuse_to_accept(
        operator=users["operator"], applicant=request.applicant, category=request.category,
        documents_received={"identity_document"}, language="kk",
    )
    assert receipt.kind == DocumentKind.REFUSAL_TO_ACCEPT_RECEIPT and receipt.application is None
    assert "category_certificate" in receipt.context["missing"]
    assert Application.objects.count() == 0


def test_category_required_under_regional_profile_only(department, users):
    with pytest.raises(ServiceError):
        file_case(department, users["operator"], provider=department.other_provider, category_code=None)
    case = file_case(department, users["operator"], category_code=None)
    assert case.category is None and case.queue_list.category_group == "GENERAL"


def test_family_member_birth_date_must_match_iin(department, users):
    member = simulated_people()[1]
    wrong = FamilyMemberData(iin=member.iin, relation="spouse", full_name=member.full_name, birth_date=date(2000, 1, 1))
    with pytest.raises(PersonDataMismatch):
        file_case(department, users["operator"], family=[wrong])
    assert Application.objects.count() == 0


def test_representative_power_of_attorney_is_checked(department, users):
    from applications.services.intake import RepresentativeData

    rep = RepresentativeData(record=simulated_people()[2], power_of_attorney_number="12345")
    with pytest.raises(ServiceError):
        file_case(department, users["operator"], representative=rep)
    revoked = RepresentativeData(record=simulated_people()[2], power_of_attorney_number="PoA-REVOKED-1")
    with pytest.raises(ServiceError):
        file_case(department, users["operator"], representative=revoked)
    good = RepresentativeData(record=simulated_people()[2], power_of_attorney_number="PoA-2026-77")
    case = file_case(department, users["operator"], representative=good)
    assert case.representative.person.iin == simulated_people()[2].iin and case.representative.notary_verified


def test_queue_key_cannot_be_updated_in_the_database(department, users):
    case = file_case(department, users["operator"])
    with pytest.raises(Exception), transaction.atomic():
        Application.objects.filter(pk=case.pk).update(queue_seq=case.queue_seq + 1000)
    with pytest.raises(Exception), transaction.atomic():
        Application.objects.filter(pk=case.pk).update(accepted_at=case.accepted_at.replace(year=2001))
    case.refresh_from_db()
    Application.objects.filter(pk=case.pk).update(contact_phone="+77770000000")  # other fields stay editable


def test_audit_events_are_append_only(department, users):
    file_case(department, users["operator"])
    event = AuditEvent.objects.first()
    with pytest.raises(Exception), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    if connection.vendor == "postgresql":  # SQLite (demo only) refuses UPDATE but not DELETE, see the migration
        with pytest.raises(Exception), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk, action=event.action).exists()


def test_state_field_is_protected(department, users):
    case = file_case(department, users["operator"])
    with pytest.raises(AttributeError):
        case.state = CaseState.QUEUED


def test_unique_active_case_is_a_database_constraint(department, users):
    case = file_case(department, users["operator"])
    duplicate = Application(
        number="X-1", provider=case.provider, settlement=case.settlement, fund=case.fund, applicant=case.applicant,
        channel=Channel.PORTAL, regulation_profile="national-2025", accepted_at=case.accepted_at, queue_seq=10**9,
        submitted_by=users["citizen"], contact_phone="+77011234567",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_transition_in_wrong_state_is_refused_and_changes_nothing(department, users):
    case = file_case(department, users["operator"])
    with pytest.raises(ServiceError):
        run_transition(case, "sign_registration", actor=users["head"])
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED and case.events.count() == 1


def test_attachments_move_from_draft_to_case(department, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications.models import DocumentType
    from applications.services import drafts
    from applications.uploads import check_upload

    draft = drafts.open_draft(users["citizen"])
    scan = check_upload(SimpleUploadedFile("a.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF"))
    attachment = drafts.attach_scan(draft, users["citizen"], DocumentType.objects.get(code="identity_document"), scan)
    case = file_case(
        department, users["citizen"], channel=Channel.PORTAL, draft=draft, attachments=[attachment],
    )
    attachment.refresh_from_db()
    assert attachment.application == case and attachment.draft is None
    assert case.filed_payload["attachments"] == [{"type": "identity_document", "sha256": scan.sha256}]


def test_active_states_cover_pending_and_queued():
    assert CaseState.QUEUED in ACTIVE_STATES and CaseState.REFUSED not in ACTIVE_STATES
