"""The signed-intake benchmark's client signer (bench/signed_intake.py) makes signatures Kezek accepts.

The benchmark measures signed intake over HTTP; if its CMS were refused it would measure refusals. Here, in
process: the page's payload as the bench extracts it, signed as the bench signs, is accepted by the operator's
form; and the same checks the server runs still refuse what they must (other bytes, another person's key).
"""

import importlib.util
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from applications.models import Application
from signatures import errors
from signatures.cms import verify_cms
from signatures.models import Signature, SignaturePurpose
from signatures.services import canonical_bytes
from tests.factories import simulated_people
from tests.signatures.flows import operator_form
from tests.signatures.pki_support import CITIZEN_IIN, OPERATOR_IIN, OTHER_IIN, PASSWORD

pytestmark = pytest.mark.django_db

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"kezek_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _load("signed_intake")


def _signer(bench, pki, name):
    """As the bench opens the operator's key file: a PKCS#12 with the key, its certificate and the issuing CA."""
    return bench.CmsSigner.from_p12(pki.keys[name].p12(PASSWORD), PASSWORD)


def test_bench_signature_files_the_operators_paper_application(bench, trust, department, users, login):
    operator = users["operator"]
    operator.iin = OPERATOR_IIN
    operator.save(update_fields=["iin"])
    signer = _signer(bench, trust, "operator")
    assert signer.iin == OPERATOR_IIN
    client = login(operator)
    url = reverse("applications:operator_new") + f"?iin={simulated_people()[1].iin}"

    first = client.post(url, operator_form(department))
    payload = bench.payload_from_page(first.content.decode())
    assert first.status_code == 200 and payload is not None and not Application.objects.exists()

    signed = client.post(url, operator_form(department, eds_cms=signer.sign_b64(payload),
                                            eds_method=bench.SIGNING_METHOD))
    case = Application.objects.get()
    assert signed.status_code == 302
    assert signed["Location"] == reverse("applications:operator_case", args=[case.number])
    assert _load("load_bench").CASE_RE.search(signed["Location"]).group(1) == case.number  # what the bench counts
    signature = Signature.objects.get(application=case)
    assert signature.purpose == SignaturePurpose.INTAKE and signature.certificate_iin == OPERATOR_IIN
    assert bytes(signature.payload) == payload == canonical_bytes(case.filed_payload)
    assert signature.method == "file" and signature.digest_algorithm == "sha256"
    assert signature.claimed_signing_time is not None  # the signed attributes carry the signing time, as the browser's


def test_bench_signature_is_verified_and_refused_like_any_other(bench, trust):
    payload = canonical_bytes({"applicant": {"iin": CITIZEN_IIN}, "channel": "service_centre"})
    signer = _signer(bench, trust, "operator")
    cms = signer.sign(payload)

    verified = verify_cms(cms, payload, expected_iin=OPERATOR_IIN)
    assert verified.signer.iin == OPERATOR_IIN and verified.digest_algorithm == "sha256"
    with pytest.raises(errors.TamperedContent):
        verify_cms(cms, payload + b" ", expected_iin=OPERATOR_IIN)
    with pytest.raises(errors.IinMismatch):  # the applicant's own key is not the operator's
        verify_cms(_signer(bench, trust, "valid").sign(payload), payload, expected_iin=OPERATOR_IIN)


def test_bench_signature_has_the_browsers_signed_attributes(bench, trust):
    """The same CAdES-BES attributes as static/js/eds-sign.js, so the server's cost is the browser's case."""
    import hashlib

    from asn1crypto import cms as asn1_cms

    signer = _signer(bench, trust, "operator")
    info = asn1_cms.ContentInfo.load(signer.sign(b"payload"))
    signed_data = info["content"]
    assert signed_data["encap_content_info"]["content"].native is None  # detached
    attributes = {a["type"].native: a["values"][0] for a in signed_data["signer_infos"][0]["signed_attrs"]}
    assert set(attributes) == {"content_type", "signing_time", "message_digest", "signing_certificate_v2"}
    assert attributes["message_digest"].native == hashlib.sha256(b"payload").digest()
    cert_hash = attributes["signing_certificate_v2"]["certs"][0]["cert_hash"].native
    assert cert_hash == hashlib.sha256(signer.certificate.dump()).digest()
    assert len(signed_data["certificates"]) == 2  # the signer's certificate and the issuing CA from the key file


def test_preflight_stops_a_run_the_server_would_refuse(bench, trust):
    bench.preflight(_signer(bench, trust, "operator"), OPERATOR_IIN)
    with pytest.raises(RuntimeError, match="untrusted"):
        bench.preflight(_signer(bench, trust, "untrusted"), OPERATOR_IIN)
    with pytest.raises(RuntimeError, match="revoked"):
        bench.preflight(_signer(bench, trust, "revoked"), CITIZEN_IIN)


def test_operator_signer_opens_the_demo_key_of_that_operator_only(bench, trust, settings, users):
    operator = users["operator"]
    keys = Path(settings.KEZEK_TRUST_DIR) / "demo-keys"
    with pytest.raises(RuntimeError, match="no demo key"):
        bench.operator_signer(operator)
    keys.mkdir()
    (keys / f"{operator.username}.p12").write_bytes(trust.keys["operator"].p12(PASSWORD))
    operator.iin = OTHER_IIN  # someone else's IIN: the key on disk was issued for another database
    with pytest.raises(RuntimeError, match="is for IIN"):
        bench.operator_signer(operator)
    operator.iin = OPERATOR_IIN
    signer, path = bench.operator_signer(operator)
    assert signer.iin == OPERATOR_IIN and path.name == f"{operator.username}.p12"
