"""A small certification authority made with `cryptography`, shaped like Kazakhstan's NCA (ҰКО / НУЦ РК).

Used by `manage.py demo_ca` (the demo CA under KEZEK_TRUST_DIR) and by the tests (a throw-away CA per run).
It is never a production CA: production trusts the real NCA roots put in the trust directory.

NCA certificates carry the holder's IIN in the subject's serialNumber attribute as ``IIN`` + 12 digits,
the name in CN (surname and given name), SURNAME, GIVENNAME; an employee's certificate also carries the
organisation (O) and its BIN in OU as ``BIN`` + 12 digits. Signing keys have the keyUsage
digitalSignature + nonRepudiation; authentication keys digitalSignature + keyEncipherment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_SIZE = 2048
SIGNING = "signing"  # digitalSignature + nonRepudiation (what a signature needs)
AUTHENTICATION = "authentication"  # digitalSignature + keyEncipherment (an NCA AUTH_RSA key: no nonRepudiation)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)


def person_name(*, iin: str, surname: str, given_name: str, patronymic: str = "", organization: str = "",
                bin_: str = "") -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COMMON_NAME, f"{surname} {given_name}".upper()),
        x509.NameAttribute(NameOID.SURNAME, surname.upper()),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, f"IIN{iin}"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
    ]
    if given_name:
        attributes.append(x509.NameAttribute(NameOID.GIVEN_NAME, (given_name + (" " + patronymic if patronymic else "")).upper()))
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    if bin_:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"BIN{bin_}"))
    return x509.Name(attributes)


@dataclass
class IssuedKey:
    """A key pair with its certificate, as a PKCS#12 file would hold it."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey
    chain: list[x509.Certificate] = field(default_factory=list)  # issuing CAs, nearest first, root excluded

    def p12(self, password: str, friendly_name: bytes = b"eds") -> bytes:
        """A PKCS#12 file like NCA issues: key + certificate + issuing CA, password-protected."""
        encryption = serialization.BestAvailableEncryption(password.encode())
        return pkcs12.serialize_key_and_certificates(
            friendly_name, self.private_key, self.certificate, self.chain or None, encryption
        )

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


@dataclass
class CertificateAuthority:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    parent: CertificateAuthority | None = None
    revoked: dict[int, dt.datetime] = field(default_factory=dict)  # serial -> revocation time

    @property
    def name(self) -> x509.Name:
        return self.certificate.subject

    @property
    def chain(self) -> list[x509.Certificate]:
        """This CA and its parents below the root (what a signer sends along), nearest first."""
        result, ca = [], self
        while ca is not None and ca.parent is not None:
            result.append(ca.certificate)
            ca = ca.parent
        return result

    @classmethod
    def create_root(cls, common_name: str, *, key=None, not_before=None, not_after=None) -> CertificateAuthority:
        key = key or new_key()
        not_before = not_before or utcnow() - dt.timedelta(days=1)
        not_after = not_after or not_before + dt.timedelta(days=365 * 20)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ")])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key=key, certificate=certificate)

    def create_intermediate(self, common_name: str, *, key=None, not_before=None, not_after=None) -> CertificateAuthority:
        key = key or new_key()
        not_before = not_before or utcnow() - dt.timedelta(days=1)
        not_after = not_after or not_before + dt.timedelta(days=365 * 10)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ")])
        certificate = (
            self._builder(name, key.public_key(), not_before, not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_ca_key_usage(), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        return CertificateAuthority(key=key, certificate=certificate, parent=self)

    def issue(self, subject: x509.Name, *, usage: str = SIGNING, key=None, not_before=None, not_after=None,
              serial: int | None = None) -> IssuedKey:
        """An end-entity certificate; `usage` SIGNING has nonRepudiation, AUTHENTICATION does not."""
        key = key or new_key()
        not_before = not_before or utcnow() - dt.timedelta(days=1)
        not_after = not_after or not_before + dt.timedelta(days=365)
        if usage == SIGNING:
            key_usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                      data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                      encipher_only=False, decipher_only=False)
            extended = [ExtendedKeyUsageOID.EMAIL_PROTECTION]
        else:
            key_usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                      data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                      encipher_only=False, decipher_only=False)
            extended = [ExtendedKeyUsageOID.CLIENT_AUTH]
        certificate = (
            self._builder(subject, key.public_key(), not_before, not_after, serial=serial)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(key_usage, critical=True)
            .add_extension(x509.ExtendedKeyUsage(extended), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return IssuedKey(certificate=certificate, private_key=key, chain=self.chain)

    def revoke(self, certificate: x509.Certificate, when: dt.datetime | None = None) -> None:
        self.revoked[certificate.serial_number] = when or utcnow() - dt.timedelta(minutes=5)

    def crl(self, *, this_update=None, next_update=None) -> x509.CertificateRevocationList:
        this_update = this_update or utcnow() - dt.timedelta(hours=1)
        next_update = next_update or this_update + dt.timedelta(days=365)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.name)
            .last_update(this_update)
            .next_update(next_update)
            .add_extension(x509.CRLNumber(int(this_update.timestamp())), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
        )
        for serial, when in sorted(self.revoked.items()):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(when)
                .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
                .build()
            )
        return builder.sign(self.key, hashes.SHA256())

    def _builder(self, subject, public_key, not_before, not_after, serial=None) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.name)
            .public_key(public_key)
            .serial_number(serial or x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                         key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False)


def pem(obj) -> bytes:
    """PEM of a certificate, CRL or private key (unencrypted: demo and tests only)."""
    if isinstance(obj, rsa.RSAPrivateKey):
        return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return obj.public_bytes(serialization.Encoding.PEM)
