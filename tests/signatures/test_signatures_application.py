"""Applicants sign what they file: the online review step and the ЦОН operator's paper application."""

import base64

import pytest
from django.urls import reverse

from applications.models import Application, Channel
from applications.services import drafts
from audit.models import AuditEvent
from documents.models import DocumentKind, IssuedDocument
from signatures import errors
from signatures.models import Signature, SignaturePurpose
from signatures.services import accept_with_signature, canonical_bytes
from tests.factories import intake_request, simulated_people
from tests.signatures.flows import complete_draft, operator_form, text_of, tr
from tests.signatures.pki_support import OPERATOR_IIN, sign_cms_b64

pytestmark = pytest.mark.django_db


def _review(client):
    return client.get(reverse("applications:apply_step", args=["review"]))


def _payload(response) -> bytes:
    match = response.content.decode().split('data-eds-payload="', 1)
    assert len(match) == 2, "the review step offers no signing widget"
    return base64.b64decode(match[1].split('"', 1)[0])


def _submit(client, draft, **extra):
    data = {"draft_version": draft.data["version"], **extra}
    return client.post(reverse("applications:apply_submit", args=[draft.pk]), data)


def test_review_step_offers_the_exact_payload_and_no_unsigned_submit(trust, department, users, login):
    client = login(users["citizen"])
    draft = complete_draft(department, users["citizen"])
    page = _review(client)
    assert page.status_code == 200
    payload = _payload(page)
    assert payload == drafts.payload_to_sign(draft, users["citizen"], "kk")
    assert b'"iin":"900215300126"' in payload and "Серікбаев".encode() in payload
    html = page.content.decode()
    assert 'name="eds_cms"' in html and "eds-sign.js" in html and "forge.min.js" in html
    assert "<script>" not in html  # the CSP forbids inline scripts
    # the only submit button is the widget's (which signs first); without JS the page explains why
    assert 'type="submit">' + tr("Submit application") not in html
    assert tr("Without a signature this cannot be submitted. Please turn JavaScript on, or come to a public service centre.") in text_of(page)


def test_signed_application_is_accepted_and_the_signature_kept(trust, department, users, login):
    client = login(users["citizen"])
    draft = complete_draft(department, users["citizen"])
    payload = _payload(_review(client))
    response = _submit(client, draft, eds_cms=sign_cms_b64(trust.keys["valid"], payload), eds_method="file")
    case = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("applications:submitted", args=[case.number])
    signature = Signature.objects.get()
    assert signature.purpose == SignaturePurpose.APPLICATION and signature.application == case
    assert signature.signer == users["citizen"] and signature.method == "file"
    assert bytes(signature.payload) == payload == canonical_bytes(case.filed_payload)  # exactly what was filed
    assert signature.certificate_iin == "900215300126" and signature.certificate_serial
    event = AuditEvent.objects.get(action="signature.application_signed")
    assert event.data["certificate_serial"] == signature.certificate_serial
    assert event.data["certificate_sha256"] == signature.certificate_sha256 and len(signature.certificate_sha256) == 64
    # the staff case page shows the signature
    staff = login(users["clerk"]).get(reverse("applications:staff_case", args=[case.number]))
    assert signature.certificate_serial in text_of(staff)
    # a second click on the same draft: the same case, one signature
    login(users["citizen"])
    again = _submit(client, draft, eds_cms=sign_cms_b64(trust.keys["valid"], payload))
    assert again["Location"] == response["Location"]
    assert Application.objects.count() == 1 and Signature.objects.count() == 1


def test_unsigned_submission_is_refused_on_the_portal(trust, department, users, login):
    client = login(users["citizen"])
    draft = complete_draft(department, users["citizen"])
    response = _submit(client, draft)
    assert response.status_code == 302 and response["Location"] == reverse("applications:apply_step", args=["review"])
    assert not Application.objects.exists()
    page = client.get(response["Location"])
    assert tr("An electronic digital signature (EDS) is required: sign with your EDS key through NCALayer or a key file.") in text_of(page)


@pytest.mark.parametrize(
    ("key", "change", "code", "message"),
    [
        ("valid", True, "tampered", "The signature does not match the signed data: the data were changed after they were signed."),
        ("other_iin", False, "iin_mismatch", "The certificate belongs to another person: its IIN differs from the IIN of the person who must sign."),
        ("revoked", False, "revoked", None),  # the message carries the revocation date
        ("auth_only", False, "key_usage", "This key cannot sign documents: its certificate does not allow non-repudiation. Use your signing key (RSA or GOST), not the authentication key (AUTH)."),
    ],
)
def test_a_bad_signature_files_nothing_and_says_why(trust, department, users, login, key, change, code, message):
    client = login(users["citizen"])
    draft = complete_draft(department, users["citizen"])
    payload = _payload(_review(client))
    signed = payload.replace(b"+77011234567", b"+77019999999") if change else payload  # signed something else
    response = _submit(client, draft, eds_cms=sign_cms_b64(trust.keys[key], signed))
    assert response.status_code == 302 and not Application.objects.exists() and not Signature.objects.exists()
    page = text_of(client.get(response["Location"]))
    if message:
        assert tr(message) in page
    refused = AuditEvent.objects.get(action="signature.refused")
    assert refused.data["code"] == code and refused.actor == users["citizen"]
    assert refused.data["certificate_serial"] == format(trust.keys[key].certificate.serial_number, "X")
    assert len(refused.data["certificate_sha256"]) == 64


def test_without_the_requirement_the_old_unsigned_path_still_works(trust, settings, department, users, login):
    settings.KEZEK_REQUIRE_EDS = False
    client = login(users["citizen"])
    draft = complete_draft(department, users["citizen"])
    assert 'type="submit">' + tr("Submit application") in _review(client).content.decode()
    assert _submit(client, draft).status_code == 302
    assert Application.objects.count() == 1 and not Signature.objects.exists()


def test_service_level_requirement(trust, department, users):
    request = intake_request(department, users["citizen"], channel=Channel.PORTAL)
    with pytest.raises(errors.SignatureMissing) as caught:
        accept_with_signature(request, "")
    assert caught.value.details["payload"].startswith(b"{")
    assert not Application.objects.exists()


def test_operator_signs_the_paper_application_with_their_own_key(trust, department, users, login):
    operator = users["operator"]
    operator.iin = OPERATOR_IIN
    operator.save(update_fields=["iin"])
    person = simulated_people()[1]
    client = login(operator)
    url = reverse("applications:operator_new") + f"?iin={person.iin}"
    first = client.post(url, operator_form(department))
    assert first.status_code == 200 and not Application.objects.exists()  # checked, now to be signed
    assert tr("Check the application below and sign it with your EDS key to accept it.") in text_of(first)
    payload = _payload(first)
    assert f'"iin":"{person.iin}"'.encode() in payload and b'"channel":"service_centre"' in payload

    # the applicant's key is not the operator's
    wrong = client.post(url, operator_form(department, eds_cms=sign_cms_b64(trust.keys["valid"], payload)))
    assert wrong.status_code == 200 and not Application.objects.exists()
    assert tr("The certificate belongs to another person: its IIN differs from the IIN of the person who must sign.") in text_of(wrong)
    assert _payload(wrong) == payload  # offered again

    signed = client.post(url, operator_form(department, eds_cms=sign_cms_b64(trust.keys["operator"], payload), eds_method="file"))
    case = Application.objects.get()
    assert signed.status_code == 302 and signed["Location"] == reverse("applications:operator_case", args=[case.number])
    signature = Signature.objects.get()
    assert signature.purpose == SignaturePurpose.INTAKE and signature.signer == operator
    assert signature.certificate_iin == OPERATOR_IIN and bytes(signature.payload) == canonical_bytes(case.filed_payload)


def test_operator_changed_form_after_signing_is_refused(trust, department, users, login):
    users["operator"].iin = OPERATOR_IIN
    users["operator"].save(update_fields=["iin"])
    person = simulated_people()[1]
    client = login(users["operator"])
    url = reverse("applications:operator_new") + f"?iin={person.iin}"
    payload = _payload(client.post(url, operator_form(department)))
    changed = operator_form(department, phone="+77010000000", eds_cms=sign_cms_b64(trust.keys["operator"], payload))
    response = client.post(url, changed)
    assert response.status_code == 200 and not Application.objects.exists()
    assert tr("The signature does not match the signed data: the data were changed after they were signed.") in text_of(response)
    assert b"+77010000000" in _payload(response)  # the new data are offered for signing


def test_incomplete_paper_package_still_gets_its_refusal_receipt_without_signing(trust, department, users, login):
    client = login(users["operator"])
    person = simulated_people()[1]
    url = reverse("applications:operator_new") + f"?iin={person.iin}"
    response = client.post(url, operator_form(department, documents=("identity_document",)))
    assert response.status_code == 302
    assert IssuedDocument.objects.get().kind == DocumentKind.REFUSAL_TO_ACCEPT_RECEIPT


def test_operator_without_an_iin_on_record_cannot_sign(trust, department, users, login):
    person = simulated_people()[1]
    client = login(users["operator"])  # users["operator"] has no IIN
    url = reverse("applications:operator_new") + f"?iin={person.iin}"
    payload = _payload(client.post(url, operator_form(department)))
    response = client.post(url, operator_form(department, eds_cms=sign_cms_b64(trust.keys["operator"], payload)))
    assert tr("Your account has no IIN on record, so your certificate cannot be matched to you. Ask the administrator to add it.") in text_of(response)
    assert not Application.objects.exists()
