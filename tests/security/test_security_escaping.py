"""XSS, template injection and CSV formula injection: what people type comes back inert.

Free text (a complaint, a withdrawal reason, an inventory answer) is shown escaped on every page that shows it, is
never evaluated as a template, and no CSV the system exports starts a cell with a formula character.
"""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reliability_figures import tally_figures
from tests.web.conftest import world  # noqa: F401  (the fixture)
from tests.web.test_web_permission_matrix import _inventory

pytestmark = pytest.mark.django_db

XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
TEMPLATE = "{{7*7}} {% now 'Y' %}"
FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(1)", "-1+1", "@SUM(1)", "\t=1", "\r=1"]
PAYLOAD = " ".join(XSS) + " " + TEMPLATE + " " + " ".join(FORMULAS[:4])


def _as(world, username):  # noqa: F811
    client = Client()
    client.force_login(world.users[username], backend="accounts.backends.IinOrUsernameBackend")
    return client


def _assert_inert(response, where):
    assert response.status_code == 200, f"{where}: {response.status_code}"
    html = response.content.decode()
    for payload in XSS:
        assert payload not in html, f"{where}: {payload!r} unescaped"
    assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", ""), f"{where}: live attribute"
    assert escape(XSS[0]) in html, f"{where}: the payload is not shown at all (test checks nothing)"
    assert "{{7*7}}" in html or escape("{{7*7}}") in html, f"{where}: template syntax evaluated or lost"
    tally_figures("escaping", distinct={"pages": where}, fixed={"payloads": len([*XSS, TEMPLATE, *FORMULAS])})


def test_complaint_text_and_answer_are_escaped(world):  # noqa: F811
    complaint = world.complaints["complaint_own"]
    type(complaint).objects.filter(pk=complaint.pk).update(text=PAYLOAD, answer=PAYLOAD)
    head = _as(world, "head")
    _assert_inert(head.get(reverse("applications:complaint", args=[complaint.number])), "complaint page (head)")


def test_complaint_typed_by_the_citizen_is_escaped(world):  # noqa: F811
    """Through the real form: the citizen complains about the case, staff read it."""
    from applications.models import Complaint

    case = world.cases["portal_case"]
    Complaint.objects.filter(application=case).delete()  # one open complaint per case: make room for this one
    citizen = _as(world, "citizen")
    response = citizen.post(reverse("applications:complain", args=[case.number]),
                            {"subject": "inaction", "text": PAYLOAD})
    assert response.status_code in (200, 302), response.status_code
    complaint = Complaint.objects.filter(application=case).latest("pk")
    assert complaint.text == PAYLOAD  # stored as typed: escaping is the page's job
    _assert_inert(_as(world, "head").get(reverse("applications:complaint", args=[complaint.number])),
                  "complaint page (head)")


def test_withdrawal_reason_is_escaped_on_staff_and_citizen_pages(world):  # noqa: F811
    case = world.cases["portal_case"]
    citizen = _as(world, "citizen")
    response = citizen.post(reverse("applications:withdraw", args=[case.number]), {"reason": PAYLOAD, "confirm": "on"})
    assert response.status_code in (200, 302), response.status_code
    from applications.models import CaseEvent

    assert CaseEvent.objects.filter(application=case, comment__contains="<script>").exists(), "reason not stored"
    _assert_inert(_as(world, "clerk").get(reverse("applications:staff_case", args=[case.number])), "staff case page")


def test_inventory_answer_is_escaped_for_staff(world):  # noqa: F811
    _campaign, finding = _inventory(world, "own")
    from django.utils import timezone

    type(finding).objects.filter(pk=finding.pk).update(answer=PAYLOAD, answered_at=timezone.now())
    _assert_inert(_as(world, "admin").get(reverse("queues_inventory:finding", args=[finding.pk])),
                  "inventory finding page")


# ----------------------------------------------------------------------------- CSV


def _cells(body: str):
    return [cell for row in csv.reader(io.StringIO(body.lstrip("\ufeff"))) for cell in row]


def test_dashboard_csv_neutralises_formulas():
    """deadlines dashboard CSV: a queue list or profile name typed as a formula is written as text."""
    from deadlines.charts import Chart
    from deadlines.views import csv_response

    chart = Chart("x", "x", "x", ["Queue list", *FORMULAS], [[f, 1] for f in FORMULAS + XSS], kind="table")
    cells = _cells(csv_response(chart).content.decode("utf-8"))
    assert cells
    for cell in cells:
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), f"formula at the start of a CSV cell: {cell!r}"
    assert "'=cmd|' /C calc'!A0" in cells  # kept, but as text
    tally_figures("escaping", add={"csv_cells": len(cells)}, distinct={"csv_exports": "deadline dashboard CSV"})


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20), st.text(max_size=20))
def test_published_initials_can_never_start_a_formula(surname, given_name):
    """The published list CSV shows a holder only as initials; initials are a letter and a dot, or "*"."""
    from queues.services.entries import initials_for

    initials = initials_for(surname, given_name)
    for part in initials.split(" "):
        assert part == "*" or (part.endswith(".") and part[:-1].isalpha()), initials  # "ß" gives "SS."
    assert initials[:1] not in ("=", "+", "-", "@", "\t", "\r")
    tally_figures("escaping", add={"published_initials_examples": 1})


@pytest.mark.parametrize("name", FORMULAS + XSS)
def test_published_csv_row_for_a_hostile_name(name):
    from queues.services.entries import initials_for

    assert initials_for(name, name)[:1] not in ("=", "+", "-", "@", "<", "\t", "\r")


# ----------------------------------------------------------------------------- PDFs


@pytest.mark.parametrize(("kind", "field"), [("complaint_answer", "answer"), ("refusal", "reasoning")])
def test_free_text_in_pdfs_is_printed_as_text(world, kind, field, tmp_path):  # noqa: F811
    """The head's complaint answer and the decision's reasoning go into PDFs: the payload prints literally (so it
    was escaped, not parsed as markup) and template syntax is not evaluated."""
    import shutil
    import subprocess

    from documents.services import issue_document, render_pdf_bytes

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    case = world.cases["portal_case"]
    document = issue_document(kind=kind, issued_by=world.users["head"], application=case, language="en",
                              context={field: PAYLOAD, "grounds": [], "findings": [], "application_number": case.number})
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(render_pdf_bytes(document))
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    assert "<script>alert(1)</script>" in flat, flat  # shown as the characters typed
    assert "onerror=alert(1)>" in flat
    assert "{{7*7}}" in flat  # not evaluated to 49
    assert "=cmd|' /C calc'!A0" in flat
    tally_figures("escaping", distinct={"pdfs": kind})


def test_removal_reason_is_escaped_on_the_requests_page(world):  # noqa: F811
    from django.utils import timezone

    from queues.models import RemovalGround, RemovalRequest

    case = world.cases["portal_case"]
    RemovalRequest.objects.create(entry=case.queue_entry, reason=PAYLOAD, legal_basis="art. 73", document="x.pdf",
                                  document_sha256="0" * 64, effective_date=timezone.localdate(),
                                  proposed_by=world.users["admin"], ground=RemovalGround.values[0])
    _assert_inert(_as(world, "head").get(reverse("queues_register:requests")), "queue change requests page")


def test_skip_comment_is_escaped_on_the_round_page(world):  # noqa: F811
    from allocation.models import Skip
    from tests.allocation.allocation_support import matrix_object

    pk, _label = matrix_object(world, "alloc_skip", "head", "own")
    skip = Skip.objects.get(pk=pk)
    Skip.objects.filter(pk=pk).update(comment=PAYLOAD)
    _assert_inert(_as(world, "head").get(reverse("allocation:round", args=[skip.round_id])), "allocation round page")


def test_published_list_csv_has_no_formula_cell(world, settings, tmp_path):  # noqa: F811
    """End to end: a holder whose name is a formula; the published CSV shows only initials, never a formula."""
    from queues.models import QueueEntry, SnapshotKind
    from queues.services.entries import initials_for
    from queues.services.publication import media_path, publish_list

    settings.MEDIA_ROOT = str(tmp_path)
    entry = world.cases["portal_case"].queue_entry
    QueueEntry.objects.filter(pk=entry.pk).update(initials=initials_for("=cmd|' /C calc'!A0", "+SUM(1)"))
    snapshot = publish_list(entry.queue_list, kind=SnapshotKind.ON_DEMAND)
    assert snapshot.csv_path, snapshot.error
    cells = _cells(media_path(snapshot.csv_path).read_text(encoding="utf-8"))
    assert len(cells) > 6  # a header and at least one row
    for cell in cells:
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), f"formula at the start of a CSV cell: {cell!r}"
    tally_figures("escaping", add={"csv_cells": len(cells)}, distinct={"csv_exports": "published list CSV"})
