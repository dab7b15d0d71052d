"""Helpers for the signing tests: a complete online draft, the paper form, a case awaiting the head's signature."""

import hashlib
import re
from html import unescape

from django.utils import translation
from django.utils.translation import gettext

from applications.models import Category, DocumentType
from applications.services import drafts
from applications.uploads import CheckedUpload

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
LARGE_FAMILY_DOCUMENTS = ("identity_document", "address_registration", "no_housing_certificate", "category_certificate")


def tr(msgid: str, lang: str = "kk", **params) -> str:
    with translation.override(lang):
        text = gettext(msgid)
    return text % params if params else text


def text_of(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


def complete_draft(department, user, *, phone="+77011234567"):
    """A draft with every step done, as the wizard leaves it before the review step."""
    draft = drafts.open_draft(user)
    category = Category.objects.get(code="LARGE_FAMILY")
    drafts.save_step(draft, "housing", {"settlement": department.settlement.pk, "fund": "communal",
                                        "category": category.pk, "emergency_dwelling": False})
    drafts.save_step(draft, "person", {"phone": phone, "email": "erlan@example.kz"})
    drafts.save_step(draft, "family", [])
    for code in LARGE_FAMILY_DOCUMENTS:
        content = PDF + code.encode()
        upload = CheckedUpload(content=content, content_type="application/pdf",
                               sha256=hashlib.sha256(content).hexdigest(), original_name=f"{code}.pdf")
        drafts.attach_scan(draft, user, DocumentType.objects.get(code=code), upload)
    drafts.save_step(draft, "documents", sorted(LARGE_FAMILY_DOCUMENTS))
    drafts.save_step(draft, "consents", {"property_check": True, "personal_data": True, "publication": True})
    draft.refresh_from_db()
    return draft


def operator_form(department, *, documents=LARGE_FAMILY_DOCUMENTS, **extra):
    data = {
        "settlement": department.settlement.pk,
        "fund": "communal",
        "category": Category.objects.get(code="LARGE_FAMILY").pk,
        "phone": "+77017654321",
        "email": "",
        "documents_received": [DocumentType.objects.get(code=code).pk for code in documents],
        "property_check": "on",
        "personal_data": "on",
        "publication": "on",
        "family-TOTAL_FORMS": "0",
        "family-INITIAL_FORMS": "0",
        "family-MIN_NUM_FORMS": "0",
        "family-MAX_NUM_FORMS": "15",
    }
    data.update(extra)
    return data


def case_awaiting_signature(department, users, person=None):
    """A case walked to awaiting_signature with a registration draft, through the services staff use."""
    from django.test import TestCase

    from applications.models import CaseState, DecisionKind
    from applications.services import review
    from tests.factories import file_case, simulated_people

    with TestCase.captureOnCommitCallbacks(execute=True):
        case = file_case(department, users["operator"], person=person or simulated_people()[0])
        review.register_case(case, users["clerk"])
        review.assign_executor(case, users["head"], users["executor"])
        check = review.run_eligibility(case, users["executor"])
        review.draft_decision(case, users["executor"], kind=DecisionKind.REGISTRATION,
                              override_reason="" if check.eligible else "test: documents prove otherwise")
    case.refresh_from_db()
    assert case.state == CaseState.AWAITING_SIGNATURE
    return case
