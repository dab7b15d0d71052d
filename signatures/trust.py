"""Trust configuration: which certification authorities and revocation lists Kezek believes.

Everything is configuration (settings / environment), nothing is compiled in:

    KEZEK_TRUST_DIR/            default var/trust/
        roots/*.pem|crt|cer      trust anchors (the NCA root certificates; the demo root)
        intermediates/*.pem|...  issuing CAs (NCA RSA, NCA GOST; the demo intermediate)
        crls/*.crl|pem           certificate revocation lists (refreshed by `manage.py refresh_crls`)

    KEZEK_CRL_URLS               CRLs `refresh_crls` downloads into crls/ (e.g. the NCA's base and delta CRLs)
    KEZEK_REVOCATION_MODE        "require" (default: every certificate in the path must be covered by a CRL),
                                 "hard-fail" (a known CRL must be usable) or "soft-fail"
    KEZEK_REVOCATION_FETCH       also fetch CRLs / OCSP from the URLs in the certificates themselves (off by default)

The store is re-read whenever a file in the directory changes (size or modification time).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from django.conf import settings

logger = logging.getLogger(__name__)

CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der"}
CRL_SUFFIXES = {".crl", ".pem", ".der"}


def trust_dir() -> Path:
    return Path(getattr(settings, "KEZEK_TRUST_DIR", Path(settings.BASE_DIR) / "var" / "trust"))


def revocation_mode() -> str:
    mode = getattr(settings, "KEZEK_REVOCATION_MODE", "require")
    if mode not in ("require", "hard-fail", "soft-fail"):
        raise ValueError(f"KEZEK_REVOCATION_MODE must be require, hard-fail or soft-fail, not {mode!r}")
    return mode


def revocation_fetch() -> bool:
    return bool(getattr(settings, "KEZEK_REVOCATION_FETCH", False))


@dataclass(frozen=True)
class TrustStore:
    directory: Path
    roots: tuple[asn1_x509.Certificate, ...]
    intermediates: tuple[asn1_x509.Certificate, ...]
    crls: tuple[asn1_crl.CertificateList, ...]

    def crl_summary(self) -> list[dict]:
        return [
            {
                "issuer": c["tbs_cert_list"]["issuer"].human_friendly,
                "this_update": c["tbs_cert_list"]["this_update"].native,
                "next_update": c["tbs_cert_list"]["next_update"].native,
                "revoked": len(c["tbs_cert_list"]["revoked_certificates"] or []),
            }
            for c in self.crls
        ]


def der_blocks(data: bytes) -> list[bytes]:
    """The DER objects in a PEM (possibly several blocks) or DER file."""
    if asn1_pem.detect(data):
        return [der for _, _, der in asn1_pem.unarmor(data, multiple=True)]
    return [data]


def load_certificates(data: bytes) -> list[asn1_x509.Certificate]:
    return [asn1_x509.Certificate.load(der) for der in der_blocks(data)]


def _files(directory: Path, suffixes: set[str]) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in suffixes)


def _snapshot(directory: Path) -> tuple:
    entries = []
    for sub in ("roots", "intermediates", "crls"):
        for path in _files(directory / sub, CERT_SUFFIXES | CRL_SUFFIXES):
            stat = path.stat()
            entries.append((str(path), stat.st_size, stat.st_mtime_ns))
    return (str(directory), tuple(entries))


_cache: dict[str, tuple[tuple, TrustStore]] = {}


def load_trust() -> TrustStore:
    directory = trust_dir()
    snapshot = _snapshot(directory)
    cached = _cache.get(str(directory))
    if cached and cached[0] == snapshot:
        return cached[1]
    store = _read(directory)
    _cache[str(directory)] = (snapshot, store)
    if not store.roots:
        logger.warning("No trusted root certificates in %s: every signature will be refused as untrusted", directory)
    return store


def _read(directory: Path) -> TrustStore:
    def certificates(sub):
        result = []
        for path in _files(directory / sub, CERT_SUFFIXES):
            try:
                result.extend(load_certificates(path.read_bytes()))
            except ValueError:
                logger.error("Not a certificate file: %s", path)
        return tuple(result)

    crls = []
    for path in _files(directory / "crls", CRL_SUFFIXES):
        try:
            for der in der_blocks(path.read_bytes()):
                crls.append(asn1_crl.CertificateList.load(der))
        except ValueError:
            logger.error("Not a CRL file: %s", path)
    return TrustStore(directory=directory, roots=certificates("roots"), intermediates=certificates("intermediates"),
                      crls=tuple(crls))


def validation_context(moment: datetime | None = None, *, extra_certs=(), key_usage=None):
    """A pyhanko-certvalidator context over the configured trust store.

    `moment`: validate as of this time (the recorded signing time); None means now. Revocation lists are
    then applied retroactively: a certificate revoked after `moment` was still good when it was used.
    """
    from pyhanko_certvalidator import ValidationContext

    store = load_trust()
    fetch = revocation_fetch() and moment is None
    return ValidationContext(
        trust_roots=list(store.roots),
        other_certs=list(store.intermediates) + list(extra_certs),
        crls=list(store.crls),
        moment=moment,
        allow_fetching=fetch,
        revocation_mode=revocation_mode(),
        retroactive_revinfo=moment is not None,
    )
