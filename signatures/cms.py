"""Verifying a detached CMS (PKCS#7 SignedData) signature over exact bytes, and the signer's certificate.

The checks, in this order, each with its own error (errors.py):
1. the CMS is readable SignedData with exactly one signer whose certificate it carries;
2. the signed messageDigest equals the digest of the bytes we expected to be signed (else: tampered);
3. the signature value verifies with the certificate's public key (else: wrong signature value);
4. the certificate allows non-repudiation (a signing key, not an authentication key);
5. the path to a trusted root, each certificate's validity period at the signing moment, and revocation
   (CRLs from the trust store), by pyhanko-certvalidator;
6. the IIN in the certificate subject's serialNumber (``IIN`` + 12 digits) equals the expected IIN.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import cms as asn1_cms
from asn1crypto import tsp as _tsp  # noqa: F401  (registers the signing-certificate-v2 attribute with asn1crypto)
from asn1crypto import x509 as asn1_x509
from django.utils import timezone, translation

from . import errors
from .trust import revocation_mode, validation_context

IIN_SERIAL = re.compile(r"^IIN(\d{12})$")
BIN_UNIT = re.compile(r"^BIN(\d{12})$")


def run_sync(coro):
    """Run a coroutine from synchronous code, also where an event loop already runs (Playwright's test thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    language, zone = translation.get_language(), timezone.get_current_timezone()

    def in_thread():  # Django's active language and time zone are per thread: take them along for the messages
        with translation.override(language), timezone.override(zone):
            return asyncio.run(coro)

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(in_thread).result()


@dataclass(frozen=True)
class CertificateInfo:
    certificate: asn1_x509.Certificate
    serial_hex: str
    sha256: str
    common_name: str
    organization: str
    bin: str
    iin: str
    subject: str  # without the IIN: safe to show to anyone
    issuer: str
    valid_from: datetime
    valid_to: datetime
    key_usage: frozenset[str]

    @property
    def der(self) -> bytes:
        return self.certificate.dump()


def certificate_info(certificate: asn1_x509.Certificate) -> CertificateInfo:
    subject = certificate.subject.native
    iin_match = IIN_SERIAL.match(str(subject.get("serial_number", "")).strip())
    units = subject.get("organizational_unit_name", "")
    units = units if isinstance(units, list) else [units]
    bin_match = next((m for m in (BIN_UNIT.match(str(u).strip()) for u in units) if m), None)
    shown = []
    for key, label in (("common_name", "CN"), ("organization_name", "O"), ("country_name", "C")):
        value = subject.get(key)
        if value:
            shown.append(f"{label}={', '.join(value) if isinstance(value, list) else value}")
    issuer = certificate.issuer.native
    key_usage = certificate.key_usage_value.native if certificate.key_usage_value is not None else set()
    return CertificateInfo(
        certificate=certificate,
        serial_hex=format(certificate.serial_number, "X"),
        sha256=hashlib.sha256(certificate.dump()).hexdigest(),
        common_name=str(subject.get("common_name", "")),
        organization=str(subject.get("organization_name", "") or ""),
        bin=bin_match.group(1) if bin_match else "",
        iin=iin_match.group(1) if iin_match else "",
        subject=", ".join(shown),
        issuer=str(issuer.get("common_name") or certificate.issuer.human_friendly),
        valid_from=certificate["tbs_certificate"]["validity"]["not_before"].native,
        valid_to=certificate["tbs_certificate"]["validity"]["not_after"].native,
        key_usage=frozenset(key_usage),
    )


@dataclass
class VerifiedSignature:
    """A signature that passed every check, with what the signature record keeps."""

    cms_der: bytes
    content_sha256: str
    signer: CertificateInfo
    digest_algorithm: str
    verified_at: datetime
    claimed_signing_time: datetime | None = None
    other_certs: list = field(default_factory=list)
    revocation: str = ""
    method: str = ""

    def audit_data(self) -> dict:
        return {
            "certificate_serial": self.signer.serial_hex,
            "certificate_sha256": self.signer.sha256,
            "subject": self.signer.subject,
            "issuer": self.signer.issuer,
            "digest": self.digest_algorithm,
            "content_sha256": self.content_sha256,
            "revocation": self.revocation,
            "method": self.method,
        }


def load_signed_data(cms_der: bytes) -> asn1_cms.SignedData:
    try:
        info = asn1_cms.ContentInfo.load(cms_der)
        if info["content_type"].native != "signed_data":
            raise errors.MalformedSignature()
        signed_data = info["content"]
        signed_data.native  # noqa: B018  (parse everything now: a damaged structure fails here, not later)
    except (ValueError, TypeError, KeyError):
        raise errors.MalformedSignature() from None
    if len(signed_data["signer_infos"]) != 1:
        raise errors.MalformedSignature()
    return signed_data


def signer_certificate(signed_data: asn1_cms.SignedData, extra=()) -> tuple[asn1_x509.Certificate, list]:
    signer_info = signed_data["signer_infos"][0]
    sid = signer_info["sid"]
    certificates = [c.chosen for c in (signed_data["certificates"] or []) if c.name == "certificate"] + list(extra)
    for certificate in certificates:
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if certificate.issuer == wanted["issuer"] and certificate.serial_number == wanted["serial_number"].native:
                return certificate, [c for c in certificates if c is not certificate]
        elif sid.name == "subject_key_identifier" and certificate.key_identifier == sid.chosen.native:
            return certificate, [c for c in certificates if c is not certificate]
    raise errors.MalformedSignature()


def claimed_signing_time(signer_info) -> datetime | None:
    attributes = signer_info["signed_attrs"]
    if attributes is None or not attributes.native:
        return None
    for attribute in attributes:
        if attribute["type"].native == "signing_time":
            return attribute["values"][0].native
    return None


def check_integrity(signed_data: asn1_cms.SignedData, certificate, digest: bytes) -> None:
    """Raise TamperedContent / InvalidSignatureValue unless the signer signed exactly `digest`."""
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.generic_cms import validate_sig_integrity

    signer_info = signed_data["signer_infos"][0]
    try:
        intact, valid = validate_sig_integrity(signer_info, certificate, "data", digest)
    except SignatureValidationError:
        raise errors.MalformedSignature(certificate=certificate) from None
    except (ValueError, TypeError, NotImplementedError):
        raise errors.MalformedSignature(certificate=certificate) from None
    if not intact:
        raise errors.TamperedContent(certificate=certificate)
    if not valid:
        raise errors.InvalidSignatureValue(certificate=certificate)


def check_certificate(certificate: asn1_x509.Certificate, other_certs=(), *, moment: datetime | None = None,
                      expected_iin: str | None = None, iin_required: bool = True) -> CertificateInfo:
    """Key usage, path to a trusted root, validity at `moment` (None: now), revocation; then the IIN."""
    info = certificate_info(certificate)
    if "non_repudiation" not in info.key_usage:
        raise errors.WrongKeyUsage(certificate=certificate)
    run_sync(_validate_path(certificate, list(other_certs), moment))
    if iin_required or expected_iin is not None:
        if not info.iin:
            raise errors.NoIinInCertificate(certificate=certificate)
    if expected_iin is not None:
        if not expected_iin:
            raise errors.SignerWithoutIin(certificate=certificate)
        if info.iin != expected_iin:
            raise errors.IinMismatch(certificate=certificate)
    return info


async def _validate_path(certificate, other_certs, moment):
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator.errors import (
        ExpiredError,
        InsufficientRevinfoError,
        InvalidCertificateError,
        NotYetValidError,
        PathBuildingError,
        PathValidationError,
        RevokedError,
    )

    context = validation_context(moment, extra_certs=other_certs)
    validator = CertificateValidator(certificate, intermediate_certs=other_certs, validation_context=context)
    try:
        await validator.async_validate_usage({"non_repudiation"})
    except RevokedError as exc:
        raise errors.CertificateRevoked(exc.revocation_dt, certificate=certificate) from None
    except ExpiredError as exc:
        raise errors.CertificateExpired(exc.expired_dt, certificate=certificate) from None
    except NotYetValidError as exc:
        raise errors.CertificateNotYetValid(exc.valid_from, certificate=certificate) from None
    except InsufficientRevinfoError:
        raise errors.RevocationUnknown(certificate=certificate) from None
    except PathBuildingError:
        raise errors.UntrustedCertificate(certificate=certificate) from None
    except InvalidCertificateError:
        raise errors.WrongKeyUsage(certificate=certificate) from None
    except PathValidationError:
        raise errors.UntrustedCertificate(certificate=certificate) from None


def verify_cms(cms_der: bytes, content: bytes, *, expected_iin: str | None, moment: datetime | None = None,
               method: str = "") -> VerifiedSignature:
    """Verify a detached (or attached, if it carries exactly `content`) CMS signature over `content`."""
    signed_data = load_signed_data(cms_der)
    certificate, others = signer_certificate(signed_data)
    encapsulated = signed_data["encap_content_info"]["content"]
    if encapsulated is not None and encapsulated.native is not None and encapsulated.native != content:
        raise errors.TamperedContent(certificate=certificate)
    signer_info = signed_data["signer_infos"][0]
    algorithm = signer_info["digest_algorithm"]["algorithm"].native
    try:
        digest = hashlib.new(algorithm, content).digest()
    except (ValueError, TypeError):
        raise errors.MalformedSignature(certificate=certificate) from None
    check_integrity(signed_data, certificate, digest)
    info = check_certificate(certificate, others, moment=moment, expected_iin=expected_iin)
    return VerifiedSignature(
        cms_der=cms_der,
        content_sha256=hashlib.sha256(content).hexdigest(),
        signer=info,
        digest_algorithm=algorithm,
        verified_at=moment or timezone.now(),
        claimed_signing_time=claimed_signing_time(signer_info),
        other_certs=others,
        revocation=revocation_mode(),
        method=method,
    )
