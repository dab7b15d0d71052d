"""The demo certification authority kept in the trust directory (`manage.py demo_ca`), and demo keys.

    KEZEK_TRUST_DIR/roots/kezek-demo-root.pem           trusted root (public)
    KEZEK_TRUST_DIR/intermediates/kezek-demo-nca.pem    issuing CA (public)
    KEZEK_TRUST_DIR/crls/kezek-demo-{root,nca}.crl      revocation lists (PEM)
    KEZEK_TRUST_DIR/demo-ca/*.key.pem, revoked.json     the CA's private keys: demo only, never committed (var/)
    KEZEK_TRUST_DIR/demo-keys/<username>.p12            one signing key per demo user (password demo-pass-2026)
    KEZEK_TRUST_DIR/demo-keys/citizen-{revoked,expired,auth}.p12   keys that must be refused, to try it out
    KEZEK_TRUST_DIR/demo-keys/provider-seal.p12  the housing department's seal (an organisation certificate, no
                                                 IIN); local settings use it as KEZEK_PROVIDER_SEAL_P12 by default

Idempotent: an existing CA is reused; a user's key is reissued only when missing, expiring within 30 days,
issued by another CA or for another IIN; the CRLs are re-signed when stale or when a key was revoked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from .pki import AUTHENTICATION, SIGNING, CertificateAuthority, pem, person_name, utcnow
from .trust import trust_dir

DEMO_PASSWORD = "demo-pass-2026"
ROOT_NAME = "KEZEK DEMO ROOT CA (NOT FOR PRODUCTION)"
NCA_NAME = "KEZEK DEMO ҰКО (NCA RSA)"
DEMO_BIN = {"almaty": "990140000016", "aktobe": "990240000024", "con": "990340000032"}
RENEW_BEFORE = timedelta(days=30)


@dataclass
class DemoCA:
    directory: Path
    root: CertificateAuthority
    nca: CertificateAuthority

    @property
    def keys_dir(self) -> Path:
        return self.directory / "demo-keys"

    def key_path(self, name: str) -> Path:
        return self.keys_dir / f"{name}.p12"


def _write(path: Path, content: bytes, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(content)
    if private:
        os.chmod(tmp, 0o600)
    tmp.replace(path)


def load_or_create(directory: Path | None = None) -> tuple[DemoCA, bool]:
    directory = Path(directory or trust_dir())
    private = directory / "demo-ca"
    paths = {
        "root_key": private / "root.key.pem", "nca_key": private / "nca.key.pem",
        "root": directory / "roots" / "kezek-demo-root.pem", "nca": directory / "intermediates" / "kezek-demo-nca.pem",
    }
    if all(p.exists() for p in paths.values()):
        root = CertificateAuthority(
            key=serialization.load_pem_private_key(paths["root_key"].read_bytes(), None),
            certificate=x509.load_pem_x509_certificate(paths["root"].read_bytes()),
        )
        nca = CertificateAuthority(
            key=serialization.load_pem_private_key(paths["nca_key"].read_bytes(), None),
            certificate=x509.load_pem_x509_certificate(paths["nca"].read_bytes()), parent=root,
        )
        revoked = private / "revoked.json"
        if revoked.exists():
            for serial, when in json.loads(revoked.read_text()).items():
                nca.revoked[int(serial)] = dt.datetime.fromisoformat(when)
        return DemoCA(directory, root, nca), False
    root = CertificateAuthority.create_root(ROOT_NAME)
    nca = root.create_intermediate(NCA_NAME)
    _write(paths["root_key"], pem(root.key), private=True)
    _write(paths["nca_key"], pem(nca.key), private=True)
    _write(paths["root"], pem(root.certificate))
    _write(paths["nca"], pem(nca.certificate))
    ca = DemoCA(directory, root, nca)
    write_crls(ca)
    return ca, True


def write_crls(ca: DemoCA) -> None:
    _write(ca.directory / "crls" / "kezek-demo-root.crl", pem(ca.root.crl()))
    _write(ca.directory / "crls" / "kezek-demo-nca.crl", pem(ca.nca.crl()))
    _write(ca.directory / "demo-ca" / "revoked.json",
           json.dumps({str(k): v.isoformat() for k, v in ca.nca.revoked.items()}).encode(), private=True)


def crls_stale(ca: DemoCA) -> bool:
    for name in ("kezek-demo-root.crl", "kezek-demo-nca.crl"):
        path = ca.directory / "crls" / name
        if not path.exists():
            return True
        crl = x509.load_pem_x509_crl(path.read_bytes())
        if crl.next_update_utc is None or crl.next_update_utc - utcnow() < RENEW_BEFORE:
            return True
        if name == "kezek-demo-nca.crl" and {r.serial_number for r in crl} != set(ca.nca.revoked):
            return True
    return False


def staff_iin(username: str, taken: set[str]) -> str:
    """A valid, stable IIN for a demo staff account (the simulator's people use other serials)."""
    from eligibility.iin import make_iin

    digest = int(hashlib.sha256(username.encode()).hexdigest(), 16)
    birth = date(1965, 1, 1) + timedelta(days=digest % (30 * 365))
    sex = "M" if digest % 2 else "F"
    serial = 9000 + digest % 900
    while True:
        iin = make_iin(birth, sex, serial)
        if iin not in taken:
            return iin
        serial += 1


def _organization(user) -> tuple[str, str]:
    if user.provider_id:
        return user.provider.name_ru, DEMO_BIN.get(user.provider.code, "990440000040")
    if user.service_centre_id:
        return "НАО «Государственная корпорация «Правительство для граждан»", DEMO_BIN["con"]
    return "", ""


def _current(path: Path, ca: DemoCA, iin: str, password: str) -> bool:
    if not path.exists():
        return False
    try:
        _, certificate, _ = pkcs12.load_key_and_certificates(path.read_bytes(), password.encode())
    except ValueError:
        return False
    if certificate is None or certificate.issuer != ca.nca.certificate.subject:
        return False
    if certificate.not_valid_after_utc - utcnow() < RENEW_BEFORE:
        return False
    if certificate.serial_number in ca.nca.revoked:
        return False
    return f"IIN{iin}" in certificate.subject.rfc4514_string()


def issue_user_key(ca: DemoCA, user, password: str = DEMO_PASSWORD, *, force: bool = False) -> tuple[Path, bool]:
    path = ca.key_path(user.username)
    if not force and _current(path, ca, user.iin, password):
        return path, False
    organization, bin_ = _organization(user)
    key = ca.nca.issue(
        person_name(iin=user.iin, surname=user.last_name or user.username, given_name=user.first_name,
                    patronymic=user.patronymic, organization=organization, bin_=bin_),
        usage=SIGNING,
    )
    _write(path, key.p12(password, friendly_name=user.username.encode()), private=True)
    return path, True


def issue_refused_keys(ca: DemoCA, citizen, password: str = DEMO_PASSWORD) -> list[Path]:
    """Keys for the demo citizen that must be refused: revoked, expired, authentication-only."""
    subject = person_name(iin=citizen.iin, surname=citizen.last_name or "CITIZEN", given_name=citizen.first_name)
    written = []
    specs = {
        "revoked": dict(usage=SIGNING),
        "expired": dict(usage=SIGNING, not_before=utcnow() - timedelta(days=400), not_after=utcnow() - timedelta(days=35)),
        "auth": dict(usage=AUTHENTICATION),
    }
    for name, spec in specs.items():
        path = ca.key_path(f"{citizen.username}-{name}")
        if path.exists():
            continue
        key = ca.nca.issue(subject, **spec)
        if name == "revoked":
            ca.nca.revoke(key.certificate)
        _write(path, key.p12(password, friendly_name=name.encode()), private=True)
        written.append(path)
    return written


SEAL_NAME = "provider-seal"


def _seal_current(path: Path, ca: DemoCA, password: str) -> bool:
    if not path.exists():
        return False
    try:
        _, certificate, _ = pkcs12.load_key_and_certificates(path.read_bytes(), password.encode())
    except ValueError:
        return False
    return (certificate is not None and certificate.issuer == ca.nca.certificate.subject
            and certificate.not_valid_after_utc - utcnow() >= RENEW_BEFORE and certificate.serial_number not in ca.nca.revoked)


def issue_provider_seal(ca: DemoCA, provider=None, password: str = DEMO_PASSWORD, *, force: bool = False) -> tuple[Path, bool]:
    """The department's seal (мөр): seals the published lists' manifests and the PDFs the server renders."""
    from cryptography.x509.oid import NameOID

    path = ca.key_path(f"{SEAL_NAME}-{provider.code}" if provider is not None else SEAL_NAME)
    if not force and _seal_current(path, ca, password):
        return path, False
    organization = provider.name_ru if provider is not None else "Отдел жилищных отношений (ДЕМО)"
    bin_ = DEMO_BIN.get(getattr(provider, "code", ""), "990440000040")
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"KEZEK DEMO SEAL {getattr(provider, 'code', '').upper()}".strip()[:64]),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, _upto_64_bytes(organization)),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"BIN{bin_}"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
    ])
    key = ca.nca.issue(subject, usage=SIGNING)
    _write(path, key.p12(password, friendly_name=SEAL_NAME.encode()), private=True)
    return path, True


def _upto_64_bytes(text: str) -> str:
    """X.509 name attributes hold at most 64 (UTF-8 encoded, as cryptography counts them)."""
    while len(text.encode()) > 64:
        text = text[:-1]
    return text


def demo_seal_path(directory: Path | None = None, provider_code: str = "{provider}") -> Path:
    """Each demo department's seal: provider-seal-<code>.p12 (the template with "{provider}" by default)."""
    return Path(directory or trust_dir()) / "demo-keys" / f"{SEAL_NAME}-{provider_code}.p12"


def demo_key(username: str) -> Path:
    return trust_dir() / "demo-keys" / f"{username}.p12"


def sign_decision_as(case, head, password: str = DEMO_PASSWORD):
    """seed_demo: the head signs with their demo key when EDS is required, else the plain approval."""
    from applications.services import review

    from .services import eds_required, sign_decision_with_key

    if not eds_required():
        return review.sign_decision(case, head)
    return sign_decision_with_key(case, head, demo_key(head.username).read_bytes(), password)
