"""Issuing documents: a numbered record in the caller's transaction, the PDF rendered from frozen context."""

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation

from audit.services import enqueue, record_event
from core.sequences import DOCUMENT_NUMBER, next_value

from .models import DocumentKind, IssuedDocument

_PREFIX = {
    DocumentKind.ACCEPTANCE_RECEIPT: "QH",
    DocumentKind.REFUSAL_TO_ACCEPT_RECEIPT: "QB",
    DocumentKind.REGISTRATION_NOTIFICATION: "HB",
    DocumentKind.REASONED_REFUSAL: "BT",
    DocumentKind.PRELIMINARY_DECISION: "AS",
    DocumentKind.COMPLAINT_ANSWER: "SJ",
    DocumentKind.HOUSING_DECISION: "TB",  # тұрғын үй беру туралы шешім
}


def reserve_number(kind, now=None) -> str:
    """The next document number; taken ahead of issue when the number must be printed in a PDF signed first."""
    now = now or timezone.now()
    return document_number(kind, next_value(DOCUMENT_NUMBER), now)


def document_number(kind, value: int, now) -> str:
    """The number of a document of `kind` issued at `now` from a value of the DOCUMENT_NUMBER sequence."""
    return f"{_PREFIX[kind]}-{timezone.localtime(now):%Y}-{value:08d}"


def issue_document(*, kind, issued_by, application=None, person_iin="", service_centre=None, language="kk", context=None,
                   number=None, verification_code=None, issued_at=None):
    now = issued_at or timezone.now()
    document = IssuedDocument.objects.create(
        number=number or reserve_number(kind, now),
        **({"verification_code": verification_code} if verification_code else {}),
        kind=kind,
        application=application,
        person_iin=person_iin,
        service_centre=service_centre,
        language=language,
        context=context or {},
        issued_at=now,
        issued_by=issued_by,
    )
    record_event(actor=issued_by, action="document.issued", obj=document, data={"kind": kind})
    enqueue("documents.render_pdf", {"document_id": document.pk}, dedupe_key=f"render:{document.pk}")
    return document


def render_pdf_bytes(document: IssuedDocument) -> bytes:
    from .pdf import render_document

    with translation.override(document.language):
        return render_document(document)


def ensure_pdf(document_id: int) -> IssuedDocument:
    """Render once and keep: the stored file and its sha256 are what was issued."""
    with transaction.atomic():
        document = IssuedDocument.objects.select_for_update().get(pk=document_id)
        if document.file:
            return document
        content = render_pdf_bytes(document)
        from signatures.services import seal_rendered_pdf

        content = seal_rendered_pdf(document, content)  # the provider's seal, when KEZEK_PROVIDER_SEAL_P12 is set
        document.sha256 = hashlib.sha256(content).hexdigest()
        document.file.save(f"{document.number}.pdf", ContentFile(content), save=False)
        document.save(update_fields=["file", "sha256"])
        return document
