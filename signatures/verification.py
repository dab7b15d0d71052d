"""Checking a PDF's signatures for /verify/: who signed, when, was the certificate good, was the file changed.

The certificate is judged as of the signing moment: the time the server recorded when it accepted the
signature (for a document Kezek issued), otherwise the time the signature states (the signer's clock).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from . import errors, pades
from .cms import CertificateInfo, certificate_info, check_certificate
from .models import Signature

logger = logging.getLogger(__name__)


@dataclass
class SignatureCheck:
    field_name: str
    signer: CertificateInfo
    claimed_signing_time: datetime | None
    recorded: Signature | None
    checked_at: datetime | None  # the moment the certificate was judged at (None: now)
    intact: bool
    valid: bool
    covers_whole_file: bool
    modification: str
    problem: str = ""
    problem_code: str = ""

    @property
    def certificate_ok(self) -> bool:
        return not self.problem_code

    @property
    def revoked(self) -> bool:
        return self.problem_code == errors.CertificateRevoked.code

    @property
    def unchanged(self) -> bool:
        return self.intact and self.valid and self.covers_whole_file

    @property
    def ok(self) -> bool:
        return self.unchanged and self.certificate_ok


@dataclass
class PdfCheck:
    sha256: str
    document: object | None = None  # the IssuedDocument with exactly this content, if Kezek issued it
    signatures: list[SignatureCheck] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and all(s.ok for s in self.signatures) and not self.error


def check_pdf(content: bytes, *, document=None) -> PdfCheck:
    from documents.models import IssuedDocument

    digest = hashlib.sha256(content).hexdigest()
    if document is None:
        document = IssuedDocument.objects.filter(sha256=digest).exclude(sha256="").first()
    result = PdfCheck(sha256=digest, document=document)
    if not content.startswith(b"%PDF"):
        result.error = _("This file is not a PDF document.")
        return result
    recorded = list(Signature.objects.filter(document=document)) if document is not None else []

    def moment_for(certificate, claimed):
        fingerprint = hashlib.sha256(certificate.dump()).hexdigest()
        match = next((s for s in recorded if s.certificate_sha256 == fingerprint), None)
        return match.signed_at if match else claimed

    try:
        embedded = pades.inspect(content, moment_for)
    except Exception:  # a damaged or hostile PDF: pyHanko raises many kinds of errors
        logger.info("Unreadable PDF uploaded for verification", exc_info=True)
        result.error = _("The PDF could not be read; it may be damaged.")
        return result
    if not embedded:
        result.error = _("This PDF carries no electronic signature.")
        return result
    for item in embedded:
        moment = moment_for(item.certificate, item.claimed_signing_time)
        fingerprint = hashlib.sha256(item.certificate.dump()).hexdigest()
        check = SignatureCheck(
            field_name=item.field_name, signer=certificate_info(item.certificate),
            claimed_signing_time=item.claimed_signing_time,
            recorded=next((s for s in recorded if s.certificate_sha256 == fingerprint), None), checked_at=moment,
            intact=item.intact, valid=item.valid, covers_whole_file=item.covers_whole_file,
            modification=item.modification,
        )
        try:
            check_certificate(item.certificate, item.other_certs, moment=moment, iin_required=False)
        except errors.SignatureError as exc:
            check.problem, check.problem_code = str(exc.user_message), exc.code
        result.signatures.append(check)
    return result


def check_issued_document(document) -> PdfCheck | None:
    """The stored file of an issued document, if it has one with a signature (else None)."""
    if not document.file or not document.signatures.exists():
        return None
    with document.file.open("rb") as handle:
        content = handle.read()
    return check_pdf(content, document=document)
