"""Hostile files: Hypothesis posts generated uploads to every place a scan comes in, with raw multipart bodies (so
the server, not the test client, sees the filename as typed: path traversal, NUL bytes, 300 characters, markup).

Targets: the wizard's documents step (the citizen), "upload requested documents" on the citizen's case page, the
written objections of the hearing record (the executor), and the ЦОН operator form (which takes no file: a file
posted to it must be ignored). Files: random bytes behind .pdf/.jpg/.png names, a PNG/HTML/ZIP/SVG behind the wrong
extension, truncated PDFs, PDFs with /JavaScript, /JS, /OpenAction, /Launch, /EmbeddedFile ... spelled plainly or
with #xx name escapes (/J#61vaScript), in the open or inside a compressed object stream, a deflate bomb in an object
stream, a ZIP bomb named .pdf, an empty file, one byte over the size limit.

Properties:
  - never a server error;
  - a rejected file leaves no trace: no Attachment row, no "attachment.uploaded" audit event, no new file under
    MEDIA_ROOT (a throw-away directory per test), and the case is unchanged;
  - files that must be refused are refused, inert PDF/JPEG/PNG are accepted (also a PNG named .pdf: what counts
    is the content);
  - an accepted file is stored under its SHA-256 inside MEDIA_ROOT (never under the name the user sent), is served
    back byte for byte only by the access-checked view, with `nosniff` and either `attachment` or `inline` with a
    sandbox CSP, never from MEDIA_URL, and not to another citizen.
Modest example counts (the whole file well under a minute); KEZEK_FUZZ_EXAMPLES=500 for a longer random hunt.
"""

import io
import os
import re
import uuid
import zipfile
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.reliability_figures import tally_figures
from tests.web.web_support import PDF_BYTES, PNG_BYTES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eds_not_required")]

LIMIT = 64 * 1024  # KEZEK_UPLOAD_MAX_BYTES in these tests: "just over the limit" stays cheap
EXAMPLES = int(os.environ.get("KEZEK_FUZZ_EXAMPLES", "0"))
FUZZ = hypothesis_settings(max_examples=EXAMPLES or 40, deadline=None, suppress_health_check=list(HealthCheck),
                derandomize=not EXAMPLES)

JPEG_BYTES = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
              b"\xff\xdb\x00\x43\x00" + bytes(range(64)) + b"\xff\xd9")
ACTIVE_NAMES = ["/JavaScript", "/JS", "/OpenAction", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/AA",
                "/RichMedia", "/XFA"]
NAMES = [
    "scan.pdf", "photo.jpg", "scan.png", "../../etc/passwd.pdf", "..\\..\\windows\\win.ini.pdf", "/etc/passwd",
    "a\x00b.pdf", "\x00.pdf", "scan.pdf\x00.html", "x" * 296 + ".pdf", "Ә" * 300 + ".png", "C:\\evil\\scan.pdf",
    '"><img src=x onerror=alert(1)>.pdf', "<script>alert(1)</script>.png", "{{ 7*7 }}{% debug %}.pdf",
    "%2e%2e%2f%2e%2e%2fpasswd.pdf", "..", ".", "", " ", "scan.pdf\r\nX-Injected: 1", "\u202egpj.exe.pdf",
]


# ----------------------------------------------------------------------------- hostile files


def _pdf(body: bytes) -> bytes:
    return (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R " + body + b" >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def _object_stream_pdf(inner: bytes, type_name: bytes = b"/ObjStm") -> bytes:
    data = zlib.compress(inner)
    return (b"%PDF-1.7\n5 0 obj\n<< /Type " + type_name + b" /N 1 /First 4 /Filter /FlateDecode /Length "
            + str(len(data)).encode() + b" >>\nstream\n" + data + b"\nendstream\nendobj\n" + _pdf(b"")[9:])


@st.composite
def spelled(draw, name: str) -> bytes:
    """A PDF name in a random spelling: each character as itself or as a #xx escape (lower or upper hex)."""
    out = "/"
    for ch in name[1:]:
        how = draw(st.sampled_from(["plain", "plain", "lower", "upper"]))
        out += ch if how == "plain" else "#" + (f"{ord(ch):02x}" if how == "lower" else f"{ord(ch):02X}")
    return out.encode()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("scan.pdf", b"\0" * (10 * 1024 * 1024))
    return buffer.getvalue()


ZIP_BOMB = _zip_bomb()
DEFLATE_BOMB_PDF = (b"%PDF-1.7\n5 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >>\nstream\n"
                    + zlib.compress(b"\0" * (20 * 1024 * 1024), 9) + b"\nendstream\nendobj\n%%EOF\n")

# (label, content, verdict): verdict True = must be refused, False = must be accepted, None = either
REFUSE, ACCEPT, EITHER = True, False, None


@st.composite
def hostile_files(draw):
    kind = draw(st.sampled_from([
        "random", "magic+random", "png-as-pdf", "inert", "html-as-pdf", "zip-bomb-as-pdf", "truncated-pdf",
        "active-pdf", "active-in-object-stream", "deflate-bomb", "svg-as-png", "oversized", "empty",
    ]))
    if kind == "random":
        return kind, draw(st.binary(max_size=3000)), EITHER
    if kind == "magic+random":
        magic = draw(st.sampled_from([b"%PDF-", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"]))
        return kind, magic + draw(st.binary(max_size=3000)), EITHER
    if kind == "png-as-pdf":
        return kind, PNG_BYTES, ACCEPT
    if kind == "inert":
        return kind, draw(st.sampled_from([PDF_BYTES, PNG_BYTES, JPEG_BYTES, _pdf(b"/Lang (kk-KZ)"),
                                           _object_stream_pdf(b"3 0 << /Type /Font >>")])), ACCEPT
    if kind == "html-as-pdf":
        return kind, draw(st.sampled_from([
            b"<!DOCTYPE html><html><script>alert(1)</script></html>", b"<html><body onload=alert(1)>",
            b" %PDF-1.4 <script>alert(1)</script>", b"\xef\xbb\xbf<script>alert(1)</script>"])), REFUSE
    if kind == "zip-bomb-as-pdf":
        return kind, ZIP_BOMB, REFUSE
    if kind == "truncated-pdf":
        cut = draw(st.integers(0, len(PDF_BYTES) - 1))
        return kind, PDF_BYTES[:cut], REFUSE if cut < 5 else EITHER
    if kind == "active-pdf":
        name = draw(spelled(draw(st.sampled_from(ACTIVE_NAMES))))
        return kind, _pdf(name + b" 3 0 R"), REFUSE
    if kind == "active-in-object-stream":
        name = draw(spelled(draw(st.sampled_from(ACTIVE_NAMES))))
        type_name = draw(spelled("/ObjStm"))
        return kind, _object_stream_pdf(b"3 0 << " + name + b" (app.alert(1)) >>", type_name), REFUSE
    if kind == "deflate-bomb":
        return kind, DEFLATE_BOMB_PDF, REFUSE
    if kind == "svg-as-png":
        return kind, draw(st.sampled_from([
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>',
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'])), REFUSE
    if kind == "oversized":
        head = draw(st.sampled_from([b"%PDF-1.4\n", PNG_BYTES, b"\xff\xd8\xff"]))
        return kind, head + b"\0" * (LIMIT + 1 - len(head)), REFUSE
    return kind, b"", REFUSE


# ----------------------------------------------------------------------------- posting raw multipart bodies


def _multipart(fields: dict, file_field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "kezekfuzz" + uuid.uuid4().hex
    body = b""
    for key, value in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
    quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{quoted}"\r\n'
             f"Content-Type: application/pdf\r\n\r\n").encode("utf-8", "surrogatepass") + content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _post(client, url, fields, file_field, filename, content):
    body, content_type = _multipart(fields, file_field, filename, content)
    return client.generic("POST", url, body, content_type=content_type)


def _arrives(filename: str) -> bool:
    """Whether Django keeps a file sent under this name (it drops ".." and names that are empty once cleaned)."""
    from django.http.multipartparser import MultiPartParser

    if any(ch in filename for ch in '\r\n"'):
        return False  # a broken part header: what the parser makes of it is its business
    return MultiPartParser.sanitize_file_name(None, filename) is not None


def _verdict(verdict, filename):
    """A file that never arrives is not accepted, so "must be accepted" holds only for names that arrive."""
    return EITHER if verdict is ACCEPT and not _arrives(filename) else verdict


def _media_files(root) -> set:
    return {p for p in Path(root).rglob("*") if p.is_file()}


def _trace(media_root, case=None) -> dict:
    """Everything an upload may leave behind."""
    from applications.models import Attachment
    from audit.models import AuditEvent

    state = {
        "attachments": Attachment.objects.count(),
        "audit": AuditEvent.objects.filter(action="attachment.uploaded").count(),
        "files": _media_files(media_root),
    }
    if case is not None:
        case.refresh_from_db()
        state["case"] = (case.state, case.events.count(), case.hearings.filter(recorded_at__isnull=False).count())
    return state


def _check_accepted(owner, stranger, content, filename, media_root):
    """The new scan: stored under its hash inside MEDIA_ROOT, served only by the access-checked view, inert."""
    from applications.models import Attachment

    item = Attachment.objects.latest("pk")
    assert item.content_type in ("application/pdf", "image/jpeg", "image/png")
    assert item.file.name.startswith(f"documents/{item.sha256[:2]}/{item.sha256}"), item.file.name
    stored = Path(item.file.path).resolve()
    assert stored.is_relative_to(Path(media_root).resolve()), stored
    assert stored.read_bytes() == content
    assert "/" not in item.original_name and "\\" not in item.original_name and "\x00" not in item.original_name
    assert len(item.original_name) <= 200

    url = reverse("applications:attachment", args=[item.pk])
    response = owner.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == item.content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment") or (
        disposition.startswith("inline") and "sandbox" in response.get("Content-Security-Policy", "")), disposition
    assert re.fullmatch(r'(attachment|inline); filename="[A-Za-z0-9._-]+"', disposition), disposition  # not the user's
    assert stranger.get(url).status_code == 404
    assert Client().get(url).status_code in (302, 404)
    assert Client().get(f"/media-not-served/{item.file.name}").status_code == 404
    return item


def _tally(place, response, accepted, half_saved):
    """One fuzzed upload, for docs/reliability.md."""
    tally_figures("fuzz_uploads", distinct={"upload_places": place}, add={
        "upload_examples": 1, "files_kept": int(accepted), "files_refused": int(not accepted),
        "server_errors": int(response.status_code >= 500), "half_saved": int(half_saved)})


def _check(response, before, after, verdict, label, place):
    accepted = after["attachments"] == before["attachments"] + 1
    _tally(place, response, accepted, not accepted and after != before)
    assert response.status_code < 500, f"{label}: server error {response.status_code}"
    event(f"{'accepted' if accepted else 'refused'} ({response.status_code})")
    if verdict is REFUSE:
        assert not accepted, f"{label}: a file that must be refused was accepted"
    if verdict is ACCEPT:
        assert accepted, f"{label}: an inert scan was refused ({response.status_code})"
    if not accepted:
        assert after == before, f"{label}: refused, but something changed: {before} -> {after}"
    else:
        assert after["audit"] == before["audit"] + 1
        assert len(after["files"] - before["files"]) == 1 and before["files"] <= after["files"]
    return accepted


# ----------------------------------------------------------------------------- the places files come in


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.KEZEK_UPLOAD_MAX_BYTES = LIMIT
    Path(settings.MEDIA_ROOT).mkdir()
    return settings.MEDIA_ROOT


def _as(user):
    client = Client()
    client.force_login(user, backend="accounts.backends.IinOrUsernameBackend")
    return client


@pytest.fixture
def citizen_case(department, users):
    """The demo citizen's own case, waiting for a document the executor asked for."""
    from applications.models import Channel, DocumentType
    from applications.services import review
    from tests.factories import file_case
    from tests.web.web_support import adults

    case = file_case(department, users["citizen"], person=adults()[0], channel=Channel.PORTAL)
    review.register_case(case, users["clerk"])
    review.assign_executor(case, users["head"], users["executor"])
    wanted = DocumentType.objects.get(code="category_certificate")
    review.request_documents(case, users["executor"], [wanted])
    case.refresh_from_db()
    return case, wanted


@pytest.fixture
def hearing_case(department, users):
    """A case at the hearing stage of a preliminary refusal, assigned to `executor`."""
    from applications.services import review
    from deadlines.due import add_working_days
    from tests.applications.test_review_workflow import person_by_note, to_review

    case = to_review(department, users, person_by_note("owns a dwelling now"))
    check = review.run_eligibility(case, users["executor"])
    review.send_preliminary_refusal(case, users["executor"], grounds=check.grounds, reasoning="Owns a flat.",
                                    hearing_at=add_working_days(timezone.now(), 1) - timedelta(hours=2),
                                    place="Room 12")
    case.refresh_from_db()
    return case


@FUZZ
@given(file=hostile_files(), filename=st.one_of(st.sampled_from(NAMES), st.text(max_size=60)))
def test_wizard_documents_step(media, users, file, filename):
    from applications.models import DocumentType

    kind, content, verdict = file
    citizen = _as(users["citizen"])
    citizen.get(reverse("applications:apply_start"))
    url = reverse("applications:apply_step", args=["documents"])
    fields = {"action": "upload", "document_type": DocumentType.objects.get(code="identity_document").pk}
    before = _trace(media)
    response = _post(citizen, url, fields, "file", filename, content)
    accepted = _check(response, before, _trace(media), _verdict(verdict, filename), f"wizard {kind}",
                      "wizard documents step")
    if accepted:
        _check_accepted(citizen, _as(users["other_citizen"]), content, filename, media)
        page = citizen.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page and "<img src=x" not in page  # the name shown back escaped
    elif response.status_code == 200:
        assert b'name="file"' in response.content and b'class="error' in response.content  # the form, with the error
    else:
        assert response.status_code == 400, response.status_code  # a part header the parser cannot read


@FUZZ
@given(file=hostile_files(), filename=st.sampled_from(NAMES))
def test_upload_requested_documents(media, users, citizen_case, file, filename):
    kind, content, verdict = file
    case, wanted = citizen_case
    citizen = _as(users["citizen"])
    before = _trace(media, case)
    response = _post(citizen, reverse("applications:upload_requested", args=[case.number]),
                     {"document_type": wanted.pk}, "file", filename, content)
    after = _trace(media, case)
    if after["attachments"] == before["attachments"] + 1:
        before["case"] = after["case"]  # accepted: the case timeline got its "document uploaded" line
    if _check(response, before, after, _verdict(verdict, filename), f"requested documents {kind}",
              "requested documents"):
        item = _check_accepted(citizen, _as(users["other_citizen"]), content, filename, media)
        assert item.application_id == case.pk and item.document_type_id == wanted.pk


@FUZZ
@given(file=hostile_files(), filename=st.sampled_from(NAMES))
def test_hearing_objections(media, users, hearing_case, file, filename):
    from applications.models import Hearing

    kind, content, verdict = file
    executor = _as(users["executor"])
    before = _trace(media, hearing_case)
    response = _post(executor, reverse("applications:case_action", args=[hearing_case.number, "record_hearing"]),
                     {"attended": "no", "position": ""}, "objection", filename, content)
    after = _trace(media, hearing_case)
    accepted = after["attachments"] == before["attachments"] + 1
    _tally("hearing objections", response, accepted, after["case"] == before["case"] and after != before)
    assert response.status_code < 500, f"hearing objection {kind}: server error"
    event(f"{'accepted' if accepted else 'refused'} ({response.status_code})")
    if after["case"] != before["case"]:  # the hearing was recorded, with the objection kept or without a file
        assert response.status_code == 302
        assert accepted or not _arrives(filename), f"hearing objection {kind}: recorded, file lost"
        assert not (accepted and verdict is REFUSE), f"hearing objection {kind}: a file that must be refused was kept"
        if accepted:
            assert after["audit"] == before["audit"] + 1 and len(after["files"] - before["files"]) == 1
            item = _check_accepted(executor, _as(users["citizen"]), content, filename, media)
            assert item.document_type.code == "hearing_objection" and item.application_id == hearing_case.pk
        # back to "not yet recorded" for the next example
        Hearing.objects.filter(application=hearing_case).update(recorded_at=None, recorded_by=None)
    else:
        assert response.status_code == 400, response.status_code  # the case page again, with the error
        assert _verdict(verdict, filename) is not ACCEPT, f"hearing objection {kind}: an inert scan was refused"
        assert after == before, f"hearing objection {kind}: refused, but something changed"


@hypothesis_settings(max_examples=EXAMPLES or 15, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=not EXAMPLES)
@given(file=hostile_files(), filename=st.sampled_from(NAMES))
def test_a_file_posted_to_the_operator_form_is_ignored(media, users, file, filename):
    """The ЦОН form takes paper documents as a checklist, no files: a file sent along must never be kept."""
    from applications.models import Application

    _kind, content, _verdict = file
    operator = _as(users["operator"])
    url = reverse("applications:operator_new") + "?iin=900215300126"
    before, cases = _trace(media), Application.objects.count()
    response = _post(operator, url, {"fund": "communal", "phone": "<script>", "documents_received": "x"},
                     "file", filename, content)
    after = (_trace(media), Application.objects.count())
    _tally("operator form (no file taken)", response, after[0]["attachments"] > before["attachments"],
           after != (before, cases))
    assert response.status_code < 500
    assert after == (before, cases)


# ----------------------------------------------------------------------------- the check itself, many more examples


@hypothesis_settings(max_examples=EXAMPLES or 300, deadline=None, derandomize=not EXAMPLES,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(file=hostile_files())
def test_check_upload_verdicts(settings, file):
    """applications.uploads.check_upload alone: a ValidationError with a message, or a checked scan; nothing else."""
    from applications.uploads import check_upload

    settings.KEZEK_UPLOAD_MAX_BYTES = LIMIT
    kind, content, verdict = file
    tally_figures("fuzz_uploads", add={"check_upload_examples": 1})
    try:
        checked = check_upload(SimpleUploadedFile("scan.pdf", content))
    except ValidationError as error:
        assert error.messages and error.code in ("too_large", "empty", "type", "active_pdf", "unreadable_pdf")
        assert verdict is not ACCEPT, f"{kind}: refused ({error.code})"
        return
    assert verdict is not REFUSE, f"{kind}: accepted"
    assert checked.content == content and checked.content_type in ("application/pdf", "image/jpeg", "image/png")


@pytest.mark.parametrize("name", ["/JavaScript", "/J#61vaScript", "/#4a#53", "/#4A#53", "/J#53", "/Open#41ction",
                                  "/#4F#70#65#6E#41#63#74#69#6F#6E", "/L#61unch", "/Embedded#46ile", "/#41A",
                                  "/Rich#4dedia", "/#58FA"])
def test_pdf_name_escapes_do_not_hide_active_content(settings, name):
    from applications.uploads import check_upload

    for content in (_pdf(name.encode() + b" 3 0 R"), _object_stream_pdf(b"3 0 << " + name.encode() + b" 4 0 R >>"),
                    _object_stream_pdf(b"3 0 << " + name.encode() + b" 4 0 R >>", b"/Obj#53tm")):
        with pytest.raises(ValidationError) as error:
            check_upload(SimpleUploadedFile("scan.pdf", content))
        assert error.value.code == "active_pdf", (name, content[:80])


def test_inert_pdfs_with_object_streams_and_escaped_names_pass(settings):
    """The check does not refuse ordinary PDFs: object streams with plain content, harmless escaped names."""
    from applications.uploads import check_upload

    for content in (_object_stream_pdf(b"3 0 << /Type /Font /BaseFont /Times#20New#20Roman >>"),
                    _pdf(b"/Producer (Scanner) /A#42 1"), PDF_BYTES):
        assert check_upload(SimpleUploadedFile("scan.pdf", content)).content_type == "application/pdf"


def test_an_object_stream_that_cannot_be_read_is_refused(settings):
    from applications.uploads import check_upload

    damaged = _object_stream_pdf(b"3 0 << /Type /Font >>").replace(b"x\x9c", b"\x00\x00", 1)
    for content in (DEFLATE_BOMB_PDF, damaged):
        with pytest.raises(ValidationError) as error:
            check_upload(SimpleUploadedFile("scan.pdf", content))
        assert error.value.code == "unreadable_pdf"


def test_a_pdf_cut_short_is_refused_with_the_damaged_file_message(settings):
    """An interrupted upload or copy: readers look for the end-of-file marker in the last kilobyte."""
    from applications.uploads import check_upload

    from django.utils import translation

    whole = _pdf(b"/Producer (Scanner)")
    for content in (whole[: len(whole) // 2], whole.replace(b"%%EOF", b""), whole + b"\0" * 2048):
        with pytest.raises(ValidationError) as error, translation.override("en"):
            check_upload(SimpleUploadedFile("scan.pdf", content))
        assert error.value.code == "unreadable_pdf"
        with translation.override("en"):
            assert "damaged" in error.value.messages[0]
    # a few bytes after the marker (a scanner's padding) are what readers accept too
    assert check_upload(SimpleUploadedFile("scan.pdf", whole + b"\r\n" + b"\0" * 500)).content_type == "application/pdf"
