"""Outbox handlers for case notifications."""

from audit.relay import handler
from documents.models import IssuedDocument
from notifications.services import notify_applicant

from .models import Application


@handler("notify.application_accepted")
def application_accepted(application_id: int, receipt_id: int) -> None:
    application = Application.objects.select_related("applicant", "provider").get(pk=application_id)
    receipt = IssuedDocument.objects.get(pk=receipt_id)
    notify_applicant(application, "application_accepted", {"receipt": receipt})
