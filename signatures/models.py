import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SignaturePurpose(models.TextChoices):
    APPLICATION = "application", _("Application signed by the applicant")
    INTAKE = "intake", _("Paper application entered and signed by the service centre operator")
    DECISION = "decision", _("Decision signed by the head")
    SEAL = "seal", _("Seal of the provider")


class SignatureFormat(models.TextChoices):
    CMS = "cms", _("CMS (detached) over the canonical JSON of the application")
    PADES = "pades", _("PAdES signature inside the PDF")


class SigningMethod(models.TextChoices):
    KEY_FILE = "file", _("key file (PKCS#12) in the browser")
    NCALAYER = "ncalayer", _("NCALayer")
    SERVER = "server", _("server-side key")


class Signature(models.Model):
    """A verified electronic signature: who signed what, with which certificate, and when.

    For an application `payload` holds the exact bytes signed (the canonical JSON of what was filed) and `cms`
    the detached signature; for a PDF the signed file is the issued document's file and `cms` the embedded CMS.
    """

    purpose = models.CharField(max_length=16, choices=SignaturePurpose.choices)
    format = models.CharField(max_length=8, choices=SignatureFormat.choices)
    method = models.CharField(max_length=12, choices=SigningMethod.choices, blank=True)
    application = models.ForeignKey(
        "applications.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="signatures"
    )
    document = models.ForeignKey(
        "documents.IssuedDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="signatures"
    )
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(help_text="When the server verified and accepted the signature")
    claimed_signing_time = models.DateTimeField(null=True, blank=True, help_text="Signing time stated in the signature")
    certificate = models.BinaryField(help_text="Signer certificate (DER)")
    certificate_serial = models.CharField(max_length=80)
    certificate_sha256 = models.CharField(max_length=64, db_index=True)
    certificate_subject = models.CharField(max_length=500, help_text="Subject without the IIN")
    certificate_issuer = models.CharField(max_length=255)
    certificate_iin = models.CharField(max_length=12, blank=True)
    certificate_valid_from = models.DateTimeField()
    certificate_valid_to = models.DateTimeField()
    revocation = models.CharField(max_length=16, blank=True, help_text="Revocation mode the check ran in")
    digest_algorithm = models.CharField(max_length=16)
    content_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the signed bytes (payload or signed PDF)")
    payload = models.BinaryField(blank=True, default=b"")
    cms = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(application__isnull=False) | models.Q(document__isnull=False),
                name="signature_signs_something",
            ),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} · {self.certificate_subject}"


class PadesSession(models.Model):
    """An interrupted PAdES signing: the PDF is prepared here, the hash is signed on the signer's device.

    Holds the prepared PDF (with the reserved /Contents), its ByteRange digest and the signed attributes
    the device signs; the number and verification code printed in the PDF are reserved at preparation.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="+")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    document_kind = models.CharField(max_length=24)
    document_number = models.CharField(max_length=32)
    verification_code = models.CharField(max_length=16)
    issued_at = models.DateTimeField()
    language = models.CharField(max_length=5)
    context = models.JSONField(default=dict)
    certificate = models.BinaryField()
    other_certs = models.JSONField(default=list, help_text="Base64 DER of the certificates sent along")
    prepared_pdf = models.BinaryField()
    document_digest = models.BinaryField()
    reserved_start = models.PositiveIntegerField()
    reserved_end = models.PositiveIntegerField()
    signed_attrs = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
