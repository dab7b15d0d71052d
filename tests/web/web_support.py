"""Helpers for the web-layer tests (fixtures live in conftest.py)."""

import struct
import zlib
from dataclasses import dataclass, field
from datetime import date

from django.core.files.base import ContentFile

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


# A real 1x1 white PNG.
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
    + _png_chunk(b"IEND", b"")
)


def valid_iin(birth: date, sex_digit: str, serial: int) -> str:
    """A well-formed IIN (DOMAIN.md §8) for people the simulator does not know."""
    from eligibility.iin import check_digit

    for n in range(serial, serial + 50):
        first = f"{birth:%y%m%d}{sex_digit}{n % 10000:04d}"
        digit = check_digit(first)
        if digit is not None:
            return first + str(digit)
    raise AssertionError("no issuable IIN found")


def synthetic_person(n: int):
    """An adult PersonRecord with a valid IIN, for bulk cases (file_case does not ask the simulator)."""
    from eligibility.adapters import PersonRecord

    birth = date(1970 + n % 30, 1 + n % 12, 1 + n % 28)
    return PersonRecord(
        iin=valid_iin(birth, "3", 100 + n * 7),
        surname=f"Тестов{n}",
        given_name="Асан",
        patronymic="",
        birth_date=birth,
        sex="M",
        id_document_number=f"{n:09d}",
        id_document_issued=date(2015, 1, 1),
        address="Алматы қ., Абай даңғ., 1",
        registered_since=date(2010, 1, 1),
    )


def adults():
    """Living adults known to the individuals simulator, the demo citizen first."""
    from tests.factories import simulated_people

    return [p for p in simulated_people() if p.alive]


def attach_scan(application, user, content=PDF_BYTES, content_type="application/pdf", code="identity_document"):
    import hashlib

    from applications.models import Attachment, DocumentType

    item = Attachment(
        application=application,
        document_type=DocumentType.objects.get(code=code),
        original_name="scan.pdf",
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=user,
    )
    item.file.save(item.sha256, ContentFile(content), save=False)
    item.save()
    return item


def advance(application, *transitions, users):
    """Run workflow transitions the way the department would (clerk registers, head assigns)."""
    from applications.services.workflow import run_transition

    for name, kwargs in transitions:
        actor = users["head"] if name == "assign_executor" else users["clerk"]
        application = run_transition(application, name, actor=actor, **kwargs)
    return application


@dataclass
class World:
    dept: object
    users: dict
    cases: dict = field(default_factory=dict)
    attachments: dict = field(default_factory=dict)
    receipts: dict = field(default_factory=dict)
    refusals: dict = field(default_factory=dict)
    complaints: dict = field(default_factory=dict)
