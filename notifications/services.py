"""Sending one notification on every channel the applicant has, each at most once."""

from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from .models import Message, MessageChannel
from .sms import get_sms_gateway


def _render(kind: str, context: dict) -> tuple[str, str, str]:
    subject = render_to_string(f"notifications/{kind}/subject.txt", context).strip()
    text = render_to_string(f"notifications/{kind}/body.txt", context).strip()
    sms = render_to_string(f"notifications/{kind}/sms.txt", context).strip()
    return subject, text, sms


def notify_applicant(application, kind: str, context: dict, reference: str = "") -> list[Message]:
    """Cabinet always; e-mail and SMS when the applicant gave them. Re-running sends nothing twice."""
    with translation.override(application.language):
        subject, text, sms_text = _render(kind, {"application": application, **context})
    sent = []
    channels = [(MessageChannel.CABINET, "")]
    if application.contact_email:
        channels.append((MessageChannel.EMAIL, application.contact_email))
    if application.contact_phone:
        channels.append((MessageChannel.SMS, application.contact_phone))
    for channel, recipient in channels:
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    application=application,
                    person_iin=application.applicant.iin,
                    kind=kind,
                    reference=reference,
                    channel=channel,
                    recipient=recipient,
                    subject=subject,
                    body=sms_text if channel == MessageChannel.SMS else text,
                )
                if channel == MessageChannel.EMAIL:
                    EmailMultiAlternatives(subject, text, to=[recipient]).send()
                elif channel == MessageChannel.SMS:
                    message.gateway_reference = get_sms_gateway().send(recipient, sms_text)
                    message.save(update_fields=["gateway_reference"])
        except IntegrityError:
            continue  # already sent on this channel
        sent.append(message)
    return sent
