"""Complaints to the head of the provider (DOMAIN.md §3): answered within 5 working days, settled within 3."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import enqueue, record_event
from core.sequences import DOCUMENT_NUMBER, next_value
from deadlines.due import deadline_after
from deadlines.services import calendar_for, profile_for_case
from documents.models import DocumentKind
from documents.services import issue_document

from ..models import Complaint, ComplaintState, ComplaintSubject
from .errors import ServiceError
from .workflow import lock_case, log_case_event, require_action

MAX_COMPLAINT_LENGTH = 5000


def file_complaint(application, applicant, *, subject: str, text: str) -> Complaint:
    """About a signed decision, or about inaction on a case still pending."""
    text = (text or "").strip()
    if subject not in ComplaintSubject.values:
        raise ServiceError(_("Choose what the complaint is about."))
    if not text:
        raise ServiceError(_("Write the complaint."))
    if len(text) > MAX_COMPLAINT_LENGTH:
        raise ServiceError(_("The complaint is too long (at most %(n)d characters).") % {"n": MAX_COMPLAINT_LENGTH})
    with transaction.atomic():
        case = lock_case(application)
        require_action(applicant, "file_complaint", case)
        if subject == ComplaintSubject.DECISION and not case.decisions.filter(signed_at__isnull=False).exists():
            raise ServiceError(_("There is no decision on this case yet; you may complain about inaction instead."))
        if subject == ComplaintSubject.INACTION and not case.is_pending:
            raise ServiceError(_("The case has been decided; complain about the decision instead."))
        if case.complaints.filter(state__in=[ComplaintState.REGISTERED, ComplaintState.ASSIGNED], subject=subject).exists():
            raise ServiceError(_("Your complaint on this case is already being considered."))
        now = timezone.now()
        profile = profile_for_case(case)
        calendar = calendar_for(profile)
        complaint = Complaint.objects.create(
            application=case,
            number=f"SH-{timezone.localtime(now):%Y}-{next_value(DOCUMENT_NUMBER):08d}",
            subject=subject,
            text=text,
            filed_by=applicant,
            filed_at=now,
            answer_due_at=deadline_after(now, profile.complaint_review_by_provider, calendar),
            settle_due_at=deadline_after(now, profile.complaint_settle_by_provider, calendar),
        )
        log_case_event(case, actor=applicant, action="complaint_filed", comment=complaint.number)
        return complaint


def assign_complaint(complaint, head, assignee) -> Complaint:
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().select_related("application").get(pk=complaint.pk)
        require_action(head, "answer_complaint", complaint.application)
        if complaint.state not in (ComplaintState.REGISTERED, ComplaintState.ASSIGNED):
            raise ServiceError(_("The complaint has already been answered."))
        if assignee.provider_id != complaint.application.provider_id or not assignee.is_department_staff:
            raise ServiceError(_("Choose an employee of this department."))
        complaint.assigned_to = assignee
        complaint.state = ComplaintState.ASSIGNED
        complaint.save(update_fields=["assigned_to", "state"])
        record_event(actor=head, action="complaint.assigned", obj=complaint, data={"to": assignee.pk})
        return complaint


def answer_complaint(complaint, head, *, answer: str, upheld: bool, settled: bool = False) -> Complaint:
    """`settled`: the department itself puts things right (within 3 working days)."""
    answer = (answer or "").strip()
    if not answer:
        raise ServiceError(_("Write the answer."))
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
        case = lock_case(complaint.application)
        require_action(head, "answer_complaint", case)
        if complaint.state in (ComplaintState.ANSWERED, ComplaintState.SETTLED):
            return complaint  # a second click changes nothing
        now = timezone.now()
        document = issue_document(
            kind=DocumentKind.COMPLAINT_ANSWER, issued_by=head, application=case, person_iin=case.applicant.iin,
            language=case.language,
            context={
                "application_number": case.number,
                "applicant_name": case.applicant.full_name,
                "complaint_number": complaint.number,
                "filed_at": complaint.filed_at.isoformat(),
                "complaint_text": complaint.text,
                "answer": answer,
                "upheld": upheld,
                "settled": settled,
                "signed_by": head.display_name,
            },
        )
        complaint.answer = answer
        complaint.upheld = upheld
        complaint.state = ComplaintState.SETTLED if settled else ComplaintState.ANSWERED
        complaint.answered_by = head
        complaint.answered_at = now
        complaint.answer_document = document
        complaint.save()
        log_case_event(case, actor=head, action="complaint_answered", comment=complaint.number)
        enqueue("notify.case_event", {"application_id": case.pk, "kind": "complaint_answered", "complaint_id": complaint.pk},
                dedupe_key=f"complaint:{complaint.pk}")
        return complaint


