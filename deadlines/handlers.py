"""Outbox handler: the e-mail copy of a deadline alert, sent once per alert."""

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from audit.relay import handler

from .labels import step_label
from .models import DeadlineAlert


@handler("deadlines.alert_email")
def alert_email(alert_id: int) -> None:
    alert = DeadlineAlert.objects.select_related("user", "application").filter(pk=alert_id).first()
    if alert is None or alert.emailed_at is not None or not alert.user.email:
        return
    with translation.override(alert.user.preferred_language or "kk"):
        context = {
            "alert": alert,
            "case": alert.application,
            "step": step_label(alert.step),
            "overdue": alert.kind == "overdue",
            "due": timezone.localtime(alert.due_at).strftime("%d.%m.%Y %H:%M"),
        }
        subject = " ".join(render_to_string("deadlines/email/alert_subject.txt", context).split())
        body = render_to_string("deadlines/email/alert_body.txt", context).strip()
    EmailMultiAlternatives(subject, body, to=[alert.user.email]).send()
    DeadlineAlert.objects.filter(pk=alert.pk).update(emailed_at=timezone.now())
