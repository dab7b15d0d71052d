"""Inventory pages: the administrator starts and reviews a campaign, the holder answers from the cabinet."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from eligibility.adapters import get_individuals_registry
from queues.models import CampaignStatus, FindingKind, FindingStatus, InventoryCampaign, RemovalRequest
from queues.services import inventory
from tests.factories import file_case
from tests.web.web_support import PDF_BYTES

pytestmark = [pytest.mark.django_db]

MOVED = "991220426473"  # simulator_people.json: "moved permanently to Shymkent in September 2025"
DECEASED = "991214326103"  # "died in October 2025 (applied while alive)"
ELIGIBLE = "870707324813"


def on_commit():
    return TestCase.captureOnCommitCallbacks(execute=True)


@pytest.fixture(autouse=True)
def english(client):
    """The assertions read the English texts; the pages are translated (kk by default)."""
    client.cookies["kezek_language"] = "en"


@pytest.fixture
def cases(department, users):
    registry = get_individuals_registry()
    return {iin: file_case(department, users["operator"], person=registry.find_person(iin))
            for iin in (MOVED, DECEASED, ELIGIBLE)}


@pytest.fixture
def moved_user(cases):
    return User.objects.create(username="moved", role=Role.APPLICANT, iin=MOVED)


def start_through_the_page(client, days=30):
    with on_commit():
        response = client.post(reverse("queues_inventory:campaigns"), {
            "year": timezone.localdate().year,
            "response_due": (timezone.localdate() + timedelta(days=days)).isoformat()})
    return response


def test_the_administrator_starts_an_inventory_and_reviews_its_findings(cases, users, login):
    client = login(users["admin"])
    page = client.get(reverse("queues_inventory:campaigns"))
    assert page.status_code == 200 and b"Start the inventory" in page.content

    response = start_through_the_page(client)
    campaign = InventoryCampaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("queues_inventory:campaign", args=[campaign.pk])

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert '<progress id="inventory-progress" max="3" value="3">' in html
    assert 'http-equiv="refresh"' not in html  # finished: no more refreshing
    assert html.count("data-finding=") == 2
    assert cases[MOVED].number in html and cases[DECEASED].number in html and cases[ELIGIBLE].number not in html

    only_deaths = client.get(response["Location"], {"kind": FindingKind.DECEASED}).content.decode()
    assert only_deaths.count("data-finding=") == 1 and cases[DECEASED].number in only_deaths
    assert client.get(response["Location"], {"kind": "BOGUS"}).status_code == 200  # bad filter: everything, no error

    again = start_through_the_page(client)
    assert again.status_code == 400 and "already been started" in again.content.decode()


def test_a_running_inventory_refreshes_and_can_be_resumed(cases, users, login):
    client = login(users["admin"])
    with TestCase.captureOnCommitCallbacks(execute=False):  # no worker picks it up
        campaign = inventory.start_campaign(cases[MOVED].provider, users["admin"], year=2026,
                                            response_due=timezone.localdate() + timedelta(days=10))
    html = client.get(reverse("queues_inventory:campaign", args=[campaign.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="5">' in html and 'value="0"' in html and "Resume the check" in html
    with on_commit():
        response = client.post(reverse("queues_inventory:resume", args=[campaign.pk]))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.REVIEW and campaign.checked == 3


def test_staff_read_but_only_the_administrator_acts_and_only_on_their_provider(cases, users, login, department):
    client = login(users["admin"])
    start_through_the_page(client)
    campaign = InventoryCampaign.objects.get()
    finding = campaign.findings.get(kind=FindingKind.MOVED_AWAY)

    head = login(users["head"])
    assert head.get(reverse("queues_inventory:finding", args=[finding.pk])).status_code == 200
    assert head.post(reverse("queues_inventory:dismiss", args=[finding.pk]), {"comment": "x"}).status_code == 403
    assert b"Dismiss the finding" not in head.get(reverse("queues_inventory:finding", args=[finding.pk])).content

    stranger = User.objects.create(username="admin-aktobe", role=Role.ADMINISTRATOR, provider=department.other_provider)
    other = login(stranger)
    assert other.get(reverse("queues_inventory:campaign", args=[campaign.pk])).status_code == 404
    assert other.post(reverse("queues_inventory:dismiss", args=[finding.pk]), {"comment": "x"}).status_code == 404
    assert other.get(reverse("queues_inventory:finding", args=[2**63])).status_code == 404


def test_dismiss_needs_a_comment(cases, users, login):
    client = login(users["admin"])
    start_through_the_page(client)
    finding = InventoryCampaign.objects.get().findings.get(kind=FindingKind.MOVED_AWAY)
    url = reverse("queues_inventory:dismiss", args=[finding.pk])
    empty = client.post(url, {"comment": "   "})
    assert empty.status_code == 400 and "error-summary" in empty.content.decode()
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN
    done = client.post(url, {"comment": "Came back: registered in Almaty again."}, follow=True)
    assert done.status_code == 200 and "Came back" in done.content.decode()
    finding.refresh_from_db()
    assert finding.status == FindingStatus.DISMISSED


@pytest.mark.usefixtures("eds_not_required")
def test_propose_removal_from_the_finding_page(department, users, login):
    from tests.queues.test_queue_inventory_campaign import queued

    registry = get_individuals_registry()
    case = queued(department, users, registry.find_person(DECEASED))
    pending = file_case(department, users["operator"], person=registry.find_person(MOVED))
    client = login(users["admin"])
    start_through_the_page(client)
    campaign = InventoryCampaign.objects.get()
    finding = campaign.findings.get(kind=FindingKind.DECEASED)
    page = client.get(reverse("queues_inventory:finding", args=[finding.pk])).content.decode()
    assert "may answer until" in page and "Propose the removal" not in page  # the person is heard first

    InventoryCampaign.objects.filter(pk=campaign.pk).update(response_due=timezone.localdate() - timedelta(days=1))
    page = client.get(reverse("queues_inventory:finding", args=[finding.pk])).content.decode()
    assert 'value="DEATH" selected' in page and "article 73" in page and 'value="2025-10-02"' in page
    form = {"ground": "DEATH", "reason": "Death recorded in the individuals database.",
            "legal_basis": str(inventory.LEGAL_BASIS), "effective_date": "2025-10-02", "successor": ""}
    url = reverse("queues_inventory:propose_removal", args=[finding.pk])
    missing = client.post(url, form)
    assert missing.status_code == 400 and not RemovalRequest.objects.exists()  # the document is required
    fake = client.post(url, {**form, "document": SimpleUploadedFile("x.pdf", b"MZ\x90\x00not a pdf")})
    assert fake.status_code == 400 and not RemovalRequest.objects.exists()
    done = client.post(url, {**form, "document": SimpleUploadedFile("extract.pdf", PDF_BYTES)})
    assert done.status_code == 302
    request = RemovalRequest.objects.get()
    assert (request.entry_id, request.ground, request.finding_id) == (case.queue_entry.pk, "DEATH", finding.pk)
    finding.refresh_from_db()
    assert finding.status == FindingStatus.REMOVAL_PROPOSED
    case.refresh_from_db()
    assert case.queue_entry.active  # removed only when a second official approves

    # a place still pending a decision is decided through its case, not the removal flow
    other = campaign.findings.get(entry__application=pending)
    page = client.get(reverse("queues_inventory:finding", args=[other.pk])).content.decode()
    assert "still pending a decision" in page and "Propose the removal" not in page


def test_the_holder_answers_from_the_cabinet(cases, users, login, moved_user):
    start_through_the_page(login(users["admin"]))
    finding = InventoryCampaign.objects.get().findings.get(kind=FindingKind.MOVED_AWAY)
    client = login(moved_user)
    cabinet = client.get(reverse("applications:cabinet")).content.decode()
    url = reverse("queues_inventory:answer", args=[finding.pk])
    assert url in cabinet

    page = client.get(url).content.decode()
    assert "Shymkent" in page and "Send the answer" in page
    no_text = client.post(url, {"choice": inventory.ANSWER_CHANGED, "answer": ""})
    assert no_text.status_code == 400 and "Describe what has changed" in no_text.content.decode()
    answered = client.post(url, {"choice": inventory.ANSWER_CHANGED, "answer": "Back in Almaty since October.",
                                 "document": SimpleUploadedFile("registration.pdf", PDF_BYTES)}, follow=True)
    assert answered.status_code == 200 and "Back in Almaty since October." in answered.content.decode()
    finding.refresh_from_db()
    assert finding.status == FindingStatus.ANSWERED and inventory.answer_attachment_id(finding)
    assert url not in client.get(reverse("applications:cabinet")).content.decode()  # nothing left to answer

    staff_view = login(users["admin"]).get(reverse("queues_inventory:finding", args=[finding.pk])).content.decode()
    assert "Back in Almaty since October." in staff_view and "Open the document" in staff_view


def test_after_the_deadline_the_holder_can_no_longer_answer(cases, users, login, moved_user):
    start_through_the_page(login(users["admin"]))
    campaign = InventoryCampaign.objects.get()
    finding = campaign.findings.get(kind=FindingKind.MOVED_AWAY)
    InventoryCampaign.objects.filter(pk=campaign.pk).update(response_due=timezone.localdate() - timedelta(days=1))
    client = login(moved_user)
    url = reverse("queues_inventory:answer", args=[finding.pk])
    page = client.get(url).content.decode()
    assert "Send the answer" not in page and "The time to answer ended" in page
    late = client.post(url, {"choice": inventory.ANSWER_STILL_VALID, "answer": ""})
    assert late.status_code == 400 and "The time to answer ended" in late.content.decode()
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN


def test_nobody_but_the_holder_sees_the_answer_page(cases, users, login, moved_user):
    start_through_the_page(login(users["admin"]))
    finding = InventoryCampaign.objects.get().findings.get(kind=FindingKind.MOVED_AWAY)
    url = reverse("queues_inventory:answer", args=[finding.pk])
    assert login(users["citizen"]).get(url).status_code == 404
    assert login(users["citizen"]).post(url, {"choice": inventory.ANSWER_STILL_VALID}).status_code == 404
    assert login(users["admin"]).get(url).status_code == 403
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN
