"""manage.py demo_ca, the provider's server-side seal, and the byte-range extraction tool."""

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError

from applications.models import Channel
from eligibility.iin import is_valid_iin
from signatures.cms import verify_cms
from signatures.demo import DEMO_PASSWORD
from signatures.models import Signature, SignaturePurpose
from signatures.pki import person_name
from signatures.trust import load_trust
from tests.signatures.pki_support import sign_cms

pytestmark = pytest.mark.django_db


def _key(directory: Path, name: str):
    return pkcs12.load_key_and_certificates((directory / "demo-keys" / f"{name}.p12").read_bytes(), DEMO_PASSWORD.encode())


def test_demo_ca_issues_keys_for_the_demo_users_idempotently(users, settings, tmp_path):
    settings.KEZEK_TRUST_DIR = tmp_path / "trust"
    settings.KEZEK_REQUIRE_EDS = True
    with pytest.raises(CommandError):  # publishes a password: not without DEBUG or --force
        call_command("demo_ca", stdout=open("/dev/null", "w"))
    call_command("demo_ca", force=True, stdout=open("/dev/null", "w"))
    directory = tmp_path / "trust"
    users["head"].refresh_from_db()
    assert users["head"].iin and is_valid_iin(users["head"].iin)  # staff get an IIN, as NCA certificates carry one
    citizen_key, citizen_cert, chain = _key(directory, "citizen")
    assert f"IIN{users['citizen'].iin}" in citizen_cert.subject.rfc4514_string() and chain
    head_key, head_cert, _ = _key(directory, "head")
    assert f"IIN{users['head'].iin}" in head_cert.subject.rfc4514_string()
    assert len(load_trust().roots) == 1 and len(load_trust().crls) == 2
    # the demo keys sign, and the portal believes them
    from signatures.pki import IssuedKey

    payload = b'{"x":1}'
    verified = verify_cms(sign_cms(IssuedKey(citizen_cert, citizen_key, chain), payload), payload,
                          expected_iin=users["citizen"].iin)
    assert verified.signer.iin == users["citizen"].iin
    # the keys meant to be refused are there and are refused
    revoked_key, revoked_cert, revoked_chain = _key(directory, "citizen-revoked")
    from signatures import errors

    with pytest.raises(errors.CertificateRevoked):
        verify_cms(sign_cms(IssuedKey(revoked_cert, revoked_key, revoked_chain), payload), payload,
                   expected_iin=users["citizen"].iin)
    # private keys of the CA are readable by the owner only
    assert oct((directory / "demo-ca" / "nca.key.pem").stat().st_mode & 0o777) == "0o600"
    # idempotent: nothing is reissued the second time, the head keeps the IIN
    before = (directory / "demo-keys" / "head.p12").read_bytes()
    iin = users["head"].iin
    call_command("demo_ca", force=True, stdout=open("/dev/null", "w"))
    assert (directory / "demo-keys" / "head.p12").read_bytes() == before
    users["head"].refresh_from_db()
    assert users["head"].iin == iin


def test_provider_seal_signs_rendered_documents(trust, settings, department, users, tmp_path):
    """KEZEK_PROVIDER_SEAL_P12: the server seals the PDFs it renders (here an acceptance receipt)."""
    from django.test import TestCase

    from signatures.verification import check_pdf
    from tests.factories import file_case

    seal = trust.nca.issue(person_name(iin="990140000016", surname="Тұрғын үй басқармасы", given_name="",
                                       organization="Алматы қаласының тұрғын үй басқармасы", bin_="990140000016"))
    path = tmp_path / "seal.p12"
    path.write_bytes(seal.p12("seal-pass"))
    settings.KEZEK_PROVIDER_SEAL_P12 = str(path)
    settings.KEZEK_PROVIDER_SEAL_PASSWORD = "seal-pass"
    settings.KEZEK_REQUIRE_EDS = False
    with TestCase.captureOnCommitCallbacks(execute=True):
        case = file_case(department, users["operator"], channel=Channel.SERVICE_CENTRE)
    receipt = case.issued_documents.get()
    signature = Signature.objects.get(purpose=SignaturePurpose.SEAL)
    assert signature.document == receipt and signature.signer is None and signature.method == "server"
    with receipt.file.open("rb") as handle:
        check = check_pdf(handle.read(), document=receipt)
    assert check.ok and check.signatures[0].signer.bin == "990140000016"


def test_extract_tool_rejects_a_pdf_without_signatures(tmp_path):
    from weasyprint import HTML

    tool = Path(django_settings.BASE_DIR) / "signatures" / "tools" / "extract_cms.py"
    (tmp_path / "plain.pdf").write_bytes(HTML(string="<p>x</p>").write_pdf())
    result = subprocess.run([sys.executable, str(tool), str(tmp_path / "plain.pdf"), str(tmp_path / "out")],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "no signatures" in result.stderr


def test_refresh_crls_downloads_into_the_trust_directory(trust, settings, tmp_path):
    from signatures.pki import pem

    source = tmp_path / "nca_rsa.crl"
    source.write_bytes(pem(trust.nca.crl()))
    (tmp_path / "broken.crl").write_bytes(b"not a crl")
    with pytest.raises(CommandError):
        call_command("refresh_crls", f"file://{tmp_path / 'broken.crl'}", stdout=open("/dev/null", "w"),
                     stderr=open("/dev/null", "w"))
    call_command("refresh_crls", f"file://{source}", stdout=open("/dev/null", "w"))
    target = Path(settings.KEZEK_TRUST_DIR) / "crls" / "nca_rsa.crl"
    assert target.read_bytes() == source.read_bytes()
    assert not (Path(settings.KEZEK_TRUST_DIR) / "crls" / "broken.crl").exists()
