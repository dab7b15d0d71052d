"""/verify/: anyone checks a document by number + code or by uploading the PDF, and sees its signatures."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from signatures.services import sign_decision_with_key
from tests.signatures.flows import case_awaiting_signature, text_of, tr
from tests.signatures.pki_support import HEAD_IIN, PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_document(trust, department, users):
    users["head"].iin = HEAD_IIN
    users["head"].save(update_fields=["iin"])
    case = case_awaiting_signature(department, users)
    decision = sign_decision_with_key(case, users["head"], trust.keys["head"].p12(PASSWORD), PASSWORD)
    document = decision.document
    with document.file.open("rb") as handle:
        return document, handle.read()


def _upload(client, content, name="decision.pdf"):
    return client.post(reverse("documents:verify"), {"pdf": SimpleUploadedFile(name, content, "application/pdf")})


def test_by_number_and_code_shows_who_signed_and_when(signed_document, client):
    document, _ = signed_document
    page = client.get(reverse("documents:verify"), {"number": document.number, "code": document.verification_code})
    text = text_of(page)
    assert tr("The document is genuine") in text
    assert "ҚҰДАЙБЕРГЕНОВ АСҚАР" in text and document.signatures.get().certificate_serial in text
    assert tr("valid, issued by a trusted certification authority, not revoked") in text
    assert tr("the file has not been changed since it was signed") in text
    assert tr("recorded by this system") in text
    assert HEAD_IIN not in text and document.person_iin not in text  # no IINs to an anonymous checker


def test_uploading_the_signed_pdf(signed_document, client):
    document, content = signed_document
    text = text_of(_upload(client, content))
    assert tr("The file is exactly document %(n)s as issued by this system.", n=document.number) in text
    assert tr("Valid signature") in text and "ҚҰДАЙБЕРГЕНОВ АСҚАР" in text
    assert tr("the file has not been changed since it was signed") in text
    event = AuditEvent.objects.get(action="signature.pdf_checked")
    assert event.data["signatures"][0]["certificate_serial"] == document.signatures.get().certificate_serial
    assert event.data["signatures"][0]["ok"] is True


def test_a_changed_pdf_is_reported(signed_document, client):
    document, content = signed_document
    changed = content.replace(b"/Type /Catalog", b"/Type /Catalgo", 1) if b"/Type /Catalog" in content else content[:300] + b"X" + content[301:]
    text = text_of(_upload(client, changed))
    assert tr("The signature is not valid") in text
    assert tr("the file was changed after signing: the signature no longer matches it") in text
    assert tr("The file does not match any document this system issued (its SHA-256 is not in the register); its signatures are checked below.") in text


def test_content_appended_after_signing_is_reported(signed_document, client):
    _, content = signed_document
    from io import BytesIO

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(content))
    writer.root["/Kezek"] = generic.TextStringObject("added later")
    writer.update_root()
    output = BytesIO()
    writer.write(output)
    text = text_of(_upload(client, output.getvalue()))
    assert tr("content was added to the file after signing") in text
    assert tr("The signature is not valid") in text


def test_a_revoked_certificate_is_shown_as_revoked(trust, client, tmp_path):
    """A PDF signed with a certificate that is on the CRL: the checker is told it is revoked."""
    from weasyprint import HTML

    from signatures import pades
    from signatures.verification import check_pdf

    path = tmp_path / "revoked.p12"
    path.write_bytes(trust.keys["revoked"].p12(PASSWORD))
    signed = pades.seal(HTML(string="<p>Hello</p>").write_pdf(), str(path), PASSWORD)
    check = check_pdf(signed)
    assert check.signatures[0].revoked and check.signatures[0].unchanged and not check.ok
    text = text_of(_upload(client, signed))
    assert tr("The signature is not valid") in text and check.signatures[0].problem in text
    assert tr("the file has not been changed since it was signed") in text


def test_not_a_pdf_and_a_pdf_without_signatures(trust, client):
    assert tr("This file is not a PDF document.") in text_of(_upload(client, b"hello", "x.pdf"))
    from weasyprint import HTML

    assert tr("This PDF carries no electronic signature.") in text_of(_upload(client, HTML(string="<p>x</p>").write_pdf()))


def test_wrong_number_or_code_is_not_confirmed(signed_document, client):
    document, _ = signed_document
    page = client.get(reverse("documents:verify"), {"number": document.number, "code": "0000000000"})
    assert tr("No document with this number and code was issued by this system.") in text_of(page)
    assert "ҚҰДАЙБЕРГЕНОВ" not in text_of(page)
