"""Where signatures meet the workflow: signed applications, signed decisions, the provider's seal, verification.

- Applications (both channels): the signer signs the canonical JSON of exactly what will be filed
  (`application_payload`: `filed_payload` of the intake, keys sorted, UTF-8). `accept_with_signature`
  verifies the detached CMS over those bytes, then accepts the case and stores the signature in one
  transaction. The portal applicant's certificate must carry the applicant's IIN; at a service centre
  the operator signs the case they enter with their own key.
- Decisions: `prepare_decision_signing` renders the PDF the head will sign and returns what the head's device
  signs; `decision_signing_from_post` checks what came back; `issue_decision_document` (called by
  applications.services.review.sign_decision) embeds it and issues the document in the signing transaction.
- Every signing and every refusal is an audit event with the certificate's serial and SHA-256 fingerprint.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from asn1crypto import x509 as asn1_x509
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from audit.services import record_event

from . import errors, pades
from .cms import VerifiedSignature, certificate_info, check_certificate, check_integrity, load_signed_data, signer_certificate, verify_cms
from .models import PadesSession, Signature, SignatureFormat, SignaturePurpose, SigningMethod
from .trust import load_certificates, revocation_mode

logger = logging.getLogger(__name__)

SESSION_LIFETIME = timedelta(minutes=15)
MAX_SIGNATURE_BYTES = 64 * 1024


def eds_required() -> bool:
    return bool(getattr(settings, "KEZEK_REQUIRE_EDS", True))


def canonical_bytes(payload: dict) -> bytes:
    """The exact bytes a signer signs: JSON with sorted keys, no spaces, UTF-8 (not ASCII-escaped)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder).encode()


def application_payload(intake) -> bytes:
    from applications.services.intake import _filed_payload

    return canonical_bytes(_filed_payload(intake))


def decode_b64(value: str, *, limit: int = MAX_SIGNATURE_BYTES) -> bytes:
    value = (value or "").strip()
    if not value or len(value) > limit * 2:
        raise errors.MalformedSignature()
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise errors.MalformedSignature() from None


def _method(value: str) -> str:
    return value if value in SigningMethod.values else ""


def _audit_refusal(actor, exc: errors.SignatureError, *, what: str, ref: str) -> None:
    """A refused signature leaves a trace even though nothing else is saved."""
    data = {"code": exc.code, "what": what}
    if exc.certificate is not None:
        info = certificate_info(exc.certificate)
        data.update(certificate_serial=info.serial_hex, certificate_sha256=info.sha256, subject=info.subject)
    with transaction.atomic():
        record_event(actor=actor, action="signature.refused", obj=("signature", ref), data=data)


def _signature_fields(verified: VerifiedSignature) -> dict:
    info = verified.signer
    return {
        "certificate": info.der,
        "certificate_serial": info.serial_hex,
        "certificate_sha256": info.sha256,
        "certificate_subject": info.subject[:500],
        "certificate_issuer": info.issuer[:255],
        "certificate_iin": info.iin,
        "certificate_valid_from": info.valid_from,
        "certificate_valid_to": info.valid_to,
        "revocation": verified.revocation,
        "digest_algorithm": verified.digest_algorithm,
        "claimed_signing_time": verified.claimed_signing_time,
        "signed_at": verified.verified_at,
        "cms": verified.cms_der,
        "method": _method(verified.method),
    }


# --- applications -------------------------------------------------------------------------------------------


def expected_signer_iin(intake) -> str:
    """Online: the applicant signs. At a service centre: the operator who enters the case."""
    from applications.models import Channel

    if intake.channel == Channel.PORTAL:
        return intake.applicant.iin
    return getattr(intake.submitted_by, "iin", None) or ""


def verify_application_signature(intake, payload: bytes, cms_b64: str, *, method: str = "") -> VerifiedSignature:
    ref = hashlib.sha256(payload).hexdigest()[:16]
    try:
        return verify_cms(decode_b64(cms_b64), payload, expected_iin=expected_signer_iin(intake), method=method)
    except errors.SignatureError as exc:
        _audit_refusal(intake.submitted_by, exc, what="application", ref=ref)
        raise


def accept_with_signature(intake, cms_b64: str = "", *, method: str = ""):
    """Accept a case signed by its signer; unsigned only where KEZEK_REQUIRE_EDS is off.

    Without a signature (and EDS required) the intake is validated first, so an incomplete package or a
    missing consent is reported before the signer is asked to sign; then SignatureMissing carries the
    payload to sign (`details["payload"]`).
    """
    from applications.services.intake import accept_application, validate_intake

    payload = application_payload(intake)
    if not cms_b64:
        if not eds_required():
            return accept_application(intake)
        validate_intake(intake)
        raise errors.SignatureMissing(payload=payload)
    try:
        verified = verify_application_signature(intake, payload, cms_b64, method=method)
    except errors.SignatureError as exc:
        exc.details["payload"] = payload
        raise
    with transaction.atomic():
        case = accept_application(intake)
        _store_application_signature(case, intake, payload, verified)
    return case


def _store_application_signature(case, intake, payload: bytes, verified: VerifiedSignature) -> Signature | None:
    from applications.models import Channel

    purpose = SignaturePurpose.APPLICATION if intake.channel == Channel.PORTAL else SignaturePurpose.INTAKE
    existing = Signature.objects.filter(application=case, purpose=purpose).first()
    if existing is not None:  # the same draft submitted twice: the case and its signature already exist
        return existing
    if canonical_bytes(case.filed_payload) != payload:
        raise errors.TamperedContent()  # never store a signature over something other than the filed record
    signature = Signature.objects.create(
        purpose=purpose, format=SignatureFormat.CMS, application=case, signer=intake.submitted_by,
        payload=payload, content_sha256=verified.content_sha256, **_signature_fields(verified),
    )
    record_event(
        actor=intake.submitted_by, action="signature.application_signed", obj=signature,
        data={**verified.audit_data(), "application": case.number, "purpose": purpose},
    )
    return signature


# --- decisions (interrupted PAdES) ----------------------------------------------------------------------------


DRY_RUN = object()


class CapturedDocument(Exception):
    """Raised inside sign_decision's transaction on a dry run: the document as it would be issued."""

    def __init__(self, kind, context, language, person_iin):
        super().__init__(kind)
        self.kind, self.context, self.language, self.person_iin = kind, context, language, person_iin


@dataclass
class DecisionSigning:
    """What the head's device sent back, checked: the session and the CMS to embed."""

    session: PadesSession
    cms_der: bytes
    verified: VerifiedSignature


def _plain(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def parse_certificates(values) -> tuple[asn1_x509.Certificate, list]:
    """The signer's certificate (first) and any others sent along: base64 DER or PEM text."""
    certificates = []
    for value in values:
        value = (value or "").strip()
        if not value:
            continue
        try:
            data = value.encode() if value.startswith("-----BEGIN") else base64.b64decode(value, validate=True)
            certificates.extend(load_certificates(data))
            certificates[-1].native  # noqa: B018  (parse fully now)
        except (ValueError, TypeError, binascii.Error):
            raise errors.MalformedSignature() from None
    if not certificates:
        raise errors.MalformedSignature()
    return certificates[0], certificates[1:]


def prepare_decision_signing(case, head, certificates, *, method: str = "", dry_run=None) -> PadesSession:
    """Check the head's certificate, render the decision as it will be issued, return what the device signs.

    `dry_run(signing)` runs the signing service with `signing=DRY_RUN`, so that it stops, inside its rolled-back
    transaction, where it would issue the document; by default the case decision (review.sign_decision). Other
    decisions about a case (the decision to provide housing, allocation.services.decisions) pass their own.
    """
    from applications.services import review
    from documents.models import IssuedDocument, new_verification_code
    from documents.services import reserve_number

    certificate, others = parse_certificates(certificates)
    try:
        info = check_certificate(certificate, others, expected_iin=head.iin or "")
    except errors.SignatureError as exc:
        _audit_refusal(head, exc, what="decision", ref=case.number)
        raise
    run = dry_run or (lambda signing: review.sign_decision(case, head, signing=signing))
    try:
        run(DRY_RUN)
    except CapturedDocument as captured:
        document_spec = captured
    else:  # pragma: no cover - the signing service always reaches issue_decision_document
        raise RuntimeError("the signing service did not reach issue_decision_document")

    now = timezone.now()
    document = IssuedDocument(
        number=reserve_number(document_spec.kind, now), kind=document_spec.kind, verification_code=new_verification_code(),
        application=case, person_iin=document_spec.person_iin, language=document_spec.language,
        context=document_spec.context, issued_at=now, issued_by=head,
    )
    eds = {
        "common_name": info.common_name, "organization": info.organization, "subject": info.subject,
        "serial": info.serial_hex, "issuer": info.issuer, "valid_from": info.valid_from, "valid_to": info.valid_to,
        "signed_at": now, "fingerprint": info.sha256,
    }
    pdf, page, box = pades.render_for_signing(document, eds)
    prepared = pades.prepare(
        pdf, certificate, others, page=page, box=box, reason=str(document.get_kind_display()),
        location=case.provider.name_ru or case.provider.code,
    )
    with transaction.atomic():
        # housekeeping: prepared PDFs nobody signed are kept a day (for support questions), then dropped
        PadesSession.objects.filter(completed_at__isnull=True, expires_at__lt=now - timedelta(days=1)).delete()
        session = PadesSession.objects.create(
            application=case, signer=head, document_kind=document.kind, document_number=document.number,
            verification_code=document.verification_code, issued_at=now, language=document.language,
            context=document_spec.context, certificate=certificate.dump(),
            other_certs=[base64.b64encode(c.dump()).decode() for c in others], prepared_pdf=prepared.pdf,
            document_digest=prepared.document_digest, reserved_start=prepared.reserved_start,
            reserved_end=prepared.reserved_end, signed_attrs=prepared.signed_attrs, expires_at=now + SESSION_LIFETIME,
        )
        record_event(
            actor=head, action="signature.decision_prepared", obj=session.application,
            data={"certificate_serial": info.serial_hex, "certificate_sha256": info.sha256, "document": document.number,
                  "method": _method(method)},
        )
    return session


def decision_signing_from_post(head, case, *, session_id: str, signature_value: str = "", cms: str = "",
                               method: str = "") -> DecisionSigning | None:
    """The head's device answered: a raw signature over our signed attributes, or a CMS over the digest."""
    if not session_id:
        return None
    session = (
        PadesSession.objects.filter(pk=_uuid(session_id), signer=head, application=case, completed_at__isnull=True,
                                    expires_at__gt=timezone.now()).first()
    )
    if session is None:
        raise errors.SigningSessionExpired()
    certificate = asn1_x509.Certificate.load(bytes(session.certificate))
    others = [asn1_x509.Certificate.load(base64.b64decode(c)) for c in session.other_certs]
    try:
        if signature_value:
            cms_der = pades.assemble_cms(certificate, others, bytes(session.signed_attrs), decode_b64(signature_value))
        else:
            cms_der = decode_b64(cms)
        signed_data = load_signed_data(cms_der)
        signer, extra = signer_certificate(signed_data, extra=others)
        if signer.dump() != certificate.dump():
            raise errors.TamperedContent(certificate=signer)  # signed with another key than the one prepared for
        check_integrity(signed_data, signer, bytes(session.document_digest))
        info = check_certificate(signer, extra, expected_iin=head.iin or "")
    except errors.SignatureError as exc:
        _audit_refusal(head, exc, what="decision", ref=session.document_number)
        raise
    if len(cms_der) * 2 > session.reserved_end - session.reserved_start - 2:
        raise errors.MalformedSignature()
    verified = VerifiedSignature(
        cms_der=cms_der, content_sha256="", signer=info, digest_algorithm=pades.DIGEST, verified_at=timezone.now(),
        other_certs=extra, revocation=revocation_mode(), method=method,
    )
    return DecisionSigning(session=session, cms_der=cms_der, verified=verified)


def _uuid(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise errors.SigningSessionExpired() from None


def issue_decision_document(*, kind, issued_by, application, person_iin, language, context, signing=None):
    """Issue the head's decision document; with EDS, the PDF the head signed, in the signing transaction."""
    from documents.services import issue_document

    if signing is DRY_RUN:
        raise CapturedDocument(kind, _plain(context), language, person_iin)
    if signing is None:
        if eds_required():
            raise errors.SignatureMissing()
        return issue_document(kind=kind, issued_by=issued_by, application=application, person_iin=person_iin,
                              language=language, context=context)
    session = PadesSession.objects.select_for_update().get(pk=signing.session.pk)
    if session.completed_at is not None or session.expires_at <= timezone.now():
        raise errors.SigningSessionExpired()
    if (session.application_id, session.signer_id, session.document_kind, session.language, session.context) != (
        application.pk, issued_by.pk, kind, language, _plain(context)
    ):
        raise errors.StaleSigningSession()
    signed_pdf = pades.finish(bytes(session.prepared_pdf), bytes(session.document_digest), session.reserved_start,
                              session.reserved_end, signing.cms_der)
    document = issue_document(
        kind=kind, issued_by=issued_by, application=application, person_iin=person_iin, language=language,
        context=context, number=session.document_number, verification_code=session.verification_code,
        issued_at=session.issued_at,
    )
    digest = hashlib.sha256(signed_pdf).hexdigest()
    document.file.save(f"{document.number}.pdf", ContentFile(signed_pdf), save=False)
    document.sha256 = digest
    document.save(update_fields=["file", "sha256"])
    verified = signing.verified
    signature = Signature.objects.create(
        purpose=SignaturePurpose.DECISION, format=SignatureFormat.PADES, application=application, document=document,
        signer=issued_by, content_sha256=digest, **_signature_fields(verified),
    )
    session.completed_at = timezone.now()
    session.save(update_fields=["completed_at"])
    record_event(
        actor=issued_by, action="signature.decision_signed", obj=signature,
        data={**verified.audit_data(), "content_sha256": digest, "document": document.number,
              "application": application.number},
    )
    return document


def sign_decision_with_key(case, head, p12: bytes, password: str, *, sign=None):
    """The whole interrupted flow with a key held here: seed_demo and tests (never used by a web request).

    `sign(signing)` is the signing service (default: the case decision, review.sign_decision)."""
    from applications.services import review
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.serialization import pkcs12

    key, certificate, chain = pkcs12.load_key_and_certificates(p12, password.encode())
    certificates = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in [certificate, *chain]]
    sign = sign or (lambda signing: review.sign_decision(case, head, signing=signing))
    session = prepare_decision_signing(case, head, certificates, method=SigningMethod.SERVER, dry_run=sign)
    value = key.sign(bytes(session.signed_attrs), padding.PKCS1v15(), hashes.SHA256())
    signing = decision_signing_from_post(head, case, session_id=str(session.pk),
                                         signature_value=base64.b64encode(value).decode(), method=SigningMethod.SERVER)
    return sign(signing)


# --- the provider's seal ----------------------------------------------------------------------------------------


def provider_seal_path(provider) -> str:
    """The seal file of one department: KEZEK_PROVIDER_SEAL_P12, where "{provider}" stands for its code.

    One installation serves many departments (DOMAIN.md §7), and each seals with its own organisation key;
    a path without the placeholder is one seal for every department. "" when no seal applies.
    """
    template = getattr(settings, "KEZEK_PROVIDER_SEAL_P12", "") or ""
    if "{provider}" not in template:
        return template
    return template.replace("{provider}", provider.code) if provider is not None else ""


def seal_rendered_pdf(document, content: bytes) -> bytes:
    """Seal a PDF the server rendered (receipts and the like) with its department's seal, when configured."""
    provider = document.application.provider if document.application_id else None
    path = provider_seal_path(provider)
    if not path:
        return content
    password = getattr(settings, "KEZEK_PROVIDER_SEAL_PASSWORD", "")
    sealed = pades.seal(content, path, password, reason=str(document.get_kind_display()))
    embedded = pades.inspect(sealed)[-1]
    info = check_certificate(embedded.certificate, embedded.other_certs, iin_required=False)
    now = timezone.now()
    signature = Signature.objects.create(
        purpose=SignaturePurpose.SEAL, format=SignatureFormat.PADES, method=SigningMethod.SERVER,
        application=document.application, document=document, signer=None, signed_at=now,
        claimed_signing_time=embedded.claimed_signing_time, certificate=info.der, certificate_serial=info.serial_hex,
        certificate_sha256=info.sha256, certificate_subject=info.subject[:500], certificate_issuer=info.issuer[:255],
        certificate_iin=info.iin, certificate_valid_from=info.valid_from, certificate_valid_to=info.valid_to,
        revocation=revocation_mode(), digest_algorithm=pades.DIGEST, content_sha256=hashlib.sha256(sealed).hexdigest(),
        cms=embedded.cms_der,
    )
    record_event(actor=None, action="signature.sealed", obj=signature,
                 data={"certificate_serial": info.serial_hex, "certificate_sha256": info.sha256, "document": document.number})
    return sealed
