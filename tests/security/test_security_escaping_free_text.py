"""Hostile free text, field by field, through the forms people really use: it comes back inert everywhere.

Covers what tests/security/test_security_escaping.py does not: the executor's and the head's texts on a case
(document request and return comments, the preliminary refusal's reasoning, override reason and hearing place, the
applicant's position at the hearing, the draft's reasoning, the head's send-back comment), family member names typed
in the wizard and at the ЦОН, a representative's name, the complaint answer on the citizen's page, removal reasons
and decision comments, skip comments and offer decline reasons, staff and holder names, and the deadline dashboard
(page and every CSV). Each text is the same payload: markup, an attribute breaker and template syntax; pages must
show it escaped, PDFs as the literal characters, CSVs without a cell that starts a formula.
"""

import csv
import dataclasses
import io
import re
import shutil
import subprocess
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from tests.reliability_figures import tally_figures
from tests.web.conftest import world  # noqa: F401  (the fixture)
from tests.web.web_support import PDF_BYTES, valid_iin

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eds_not_required")]

SCRIPT, BREAKER, TEMPLATE = "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{ 7*7 }} {% debug %}"
PAYLOAD = f"{SCRIPT} {BREAKER} {TEMPLATE}"
FORMULAS = ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1+1)"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _as(world, username):  # noqa: F811
    client = Client()
    client.cookies["kezek_language"] = "en"
    client.force_login(world.users[username], backend="accounts.backends.IinOrUsernameBackend")
    return client


def assert_inert(response, where, *, expect=(PAYLOAD,), times=1):
    """No live markup from the payload, and the payload is on the page, escaped (so the test checks something)."""
    assert response.status_code == 200, f"{where}: {response.status_code}"
    html = response.content.decode()
    assert SCRIPT not in html, f"{where}: <script> unescaped"
    assert "<img src=x" not in html and "onerror=alert(1)>" not in html.replace("onerror=alert(1)&gt;", ""), \
        f"{where}: live <img onerror>"
    for text in expect:
        found = html.count(escape(text))
        assert found >= times, f"{where}: {text!r} shown {found} times escaped, expected {times}"
    assert "{{ 7*7 }}" in html and "{% debug %}" in html, f"{where}: template syntax evaluated or lost"
    tally_figures("escaping_free_text", add={"page_checks": 1}, distinct={"pages": where.split(" (")[0]},
                  fixed={"payloads": len([SCRIPT, BREAKER, TEMPLATE, *FORMULAS])})
    return html


def pdf_text(content: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / f"doc-{len(list(tmp_path.iterdir()))}.pdf"
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return " ".join(text.split())


def assert_pdf_literal(text: str, where: str, payload=PAYLOAD):
    """A PDF shows the characters typed: the markup was escaped, not parsed, and the template syntax not run."""
    assert " ".join(payload.split()) in text, f"{where}: payload not printed literally in {text[:400]!r}"
    tally_figures("escaping_free_text", distinct={"pdfs": where})


# ----------------------------------------------------------------------------- the department's texts on a case


def _act(client, case, action, data, expect=302):
    response = client.post(reverse("applications:case_action", args=[case.number, action]), data)
    assert response.status_code == expect, f"{action}: {response.status_code} {response.content.decode()[-2000:]}"
    return response


def _hearing_at():
    from deadlines.due import add_working_days

    return timezone.localtime(add_working_days(timezone.now(), 1) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")


def test_review_texts_through_the_forms_are_escaped_everywhere(world, tmp_path):  # noqa: F811
    """Document request comment → preliminary refusal (reasoning, override, hearing place) → the hearing's recorded
    position → draft refusal (reasoning, override) → the head sends it back with a comment: all typed as PAYLOAD."""
    from applications.forms_workflow import GROUND_CHOICES
    from applications.models import DocumentType, Hearing
    from documents.services import render_pdf_bytes

    case = world.cases["portal_case"]
    executor, head = _as(world, "executor"), _as(world, "head")
    ground = GROUND_CHOICES[0][0]
    wanted = DocumentType.objects.get(code="category_certificate").pk

    _act(executor, case, "eligibility", {})
    _act(executor, case, "request_documents", {"document_types": [wanted], "comment": PAYLOAD})
    citizen = _as(world, "citizen")
    assert_inert(citizen.get(reverse("applications:case_status", args=[case.number])), "citizen page: request")
    _act(executor, case, "receive_documents", {})
    _act(executor, case, "preliminary_refusal", {"grounds": [ground], "reasoning": PAYLOAD, "override_reason": PAYLOAD,
                                                 "hearing_at": _hearing_at(), "place": PAYLOAD})
    hearing = Hearing.objects.get(application=case)
    assert hearing.place == PAYLOAD
    notice = pdf_text(render_pdf_bytes(hearing.notice_document), tmp_path)
    assert_pdf_literal(notice, "preliminary decision PDF")
    assert notice.count("<script>alert(1)</script>") >= 2, "reasoning and hearing place both printed"
    _act(executor, case, "record_hearing", {"attended": "yes", "position": PAYLOAD})
    _act(executor, case, "draft", {"kind": "refusal", "grounds": [ground], "reasoning": PAYLOAD,
                                   "override_reason": PAYLOAD})
    _act(head, case, "send_back", {"comment": PAYLOAD})

    for who in ("executor", "head", "clerk"):
        html = assert_inert(_as(world, who).get(reverse("applications:staff_case", args=[case.number])),
                            f"staff case page ({who})")
        for shown in (f"attended: {escape(PAYLOAD)}", f"sent back: {escape(PAYLOAD)}",
                      f"<em>{escape(PAYLOAD)}</em>", f"Override: {escape(PAYLOAD)}", f", {escape(PAYLOAD)} —"):
            assert shown in html, f"staff case page ({who}): {shown[:40]!r} missing"
    assert_inert(citizen.get(reverse("applications:case_status", args=[case.number])), "citizen page: hearing")


def test_return_comment_is_escaped_for_the_applicant_and_staff(world):  # noqa: F811
    from applications.models import CaseState, DocumentType

    case = world.cases["portal_case"]
    missing = DocumentType.objects.get(code="address_registration").pk
    _act(_as(world, "executor"), case, "return", {"document_types": [missing], "comment": PAYLOAD})
    case.refresh_from_db()
    assert case.state == CaseState.RETURNED
    assert_inert(_as(world, "citizen").get(reverse("applications:case_status", args=[case.number])),
                 "citizen page: returned")
    assert_inert(_as(world, "head").get(reverse("applications:staff_case", args=[case.number])), "staff page: returned")


def test_a_bad_form_is_redisplayed_with_the_typed_text_escaped(world):  # noqa: F811
    """The case page shown again with errors (400) puts the typed text back into the textarea: escaped there too."""
    case = world.cases["portal_case"]
    response = _act(_as(world, "executor"), case, "request_documents", {"comment": PAYLOAD}, expect=400)
    response.status_code = 200  # the page itself is what is checked
    assert_inert(response, "case page with a form error")


# ----------------------------------------------------------------------------- names typed by people


def test_family_member_name_typed_in_the_wizard(world):  # noqa: F811
    from datetime import date

    citizen = _as(world, "citizen")
    citizen.get(reverse("applications:apply_start"))
    unknown = valid_iin(date(1991, 3, 4), "4", 4321)  # a valid IIN the registry does not know: the name is typed
    step = reverse("applications:apply_step", args=["family"])
    response = citizen.post(step, {"action": "add", "iin": unknown, "relation": "spouse", "full_name": PAYLOAD,
                                   "birth_date": "1991-03-04"})
    assert response.status_code == 302, response.content.decode()[-1500:]
    assert_inert(citizen.get(step), "wizard family step")
    assert_inert(citizen.get(reverse("applications:apply_step", args=["review"])), "wizard review step")


def test_family_member_and_representative_names_at_the_centre(world, tmp_path):  # noqa: F811
    """The ЦОН form: a family member the registry does not know (name typed by the operator) and a representative
    whose registry name is hostile; the case pages and the acceptance receipt PDF show both inert."""
    from datetime import date

    from applications.models import Application, Category, DocumentType
    from applications.views import operator as operator_views
    from documents.models import DocumentKind
    from tests.web.web_support import adults

    people = [p for p in adults() if p.iin not in {c.applicant.iin for c in world.cases.values()}]
    person, representative = people[0], people[1]
    unknown = valid_iin(date(1991, 3, 4), "4", 4321)
    real_lookup = operator_views.lookup_person

    def lookup(iin):
        record = real_lookup(iin)
        if iin == representative.iin:
            return dataclasses.replace(record, surname=SCRIPT, given_name=BREAKER, patronymic=TEMPLATE)
        return record

    data = {
        "settlement": world.dept.settlement.pk, "fund": "communal",
        "category": Category.objects.get(code="LARGE_FAMILY").pk,
        "phone": "+77017654321", "email": "", "property_check": "on", "personal_data": "on", "publication": "on",
        "documents_received": [DocumentType.objects.get(code=c).pk for c in (
            "identity_document", "address_registration", "no_housing_certificate", "category_certificate")],
        "representative_iin": representative.iin, "power_of_attorney_number": "PoA-2026-001",
        "family-TOTAL_FORMS": "1", "family-INITIAL_FORMS": "0", "family-MIN_NUM_FORMS": "0",
        "family-MAX_NUM_FORMS": "15", "family-0-iin": unknown, "family-0-relation": "spouse",
        "family-0-full_name": PAYLOAD, "family-0-birth_date": "1991-03-04",
    }
    operator = _as(world, "operator")
    with mock.patch.object(operator_views, "lookup_person", side_effect=lookup):
        response = operator.post(reverse("applications:operator_new") + f"?iin={person.iin}", data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    case = Application.objects.get(applicant__iin=person.iin)
    assert case.family_members.get().full_name == PAYLOAD and case.representative.person.full_name == PAYLOAD

    assert_inert(operator.get(response["Location"]), "operator case page", times=2)  # family member + representative
    assert_inert(_as(world, "clerk").get(reverse("applications:staff_case", args=[case.number])), "staff case page",
                 times=2)
    receipt = case.issued_documents.get(kind=DocumentKind.ACCEPTANCE_RECEIPT)
    download = operator.get(reverse("documents:download", args=[receipt.number]))
    assert download.status_code == 200
    content = b"".join(download.streaming_content) if download.streaming else download.content
    assert_pdf_literal(pdf_text(content, tmp_path), "acceptance receipt PDF (representative)")


def _hostile_person(person):
    type(person).objects.filter(pk=person.pk).update(surname=SCRIPT, given_name=BREAKER, patronymic=TEMPLATE)


def test_holder_and_staff_names_on_lists(world):  # noqa: F811
    """Names come from the state registry and the administrator; still, a hostile one is shown inert on the lists."""
    from accounts.models import User

    case = world.cases["portal_case"]
    _hostile_person(case.applicant)
    User.objects.filter(pk=world.users["executor"].pk).update(last_name=SCRIPT, first_name=BREAKER,
                                                               patronymic=TEMPLATE)
    head = _as(world, "head")
    assert_inert(head.get(reverse("applications:inbox")), "inbox")
    assert_inert(head.get(reverse("applications:staff_case", args=[case.number])), "staff case page (names)")
    assert_inert(head.get(reverse("queues_register:entry", args=[case.number])), "register entry page")
    assert_inert(head.get(reverse("applications:complaints")), "complaints list")
    assert_inert(head.get(reverse("queues_register:list", args=[case.queue_entry.queue_list.code])),
                 "register list page")


# ----------------------------------------------------------------------------- complaints, removals, allocation


def test_complaint_answer_on_the_citizens_page(world):  # noqa: F811
    complaint = world.complaints["complaint_own"]
    type(complaint).objects.filter(pk=complaint.pk).update(answer=PAYLOAD, text=PAYLOAD)
    assert_inert(_as(world, "citizen").get(reverse("applications:case_status", args=[complaint.application.number])),
                 "citizen page: complaint answer")


def test_removal_reason_and_decision_comment(world):  # noqa: F811
    """Proposed and approved through the services (reason, legal basis and the approver's comment all PAYLOAD): the
    staff pages and the citizen's page (why my place was removed) show them inert."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications.models import CaseState, DecisionKind
    from applications.services import review
    from queues.models import RemovalGround, RemovalRequest
    from queues.services import removals

    case = world.cases["portal_case"]
    review.run_eligibility(case, world.users["executor"])
    review.draft_decision(case, world.users["executor"], kind=DecisionKind.REGISTRATION, override_reason="demo")
    review.sign_decision(case, world.users["head"])
    case.refresh_from_db()
    assert case.state == CaseState.QUEUED
    entry = type(case.queue_entry).objects.get(pk=case.queue_entry.pk)
    request = removals.propose_removal(
        entry, world.users["admin"], ground=RemovalGround.values[0], reason=PAYLOAD, legal_basis=PAYLOAD[:200],
        document=SimpleUploadedFile("order.pdf", PDF_BYTES), effective_date=timezone.localdate())
    head = _as(world, "head")
    assert_inert(head.get(reverse("queues_register:requests")), "queue requests page (proposed)")
    removals.approve_removal(RemovalRequest.objects.get(pk=request.pk), world.users["head"], PAYLOAD)
    assert_inert(head.get(reverse("queues_register:entry", args=[case.number])), "register entry page (decided)",
                 times=2)  # the reason and the approver's comment
    assert_inert(_as(world, "citizen").get(reverse("applications:case_status", args=[case.number])),
                 "citizen page: removed")


def test_skip_comment_and_decline_reason(world):  # noqa: F811
    """The allocation texts the skipped or declining person and the staff read: skip comment, the approver's comment,
    a decline reason typed in the cabinet."""
    from allocation.models import Skip
    from tests.allocation.allocation_support import _matrix_world

    objects = _matrix_world(world)
    offer = objects["offers"]["portal"]
    type(offer).objects.filter(pk=offer.pk).update(decline_reason=PAYLOAD, status="declined",
                                                   responded_at=timezone.now(), responded_via="cabinet")
    own_skip = objects["alloc_skip"][0]
    Skip.objects.create(round=own_skip.round, dwelling=own_skip.dwelling, entry=offer.entry, number_at_skip=2,
                        reason=own_skip.reason, comment=PAYLOAD, proposed_by=world.users["admin"],
                        approved_by=world.users["head"], approved_at=timezone.now(), decision_comment=PAYLOAD)
    citizen = _as(world, "citizen")
    assert_inert(citizen.get(reverse("applications:case_status", args=[offer.entry.application.number])),
                 "citizen page: allocation", times=2)  # the skip comment and the decline reason
    assert_inert(citizen.get(reverse("allocation:offer", args=[offer.pk])), "citizen offer page")
    assert_inert(_as(world, "head").get(reverse("allocation:round", args=[own_skip.round_id])), "allocation round page",
                 times=3)  # decline reason, skip comment, decision comment


# ----------------------------------------------------------------------------- the dashboard and its CSVs


def _cells(body: str):
    return [cell for row in csv.reader(io.StringIO(body.lstrip("\ufeff"))) for cell in row]


def test_dashboard_page_and_every_csv_with_hostile_names(world):  # noqa: F811
    """Queue list and staff names shown on the deadline dashboard: escaped on the page; in every CSV no cell starts
    with =, +, -, @, tab or CR (a leading ' keeps the text), and the names are there (so the check checks)."""
    from accounts.models import User
    from queues.models import QueueList

    for n, queue_list in enumerate(QueueList.objects.order_by("pk")):
        name = f"{FORMULAS[n % len(FORMULAS)]} {SCRIPT}"
        QueueList.objects.filter(pk=queue_list.pk).update(name_kk=name, name_ru=name, name_en=name)
    for username, formula in (("executor", FORMULAS[0]), ("other_executor", FORMULAS[3])):
        User.objects.filter(pk=world.users[username].pk).update(last_name=formula, first_name=BREAKER, patronymic="")

    head = _as(world, "head")
    page = head.get(reverse("deadlines:dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    assert SCRIPT not in html and "<img src=x" not in html
    assert escape(SCRIPT) in html
    charts = sorted(set(re.findall(r"\?format=csv&amp;chart=([\w-]+)", html)))
    assert len(charts) >= 5, charts
    hostile = []
    for chart in charts:
        response = head.get(reverse("deadlines:dashboard"), {"format": "csv", "chart": chart})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv"), chart
        for cell in _cells(response.content.decode("utf-8")):
            assert cell[:1] not in FORMULA_START, f"{chart}: formula at the start of a CSV cell: {cell!r}"
            if any(cell.startswith("'" + f) for f in FORMULAS):
                hostile.append((chart, cell))
    assert {chart for chart, _cell in hostile} >= {"queue_sizes", "by_person"}, hostile
    tally_figures("escaping_free_text", add={"page_checks": 1, "csv_cells_with_a_formula_neutralised": len(hostile)},
                  distinct={"pages": "deadline dashboard", "csv_exports": charts})
