import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    ACCEPTANCE_RECEIPT = "acceptance_receipt", _("Acceptance receipt")  # қолхат
    REFUSAL_TO_ACCEPT_RECEIPT = "refusal_receipt", _("Receipt of refusal to accept documents")
    REGISTRATION_NOTIFICATION = "notification", _("Notification of registration in the queue")
    REASONED_REFUSAL = "refusal", _("Reasoned refusal")
    PRELIMINARY_DECISION = "preliminary", _("Preliminary decision with hearing notice")
    COMPLAINT_ANSWER = "complaint_answer", _("Answer to a complaint")
    HOUSING_DECISION = "housing_decision", _("Decision to provide housing")  # тұрғын үй беру туралы шешім


def new_verification_code() -> str:
    return secrets.token_hex(5).upper()


def issued_upload_path(instance, filename):
    return f"issued/{instance.issued_at:%Y/%m}/{instance.number}.pdf"


class IssuedDocument(models.Model):
    """A document the system issued; anyone can check it at /verify/ by number and code."""

    number = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    verification_code = models.CharField(max_length=16, default=new_verification_code)
    application = models.ForeignKey(
        "applications.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="issued_documents"
    )
    person_iin = models.CharField(max_length=12, blank=True, help_text="Whose document it is, for access checks")
    service_centre = models.ForeignKey(
        "accounts.ServiceCentre", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    language = models.CharField(max_length=5, default="kk")
    context = models.JSONField(default=dict, help_text="Exactly the data the document shows")
    file = models.FileField(upload_to=issued_upload_path, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="acceptance_receipt") | models.Q(application__isnull=False),
                name="acceptance_receipt_has_case",
            )
        ]

    def __str__(self):
        return self.number
