from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageChannel(models.TextChoices):
    CABINET = "cabinet", _("Personal cabinet")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class Message(models.Model):
    """One message on one channel; the unique key makes a re-delivered outbox message send once."""

    application = models.ForeignKey(
        "applications.Application", null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    person_iin = models.CharField(max_length=12, db_index=True)
    kind = models.CharField(max_length=48)
    channel = models.CharField(max_length=10, choices=MessageChannel.choices)
    recipient = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    sent_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    gateway_reference = models.CharField(max_length=64, blank=True)
    reference = models.CharField(max_length=64, blank=True, help_text="Which occurrence (e.g. the request id)")

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["application", "kind", "channel", "reference"], name="message_sent_once")]
