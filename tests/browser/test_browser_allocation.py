"""Housing allocation end to end in Debian's Chromium, each step by the role that owns it:

the administrator imports dwellings from CSV, creates a round, adds a dwelling and the list's share and computes the
proposal (the large family ahead does not fit: a skip); the head, as the second officer, approves the skip; the
administrator sends the offer; the citizen accepts it in the cabinet; the administrator drafts the decision; the head
signs it in the browser with a PAdES signature (key file); the citizen's cabinet shows the case housed and the signed
decision PDF, which verifies.

Selectors are form actions, field names and data attributes, never translated text (pages run in Kazakh).
"""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from allocation.models import AllocationDecision, AllocationRound, Dwelling, Offer, Skip
from applications.models import Application, CaseState, Person
from queues.models import EntryStatus, QueueEntry
from signatures.verification import check_pdf
from tests.allocation.allocation_support import general_list, place
from tests.browser.conftest import sign_in
from tests.factories import CITIZEN_IIN
from tests.signatures.pki_support import HEAD_IIN, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "settlement,fund,reference,address,rooms,useful_area,floor,wheelchair_accessible,has_lift,accessibility_notes,condition\n"
    "almaty,communal,KAD-7001,\"Алматы қ., Сәтбаев к., 22, 14 п.\",1,34.5,2,no,yes,,good\n"
    "almaty,communal,KAD-7002,\"Алматы қ., Сәтбаев к., 22, 15 п.\",2,51,3,no,yes,,needs_repair\n"
)


def _kk(msgid):
    with translation.override("kk"):
        return gettext(msgid)


def _submit(page, locator):
    with page.expect_navigation():
        locator.click()
    assert not page.locator("p.error, .message-error").count(), page.locator("main").inner_text()


def test_from_dwelling_import_to_a_signed_decision_in_the_cabinet(new_page, trust, department, users, tmp_path):
    head_user = users["head"]
    head_user.iin = HEAD_IIN
    head_user.save(update_fields=["iin"])
    general = general_list(department)
    big_family = place(general, users["admin"], family=3, language="kk")  # 4 people need 60 m²: too large
    record = Person.objects.create(iin=CITIZEN_IIN, surname="Серікбаев", given_name="Ерлан", birth_date="1990-02-15",
                                   sex="M", registered_here_since="2015-04-20")
    mine = place(general, users["admin"], person=record, language="kk")
    csv_file = tmp_path / "stock.csv"
    csv_file.write_text(CSV, encoding="utf-8")

    # the administrator: stock from CSV, a round with one dwelling and the list's share, the proposal
    admin = new_page()
    sign_in(admin, "admin")
    admin.goto(reverse("allocation:dwelling_import"))
    admin.set_input_files("#id_file", str(csv_file))
    _submit(admin, admin.locator("main form button[type=submit]"))
    assert admin.locator("table[data-dwellings] tr[data-dwelling]").count() == 2
    home = Dwelling.objects.get(reference="KAD-7001")

    admin.goto(reverse("allocation:round_create"))
    admin.fill("#id_name", "2026 — Сәтбаев к.")
    _submit(admin, admin.locator("main form button[type=submit]"))
    round_ = AllocationRound.objects.get()
    admin.check(f"form[data-add-dwellings] input[name=dwellings][value='{home.pk}']")
    _submit(admin, admin.locator("form[data-add-dwellings] button[type=submit]"))
    admin.fill(f"#id_list_{general.pk}", "100")
    _submit(admin, admin.locator("form[data-shares] button[type=submit]"))
    _submit(admin, admin.locator("button[data-propose]"))
    skip = Skip.objects.get(round=round_)
    assert skip.entry_id == big_family.pk and skip.reason == "FAMILY_TOO_LARGE"
    assert admin.locator(f"tr[data-skip='{skip.pk}'] [data-own-skip]").count() == 1  # not for the proposer
    assert admin.locator(f"tr[data-skip='{skip.pk}'] button[data-approve]").count() == 0

    # the head approves the skip as the second officer
    head = new_page()
    sign_in(head, "head")
    head.goto(reverse("allocation:round", args=[round_.pk]))
    _submit(head, head.locator(f"tr[data-skip='{skip.pk}'] button[data-approve]"))
    assert Skip.objects.get(pk=skip.pk).approved_by_id == head_user.pk

    # the administrator sends the offer
    admin.goto(reverse("allocation:round", args=[round_.pk]))
    _submit(admin, admin.locator("button[data-send]"))
    offer = Offer.objects.get(round=round_)
    assert offer.status == "offered" and offer.entry_id == mine.pk

    # the citizen accepts in the cabinet
    citizen = new_page()
    sign_in(citizen, CITIZEN_IIN)
    citizen.goto(reverse("applications:cabinet"))
    _submit(citizen, citizen.locator(f"[data-cabinet-offers] a[data-offer-link='{offer.pk}']"))
    citizen.check("input[name=answer][value=accept]")
    _submit(citizen, citizen.locator("form[data-answer-offer] button[type=submit]"))
    assert Offer.objects.get(pk=offer.pk).status == "accepted"

    # the administrator drafts the decision with its legal basis
    admin.goto(reverse("allocation:round", args=[round_.pk]))
    admin.fill(f"#lb-{offer.pk}", "ҚР Тұрғын үй қатынастары туралы заңы, 74-бап; әкімдік қаулысы № 12")
    _submit(admin, admin.locator("form[data-draft-decision] button[type=submit]"))
    decision = AllocationDecision.objects.get(offer=offer)
    assert decision.signed_at is None

    # the head signs the decision PDF in the browser with the key file (PAdES; the key never leaves the browser)
    head.goto(reverse("allocation:decision", args=[decision.pk]))
    form = head.locator("form[data-sign-decision]")
    assert form.locator("button[type=submit]").count() == 0  # no unsigned approval while EDS is required
    form.locator("[data-eds-file]").set_input_files(str(trust.p12_file(tmp_path, "head")))
    form.locator("[data-eds-password]").fill(PASSWORD)
    with head.expect_navigation():
        form.locator("[data-eds-sign]").click()
    assert head.locator(".message-success").count() == 1, head.locator("main").inner_text()
    decision.refresh_from_db()
    assert decision.signed_by_id == head_user.pk
    assert QueueEntry.objects.get(pk=mine.pk).status == EntryStatus.HOUSED
    assert Application.objects.get(pk=mine.application_id).state == CaseState.HOUSED

    # the citizen's cabinet: housed, the signed decision to download; it verifies
    citizen.goto(reverse("applications:case_status", args=[mine.application.number]))
    assert _kk("Housing provided") in citizen.locator("dl.summary").first.inner_text()
    link = citizen.locator(f"a[href='{reverse('documents:download', args=[decision.document.number])}']")
    assert link.count() == 1
    response = citizen.request.get(link.get_attribute("href"))
    assert response.ok and response.body().startswith(b"%PDF")
    check = check_pdf(response.body())
    assert check.ok and check.document == decision.document
    assert check.signatures[0].signer.iin == HEAD_IIN

    # the public register shows the approved skip by number, never the family's name
    public = new_page()
    public.goto(reverse("allocation:public_round", args=[round_.pk]))
    assert public.locator("tr[data-public-skip]").count() == 1
    assert big_family.holder.surname not in public.locator("main").inner_text()
