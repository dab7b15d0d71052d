"""A throw-away PKI for the tests: a trusted root with an NCA-like intermediate, an untrusted root, and
signer keys of every kind the portal must tell apart (signatures/pki.py builds them)."""

from __future__ import annotations

import base64
import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from signatures.pki import AUTHENTICATION, SIGNING, CertificateAuthority, IssuedKey, pem, person_name, utcnow

CITIZEN_IIN = "900215300126"
OTHER_IIN = "920703412013"  # another person of the simulator
HEAD_IIN = "820226395650"
OPERATOR_IIN = "870210392757"
PASSWORD = "demo-pass-2026"


@dataclass
class TestPKI:
    root: CertificateAuthority
    nca: CertificateAuthority
    rogue_root: CertificateAuthority
    keys: dict[str, IssuedKey] = field(default_factory=dict)

    __test__ = False  # not a test class

    @classmethod
    def build(cls) -> TestPKI:
        root = CertificateAuthority.create_root("TEST ROOT CA")
        nca = root.create_intermediate("TEST ҰКО (RSA)")
        rogue = CertificateAuthority.create_root("ROGUE ROOT CA")
        pki = cls(root=root, nca=nca, rogue_root=rogue.create_intermediate("ROGUE ҰКО"))
        now = utcnow()
        citizen = dict(iin=CITIZEN_IIN, surname="Серікбаев", given_name="Ерлан")
        pki.keys = {
            "valid": nca.issue(person_name(**citizen)),
            "expired": nca.issue(person_name(**citizen), not_before=now - dt.timedelta(days=400),
                                 not_after=now - dt.timedelta(days=2)),
            "not_yet_valid": nca.issue(person_name(**citizen), not_before=now + dt.timedelta(days=2),
                                       not_after=now + dt.timedelta(days=400)),
            "revoked": nca.issue(person_name(**citizen)),
            "untrusted": pki.rogue_root.issue(person_name(**citizen)),
            "other_iin": nca.issue(person_name(iin=OTHER_IIN, surname="Бекова", given_name="Айжан")),
            "auth_only": nca.issue(person_name(**citizen), usage=AUTHENTICATION),
            "head": nca.issue(person_name(iin=HEAD_IIN, surname="Құдайбергенов", given_name="Асқар",
                                          organization="Алматы қаласының тұрғын үй басқармасы", bin_="990140000016")),
            "operator": nca.issue(person_name(iin=OPERATOR_IIN, surname="Оспанова", given_name="Динара",
                                              organization="ХҚО", bin_="990340000032")),
        }
        nca.revoke(pki.keys["revoked"].certificate, now - dt.timedelta(minutes=10))
        return pki

    def write_trust_dir(self, directory: Path) -> Path:
        for sub in ("roots", "intermediates", "crls"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        (directory / "roots" / "test-root.pem").write_bytes(pem(self.root.certificate))
        (directory / "intermediates" / "test-nca.pem").write_bytes(pem(self.nca.certificate))
        (directory / "crls" / "test-root.crl").write_bytes(pem(self.root.crl()))
        (directory / "crls" / "test-nca.crl").write_bytes(pem(self.nca.crl()))
        return directory

    def issue(self, iin: str, *, usage=SIGNING, **names) -> IssuedKey:
        return self.nca.issue(person_name(iin=iin, surname=names.get("surname", "Тестов"),
                                          given_name=names.get("given_name", "Тест")), usage=usage)

    def p12_file(self, directory: Path, name: str, password: str = PASSWORD) -> Path:
        path = directory / f"{name}.p12"
        path.write_bytes(self.keys[name].p12(password))
        return path

    @property
    def root_pem(self) -> bytes:
        return pem(self.root.certificate)


def sign_cms(key: IssuedKey, data: bytes) -> bytes:
    """A detached CMS made by an independent signer (cryptography's PKCS#7 builder)."""
    builder = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(key.certificate, key.private_key, hashes.SHA256())
    for certificate in key.chain:
        builder = builder.add_certificate(certificate)
    return builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])


def sign_cms_b64(key: IssuedKey, data: bytes) -> str:
    return base64.b64encode(sign_cms(key, data)).decode()


def certificates_b64(key: IssuedKey) -> list[str]:
    return [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in [key.certificate, *key.chain]]


def asn1_certificate(key: IssuedKey) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(key.certificate.public_bytes(serialization.Encoding.DER))


def nss_db(directory: Path, root_pem: bytes) -> Path:
    """An NSS certificate database trusting `root_pem`, for poppler's pdfsig (certutil: Debian libnss3-tools)."""
    certutil = shutil.which("certutil")
    assert certutil, "certutil is needed (Debian libnss3-tools; `make system-deps` installs it)"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "root.pem").write_bytes(root_pem)
    subprocess.run([certutil, "-N", "-d", f"sql:{directory}", "--empty-password"], check=True, capture_output=True)
    subprocess.run([certutil, "-A", "-d", f"sql:{directory}", "-n", "kezek-test-root", "-t", "CT,C,C", "-a",
                    "-i", str(directory / "root.pem")], check=True, capture_output=True)
    return directory
