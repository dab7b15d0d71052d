"""PAdES signatures in issued PDFs, with pyHanko.

External ("interrupted") signing keeps the head's key on the head's device:

1. `render_for_signing` renders the document with a visible signature block (signer, certificate, time);
2. `prepare` adds the signature field over that block, reserves /Contents, computes the /ByteRange digest
   and the CMS signed attributes (PAdES: content-type, message-digest, signing-certificate-v2);
3. the device signs the DER of the signed attributes (WebCrypto) — or, through NCALayer, makes a whole CMS
   over the digest — and `assemble_cms` / `finish` put that CMS into the reserved space.

`seal` signs server-side with a configured PKCS#12 (the provider's seal, KEZEK_PROVIDER_SEAL_P12).
`inspect` validates every signature in a PDF.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from asn1crypto import cms as asn1_cms
from asn1crypto import tsp as _tsp  # noqa: F401  (registers the signing-certificate-v2 attribute with asn1crypto)
from asn1crypto import x509 as asn1_x509

from .cms import run_sync

SIGNATURE_FIELD = "HeadSignature"
SEAL_FIELD = "ProviderSeal"
DIGEST = "sha256"
BYTES_RESERVED = 32768  # hex digits for /Contents: room for a CMS of 16 KiB (a chain of a few RSA certificates)
CSS_PX_TO_PT = 0.75


@dataclass
class Prepared:
    pdf: bytes
    document_digest: bytes
    reserved_start: int
    reserved_end: int
    signed_attrs: bytes


def render_for_signing(document, eds: dict) -> tuple[bytes, int, tuple[float, float, float, float]]:
    """The document's PDF with the visible signature block, the page it is on and its box in PDF points."""
    from django.template.loader import render_to_string
    from django.utils import translation
    from weasyprint import HTML

    from documents.pdf import document_context

    with translation.override(document.language):
        html = render_to_string(f"documents/pdf/{document.kind}.html", {**document_context(document), "eds": eds})
        rendered = HTML(string=html, base_url=None).render()
        content = rendered.write_pdf()
    for index, page in enumerate(rendered.pages):
        if "eds-signature" in page.anchors:
            x1, y1, x2, y2 = page.anchors["eds-signature"]  # CSS px from the page's top-left (border box)
            height = page.height
            box = (x1 * CSS_PX_TO_PT, (height - y2) * CSS_PX_TO_PT, x2 * CSS_PX_TO_PT, (height - y1) * CSS_PX_TO_PT)
            return content, index, tuple(round(v, 2) for v in box)
    raise RuntimeError(f"documents/pdf/{document.kind}.html has no signature block (id eds-signature)")


def _registry(certificates):
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    return SimpleCertificateStore.from_certs(list(certificates))


def _placeholder_length(certificate: asn1_x509.Certificate) -> int:
    key = certificate.public_key
    if key.algorithm == "rsa":
        return (key.bit_size + 7) // 8
    return 2 * ((key.bit_size + 7) // 8) + 9  # DER-encoded ECDSA signature, at most


def prepare(pdf: bytes, certificate: asn1_x509.Certificate, other_certs, *, page: int, box, reason: str = "",
            location: str = "", field_name: str = SIGNATURE_FIELD) -> Prepared:
    return run_sync(_prepare(pdf, certificate, list(other_certs), page, box, reason, location, field_name))


async def _prepare(pdf, certificate, other_certs, page, box, reason, location, field_name) -> Prepared:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import StaticStampStyle

    signer = signers.ExternalSigner(
        signing_cert=certificate, cert_registry=_registry(other_certs),
        signature_value=_placeholder_length(certificate), embed_roots=False,
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm=DIGEST, subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None, location=location or None, name=certificate.subject.native.get("common_name"),
    )
    pdf_signer = signers.PdfSigner(
        meta, signer=signer,
        stamp_style=StaticStampStyle(border_width=1),  # the text is the page's own signature block beneath
        new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=page, box=box),
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    digest, _tbs, output = await pdf_signer.async_digest_doc_for_signing(writer, bytes_reserved=BYTES_RESERVED)
    signed_attrs = await signer.signed_attrs(digest.document_digest, DIGEST, use_pades=True)
    output.seek(0)
    return Prepared(
        pdf=output.read(), document_digest=digest.document_digest, reserved_start=digest.reserved_region_start,
        reserved_end=digest.reserved_region_end, signed_attrs=signed_attrs.dump(),
    )


def assemble_cms(certificate: asn1_x509.Certificate, other_certs, signed_attrs: bytes, signature_value: bytes) -> bytes:
    """The CMS around a signature value the device computed over our signed attributes."""

    async def _assemble():
        from pyhanko.sign import signers

        signer = signers.ExternalSigner(
            signing_cert=certificate, cert_registry=_registry(other_certs), signature_value=signature_value,
            embed_roots=False,
        )
        content_info = await signer.async_sign_prescribed_attributes(
            DIGEST, signed_attrs=asn1_cms.CMSAttributes.load(signed_attrs)
        )
        return content_info.dump()

    return run_sync(_assemble())


def finish(prepared_pdf: bytes, document_digest: bytes, start: int, end: int, cms_der: bytes) -> bytes:
    from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest

    output = BytesIO(prepared_pdf)
    PreparedByteRangeDigest(document_digest, start, end).fill_with_cms(output, cms_der)
    return output.getvalue()


def seal(pdf: bytes, p12_path: str, password: str, *, reason: str = "", location: str = "") -> bytes:
    """Sign server-side with the provider's seal (an invisible signature)."""

    async def _seal():
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

        signer = signers.SimpleSigner.load_pkcs12(p12_path, passphrase=password.encode() if password else None)
        if signer is None:
            raise ValueError(f"cannot read the provider seal {p12_path}")
        meta = signers.PdfSignatureMetadata(
            field_name=SEAL_FIELD, md_algorithm=DIGEST, subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason or None, location=location or None,
        )
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        output = await signers.PdfSigner(meta, signer=signer).async_sign_pdf(writer)
        output.seek(0)
        return output.read()

    return run_sync(_seal())


# --- validation ---------------------------------------------------------------------------------------------


@dataclass
class EmbeddedSignature:
    field_name: str
    cms_der: bytes
    signed_data: asn1_cms.SignedData
    certificate: asn1_x509.Certificate
    other_certs: list
    intact: bool
    valid: bool
    covers_whole_file: bool
    modified_after: bool  # later revisions were appended after this signature
    modification: str
    claimed_signing_time: datetime | None
    byte_range: list[int]

    @property
    def cms_sha256(self) -> str:
        return hashlib.sha256(self.cms_der).hexdigest()


def inspect(content: bytes, moment_for=None) -> list[EmbeddedSignature]:
    """Every signature in the PDF with pyHanko's integrity and coverage verdicts (trust is judged by the caller)."""
    return run_sync(_inspect(content, moment_for))


async def _inspect(content, moment_for) -> list[EmbeddedSignature]:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    from .cms import signer_certificate
    from .trust import validation_context

    reader = PdfFileReader(BytesIO(content), strict=False)
    found = []
    for embedded in reader.embedded_signatures:
        certificate, others = signer_certificate(embedded.signed_data)
        claimed = embedded.self_reported_timestamp
        context = validation_context(moment_for(certificate, claimed) if moment_for else None, extra_certs=others)
        status = await async_validate_pdf_signature(embedded, signer_validation_context=context)
        coverage = status.coverage
        cms_der = bytes(embedded.pkcs7_content)
        found.append(
            EmbeddedSignature(
                field_name=embedded.field_name,
                cms_der=_trim_der(cms_der),
                signed_data=embedded.signed_data,
                certificate=certificate,
                other_certs=others,
                intact=bool(status.intact),
                valid=bool(status.valid),
                covers_whole_file=coverage == SignatureCoverageLevel.ENTIRE_FILE,
                modified_after=coverage != SignatureCoverageLevel.ENTIRE_FILE,
                modification=status.modification_level.name if status.modification_level is not None else "",
                claimed_signing_time=status.signer_reported_dt or claimed,
                byte_range=list(embedded.byte_range),
            )
        )
    return found


def _trim_der(data: bytes) -> bytes:
    """/Contents is zero-padded; the CMS is the first DER object."""
    if len(data) < 2 or data[0] != 0x30:
        return data
    length = data[1]
    if length < 0x80:
        return data[: 2 + length]
    count = length & 0x7F
    size = int.from_bytes(data[2 : 2 + count], "big")
    return data[: 2 + count + size]
