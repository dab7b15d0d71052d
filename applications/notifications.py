"""Outbox handlers for case notifications: what the applicant hears, on every channel, once."""

from audit.relay import handler
from documents.models import IssuedDocument
from notifications.services import notify_applicant

from .models import Application, Decision, DocumentRequest, DocumentType, Hearing


@handler("notify.application_accepted")
def application_accepted(application_id: int, receipt_id: int) -> None:
    application = Application.objects.select_related("applicant", "provider").get(pk=application_id)
    receipt = IssuedDocument.objects.get(pk=receipt_id)
    notify_applicant(application, "application_accepted", {"receipt": receipt})


@handler("notify.case_event")
def case_event(application_id: int, kind: str, **extra) -> None:
    application = Application.objects.select_related("applicant", "provider", "queue_list").get(pk=application_id)
    context, reference = {}, ""
    if "request_id" in extra:
        request = DocumentRequest.objects.prefetch_related("document_types").get(pk=extra["request_id"])
        context.update(request=request, documents=list(request.document_types.all()))
        reference = f"request:{request.pk}"
    if "hearing_id" in extra:
        context["hearing"] = Hearing.objects.select_related("notice_document").get(pk=extra["hearing_id"])
        reference = f"hearing:{extra['hearing_id']}"
    if "decision_id" in extra:
        decision = Decision.objects.select_related("document").get(pk=extra["decision_id"])
        context["decision"] = decision
        reference = f"decision:{decision.pk}"
    if "missing" in extra:
        context["documents"] = list(DocumentType.objects.filter(code__in=extra["missing"]))
        context["comment"] = extra.get("comment", "")
    if "complaint_id" in extra:
        from .models import Complaint

        context["complaint"] = Complaint.objects.select_related("answer_document").get(pk=extra["complaint_id"])
        reference = f"complaint:{extra['complaint_id']}"
    notify_applicant(application, kind, context, reference=reference)
