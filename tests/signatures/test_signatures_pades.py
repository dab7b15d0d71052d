"""The head signs the decision PDF (PAdES) with a key that never leaves the head's device; independent tools agree."""

import base64
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings as django_settings
from django.urls import reverse

from applications.models import Application, CaseState
from applications.services import review
from audit.models import AuditEvent
from signatures import errors
from signatures.cms import run_sync
from signatures.models import PadesSession, Signature, SignaturePurpose
from signatures.services import sign_decision_with_key
from signatures.verification import check_pdf
from tests.signatures.flows import case_awaiting_signature, text_of, tr
from tests.signatures.pki_support import HEAD_IIN, PASSWORD, asn1_certificate, certificates_b64, nss_db

pytestmark = pytest.mark.django_db

EXTRACT = Path(django_settings.BASE_DIR) / "signatures" / "tools" / "extract_cms.py"


@pytest.fixture
def head(users):
    users["head"].iin = HEAD_IIN
    users["head"].save(update_fields=["iin"])
    return users["head"]


def _prepare(client, case, key, method="file"):
    return client.post(reverse("signatures:prepare_decision", args=[case.number]),
                       {"certificate": certificates_b64(key), "method": method})


def _device_signs(key, prepared: dict) -> str:
    """What eds-sign.js does with WebCrypto: RSASSA-PKCS1-v1_5/SHA-256 over the DER signed attributes."""
    value = key.private_key.sign(base64.b64decode(prepared["signed_attrs"]), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(value).decode()


def _complete(client, case, **fields):
    data = {"eds_session": "", "eds_signature_value": "", "eds_cms": "", "eds_method": "file", **fields}
    return client.post(reverse("applications:case_action", args=[case.number, "sign"]), data)


def _sign_in_browser_way(trust, department, users, login, head):
    case = case_awaiting_signature(department, users)
    client = login(head)
    prepared = _prepare(client, case, trust.keys["head"])
    assert prepared.status_code == 200, prepared.content
    answer = prepared.json()
    response = _complete(client, case, eds_session=answer["session"], eds_signature_value=_device_signs(trust.keys["head"], answer))
    assert response.status_code == 302, text_of(response)
    case.refresh_from_db()
    return case, answer


def _signed_document(case):
    decision = case.decisions.get(signed_at__isnull=False)
    with decision.document.file.open("rb") as handle:
        return decision, handle.read()


def test_head_signs_the_decision_and_the_pdf_carries_the_signature(trust, department, users, login, head):
    case, answer = _sign_in_browser_way(trust, department, users, login, head)
    assert case.state == CaseState.QUEUED
    decision, content = _signed_document(case)
    document = decision.document
    assert document.number == answer["document_number"]
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    signature = Signature.objects.get(purpose=SignaturePurpose.DECISION)
    assert signature.document == document and signature.signer == head and signature.certificate_iin == HEAD_IIN
    for action in ("signature.decision_prepared", "signature.decision_signed"):
        event = AuditEvent.objects.get(action=action)
        assert event.data["certificate_serial"] == signature.certificate_serial
        assert event.data["certificate_sha256"] == signature.certificate_sha256
    # pyHanko: intact, covering the whole file, trusted, not revoked
    check = check_pdf(content)
    assert check.document == document and check.ok, check
    assert check.signatures[0].signer.common_name == "ҚҰДАЙБЕРГЕНОВ АСҚАР"
    assert PadesSession.objects.get().completed_at is not None
    # the signature, the certificate and the signing time are printed in the document itself
    pdftotext = shutil.which("pdftotext")
    text = subprocess.run([pdftotext, "-layout", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()
    assert "ҚҰДАЙБЕРГЕНОВ АСҚАР" in text and signature.certificate_serial in text
    assert tr("Signed with an electronic digital signature (EDS)", "kk") in text
    assert tr("Signed at", "kk") in text


def test_signed_pdf_verifies_with_pdfsig(trust, department, users, login, head, tmp_path):
    case, _ = _sign_in_browser_way(trust, department, users, login, head)
    _, content = _signed_document(case)
    pdf = tmp_path / "decision.pdf"
    pdf.write_bytes(content)
    pdfsig = shutil.which("pdfsig")
    assert pdfsig, "pdfsig (Debian poppler-utils) is needed; `make system-deps` installs it"
    database = nss_db(tmp_path / "nss", trust.root_pem)
    result = subprocess.run([pdfsig, "-nssdir", f"sql:{database}", str(pdf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Signature Validation: Signature is Valid." in result.stdout, result.stdout
    assert "Certificate Validation: Certificate is Trusted." in result.stdout, result.stdout
    assert "Total document signed" in result.stdout and "ETSI.CAdES.detached" in result.stdout
    assert "ҚҰДАЙБЕРГЕНОВ АСҚАР" in result.stdout
    # a changed byte inside the signed range: pdfsig says so
    broken = bytearray(content)
    at = content.index(b"/Type /Catalog") if b"/Type /Catalog" in content else 200
    broken[at + 1] = ord("X")
    pdf.write_bytes(bytes(broken))
    result = subprocess.run([pdfsig, "-nssdir", f"sql:{database}", str(pdf)], capture_output=True, text=True)
    assert "Signature is Valid." not in result.stdout


def test_signed_pdf_verifies_with_openssl_over_the_byte_ranges(trust, department, users, login, head, tmp_path):
    case, _ = _sign_in_browser_way(trust, department, users, login, head)
    _, content = _signed_document(case)
    (tmp_path / "decision.pdf").write_bytes(content)
    extracted = subprocess.run([sys.executable, str(EXTRACT), str(tmp_path / "decision.pdf"), str(tmp_path / "out")],
                               capture_output=True, text=True)
    assert extracted.returncode == 0 and "covers the whole file" in extracted.stdout, extracted.stderr
    # the CA file carries the root and both CRLs, so -crl_check_all checks revocation of the whole chain too
    trust_dir = Path(django_settings.KEZEK_TRUST_DIR)
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(trust.root_pem + b"".join(p.read_bytes() for p in sorted((trust_dir / "crls").iterdir())))
    command = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "out" / "sig-1.der"),
               "-content", str(tmp_path / "out" / "signed-1.bin"), "-CAfile", str(bundle), "-purpose", "any",
               "-crl_check_all", "-out", "/dev/null"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0 and "Verification successful" in result.stderr, result.stderr
    signed = (tmp_path / "out" / "signed-1.bin").read_bytes()
    (tmp_path / "out" / "signed-1.bin").write_bytes(signed.replace(b"/Type", b"/Typo", 1))
    assert subprocess.run(command, capture_output=True, text=True).returncode != 0


def test_ncalayer_style_cms_over_the_digest_is_embedded(trust, department, users, login, head):
    """NCALayer's createCAdESFromBase64Hash returns a whole CMS over the ByteRange digest; it is embedded as is."""
    from asn1crypto import keys as asn1_keys
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    case = case_awaiting_signature(department, users)
    client = login(head)
    answer = _prepare(client, case, trust.keys["head"], method="ncalayer").json()
    key = trust.keys["head"]
    signer = signers.SimpleSigner(
        signing_cert=asn1_certificate(key),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs([asn1_certificate(key)]),
    )
    cms = run_sync(signer.async_sign(base64.b64decode(answer["document_digest"]), "sha256", use_pades=False))
    response = _complete(client, case, eds_session=answer["session"], eds_cms=base64.b64encode(cms.dump()).decode(),
                         eds_method="ncalayer")
    assert response.status_code == 302, text_of(response)
    case.refresh_from_db()
    _, content = _signed_document(case)
    assert check_pdf(content).ok
    assert Signature.objects.get().method == "ncalayer"


def test_a_decision_cannot_be_signed_without_eds(trust, department, users, login, head):
    case = case_awaiting_signature(department, users)
    response = _complete(login(head), case)
    assert response.status_code == 400
    assert tr("An electronic digital signature (EDS) is required: sign with your EDS key through NCALayer or a key file.") in text_of(response)
    assert Application.objects.get(pk=case.pk).state == CaseState.AWAITING_SIGNATURE
    with pytest.raises(errors.SignatureMissing):
        review.sign_decision(case, head)


def test_the_case_page_offers_the_signing_widget(trust, department, users, login, head):
    case = case_awaiting_signature(department, users)
    page = login(head).get(reverse("applications:staff_case", args=[case.number]))
    html = page.content.decode()
    assert 'data-eds="pades"' in html and reverse("signatures:prepare_decision", args=[case.number]) in html
    assert 'name="eds_session"' in html and 'name="eds_signature_value"' in html


def test_prepare_refuses_a_certificate_that_is_not_the_heads(trust, department, users, login, head):
    case = case_awaiting_signature(department, users)
    client = login(head)
    for key, code in (("valid", "iin_mismatch"), ("revoked", "revoked"), ("auth_only", "key_usage"), ("untrusted", "untrusted")):
        response = _prepare(client, case, trust.keys[key])
        assert response.status_code == 400 and response.json()["code"] == code, (key, response.content)
    assert not PadesSession.objects.exists()
    assert AuditEvent.objects.filter(action="signature.refused").count() == 4


def test_a_signature_made_with_another_key_is_refused(trust, department, users, login, head):
    case = case_awaiting_signature(department, users)
    client = login(head)
    answer = _prepare(client, case, trust.keys["head"]).json()
    response = _complete(client, case, eds_session=answer["session"], eds_signature_value=_device_signs(trust.keys["valid"], answer))
    assert response.status_code == 400
    assert tr("The signature value is wrong: it was not made with the key of the certificate it carries.") in text_of(response)
    assert Application.objects.get(pk=case.pk).state == CaseState.AWAITING_SIGNATURE
    assert not Signature.objects.exists()


def test_the_document_changed_while_signing(trust, department, users, login, head):
    """The queue moved between preparing and signing: the printed queue number would be wrong."""
    from eligibility.adapters import get_individuals_registry
    from tests.factories import file_case

    earlier = file_case(department, users["operator"], person=get_individuals_registry().find_person("870707324813"))
    case = case_awaiting_signature(department, users)
    client = login(head)
    answer = _prepare(client, case, trust.keys["head"]).json()
    assert PadesSession.objects.get().context["queue_number"] == 2
    review.withdraw(earlier, users["operator"], "test")  # the case ahead leaves: our number becomes 1
    response = _complete(client, case, eds_session=answer["session"], eds_signature_value=_device_signs(trust.keys["head"], answer))
    assert response.status_code == 400
    assert tr("The document changed while you were signing it (for example, the queue number moved). Please sign it again.") in text_of(response)
    assert Application.objects.get(pk=case.pk).state == CaseState.AWAITING_SIGNATURE
    # signing again prepares the document with the new number
    answer = _prepare(client, case, trust.keys["head"]).json()
    assert _complete(client, case, eds_session=answer["session"],
                     eds_signature_value=_device_signs(trust.keys["head"], answer)).status_code == 302
    assert Application.objects.get(pk=case.pk).decisions.get(signed_at__isnull=False).queue_number == 1


def test_an_expired_or_used_session_is_refused(trust, department, users, login, head):
    case = case_awaiting_signature(department, users)
    client = login(head)
    answer = _prepare(client, case, trust.keys["head"]).json()
    PadesSession.objects.update(expires_at=PadesSession.objects.get().created_at)
    response = _complete(client, case, eds_session=answer["session"], eds_signature_value=_device_signs(trust.keys["head"], answer))
    assert response.status_code == 400
    assert tr("The signing session has expired or was already used. Please sign again.") in text_of(response)


def test_server_side_signing_helper_for_the_demo(trust, department, users, head):
    case = case_awaiting_signature(department, users)
    decision = sign_decision_with_key(case, head, trust.keys["head"].p12(PASSWORD), PASSWORD)
    assert decision.document.signatures.get().method == "server"
    with decision.document.file.open("rb") as handle:
        assert check_pdf(handle.read()).ok
