"""Checking uploaded scans by what they are, not by what they are called."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
# Active content has no business in a scanned certificate.
_PDF_ACTIVE_CONTENT = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/OpenAction", b"/AA", b"/RichMedia", b"/XFA")


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes
    content_type: str
    sha256: str
    original_name: str


def check_upload(uploaded_file) -> CheckedUpload:
    limit = settings.KEZEK_UPLOAD_MAX_BYTES
    if uploaded_file.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": round(uploaded_file.size / 1048576, 1), "limit": limit // 1048576},
            code="too_large",
        )
    content = uploaded_file.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(_("The file is too large."), code="too_large")
    if not content:
        raise ValidationError(_("The file is empty."), code="empty")
    content_type = next((ctype for magic, ctype in _SIGNATURES if content.startswith(magic)), None)
    if content_type is None:
        raise ValidationError(_("Only PDF, JPEG and PNG scans are accepted; this file is something else."), code="type")
    if content_type == "application/pdf" and any(marker in content for marker in _PDF_ACTIVE_CONTENT):
        raise ValidationError(_("This PDF contains scripts or embedded files and cannot be accepted."), code="active_pdf")
    name = (getattr(uploaded_file, "name", "") or "document")[-200:]
    return CheckedUpload(content=content, content_type=content_type, sha256=hashlib.sha256(content).hexdigest(), original_name=name)
