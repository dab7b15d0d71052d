"""Checking uploaded scans by what they are, not by what they are called."""

import bisect
import hashlib
import re
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
# Active content has no business in a scanned certificate.
_PDF_ACTIVE_CONTENT = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/OpenAction", b"/AA", b"/RichMedia", b"/XFA")


def _any_spelling(names) -> re.Pattern:
    """One regex for these PDF names in every spelling: a name may write any byte as #xx ("/J#61vaScript" is
    /JavaScript to every reader, PDF 32000-1 §7.3.5). One C-level search, linear in the file whatever it holds."""

    def char(ch: str) -> str:
        hex_digits = "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{ord(ch):02x}")
        return f"(?:{re.escape(ch)}|#{hex_digits})"

    return re.compile("|".join("/" + "".join(char(ch) for ch in name.decode()[1:]) for name in names).encode())


_ACTIVE_NAME = _any_spelling(_PDF_ACTIVE_CONTENT)
_OBJECT_STREAM_NAME = _any_spelling([b"/ObjStm"])
# Dictionaries can also sit compressed inside object streams (/Type /ObjStm), out of sight of a byte search:
# those streams are inflated and searched too, up to this many bytes in all (a scan's object streams are tiny;
# a "zip bomb" stream is refused rather than inflated without end).
_OBJECT_STREAM_BUDGET = 8 * 1024 * 1024
_OBJECT_STREAM_LIMIT = 1000
_STREAM_START = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")


class _Uncheckable(Exception):
    """An object stream that cannot be read (unknown filter, damaged, too large): its content is unknown."""


def _names_active(data) -> bool:
    return _ACTIVE_NAME.search(data) is not None


def _inflate(data, budget: int) -> bytes:
    """One Flate stream from the start of `data` (zlib stops at its end), at most `budget` bytes of output."""
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):  # zlib as the spec says; raw deflate as some writers do
        try:
            out = zlib.decompressobj(wbits).decompress(data, budget + 1)
        except zlib.error:
            continue
        if len(out) > budget:
            raise _Uncheckable
        return out
    raise _Uncheckable


def _object_streams(content: bytes):
    """The inflated content of every object stream: the stream that follows each /ObjStm name (plain or escaped).

    Linear in the file size whatever it holds: stream starts are found once, each object stream is inflated once,
    their number and their inflated size are capped.
    """
    names = [m.start() for m in _OBJECT_STREAM_NAME.finditer(content)]
    if not names:
        return
    starts = [m.end() for m in _STREAM_START.finditer(content)]
    chosen = sorted({starts[i] for i in (bisect.bisect_left(starts, p) for p in names) if i < len(starts)})
    if len(chosen) > _OBJECT_STREAM_LIMIT:
        raise _Uncheckable
    budget, view = _OBJECT_STREAM_BUDGET, memoryview(content)
    for start in chosen:
        out = _inflate(view[start:], budget)
        budget -= len(out)
        yield out


def _pdf_problem(content: bytes) -> str | None:
    """What is wrong with a PDF, or None when it is inert as far as this check can tell.

    "active": a name that starts an action, a script or an embedded file occurs, spelled plainly or with #xx
    escapes, in the file or inside one of its object streams; "unreadable": the file was cut short (no end-of-file
    marker in its last kilobyte, where readers look for it), or an object stream cannot be inflated, so what it
    holds is unknown.
    """
    if _names_active(content):
        return "active"
    if b"%%EOF" not in content[-1024:]:
        return "unreadable"  # an interrupted upload or copy: the executor could not open it either
    try:
        return "active" if any(_names_active(inner) for inner in _object_streams(content)) else None
    except _Uncheckable:
        return "unreadable"


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes
    content_type: str
    sha256: str
    original_name: str


def check_upload(uploaded_file) -> CheckedUpload:
    limit = settings.KEZEK_UPLOAD_MAX_BYTES
    if uploaded_file.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": round(uploaded_file.size / 1048576, 1), "limit": limit // 1048576},
            code="too_large",
        )
    content = uploaded_file.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(_("The file is too large."), code="too_large")
    if not content:
        raise ValidationError(_("The file is empty."), code="empty")
    content_type = next((ctype for magic, ctype in _SIGNATURES if content.startswith(magic)), None)
    if content_type is None:
        raise ValidationError(_("Only PDF, JPEG and PNG scans are accepted; this file is something else."), code="type")
    problem = _pdf_problem(content) if content_type == "application/pdf" else None
    if problem == "active":
        raise ValidationError(_("This PDF contains scripts or embedded files and cannot be accepted."),
                              code="active_pdf")
    if problem == "unreadable":
        raise ValidationError(
            _("This PDF cannot be checked (it is damaged or packed in an unusual way). Save it again as a plain PDF, "
              "or upload a JPEG or PNG scan."),
            code="unreadable_pdf",
        )
    # only for showing back to its owner: the file is stored under its SHA-256, never under this name
    raw_name = (getattr(uploaded_file, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in raw_name if ch.isprintable())[-200:] or "document"
    return CheckedUpload(content=content, content_type=content_type, sha256=hashlib.sha256(content).hexdigest(), original_name=name)
