"""Sending one notification on every channel the applicant has, each at most once.

The Message row (unique per case, kind, channel and reference) is written in the same transaction as the send,
so a committed send is never repeated. A worker killed after the send but before the commit repeats it on
redelivery; the stable idempotency key makes that repeat harmless: the SMS gateway answers with the first
reference, and the e-mail carries the same Message-ID, which the receiving side can recognise as a duplicate.
"""

import hashlib

from django.conf import settings
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


def idempotency_key(application, kind: str, channel: str, reference: str = "") -> str:
    """The same for every attempt at one message: the case number, what, which occurrence, which channel."""
    return f"kezek:{application.number}:{kind}:{reference}:{channel}"


def email_message_id(key: str) -> str:
    """A Message-ID derived from the idempotency key (RFC 5322 msg-id), so a resent e-mail is a recognisable copy."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "kezek.localhost"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}.notify@{domain}>"


def addressee(application) -> tuple[str, str, str]:
    """(IIN, e-mail, phone) of whom the case's notices are for: the applicant with the contacts given in the
    application, or, once a family member continues the place after the applicant's death
    (queues.QueueEntry.holder), that person with the contacts known for them — never the deceased's."""
    from applications.models import Person

    holder = (Person.objects.filter(queue_places__application=application).exclude(pk=application.applicant_id)
              .only("iin", "email", "phone").first())
    if holder is not None:
        return holder.iin, holder.email, holder.phone
    return application.applicant.iin, application.contact_email, application.contact_phone


def notify_applicant(application, kind: str, context: dict, reference: str = "") -> list[Message]:
    """Cabinet always; e-mail and SMS when the addressee has them. Re-running sends nothing twice."""
    with translation.override(application.language):
        subject, text, sms_text = _render(kind, {"application": application, **context})
    sent = []
    person_iin, email, phone = addressee(application)
    channels = [(MessageChannel.CABINET, "")]
    if email:
        channels.append((MessageChannel.EMAIL, email))
    if phone:
        channels.append((MessageChannel.SMS, phone))
    for channel, recipient in channels:
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    application=application,
                    person_iin=person_iin,
                    kind=kind,
                    reference=reference,
                    channel=channel,
                    recipient=recipient,
                    subject=subject,
                    body=sms_text if channel == MessageChannel.SMS else text,
                )
                key = idempotency_key(application, kind, channel, reference)
                if channel == MessageChannel.EMAIL:
                    headers = {"Message-ID": email_message_id(key)}
                    EmailMultiAlternatives(subject, text, to=[recipient], headers=headers).send()
                elif channel == MessageChannel.SMS:
                    message.gateway_reference = get_sms_gateway().send(recipient, sms_text, key)
                    message.save(update_fields=["gateway_reference"])
        except IntegrityError:
            continue  # already sent on this channel
        sent.append(message)
    return sent
