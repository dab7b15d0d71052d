"""The allocation pages end to end through HTTP: staff round page, second officer, cabinet, ЦОН, public register."""

import re
from html import unescape

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from allocation.models import AllocationDecision, AllocationRound, Offer, Skip
from applications.models import CaseState, Channel
from queues.models import EntryStatus, QueueEntry
from tests.allocation.allocation_support import (  # noqa: F401  (english: a fixture)
    LEGAL_BASIS, dwelling, english, general_list, place, run_on_commit,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eds_not_required")]


def text(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


def client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend="accounts.backends.IinOrUsernameBackend")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # messages in English for the asserts
    return client


@pytest.fixture
def scene(department, users):
    """Three registered places; the first is too large for the one dwelling, the second is the demo citizen's."""
    admin = users["admin"]
    general = general_list(department)
    from applications.models import Person

    citizen_person = Person.objects.create(iin=users["citizen"].iin, surname="Серікбаев", given_name="Ерлан",
                                           birth_date="1990-02-15", sex="M")
    big = place(general, admin, family=3, surname="Үлкенова")  # 4 people: 60 m²
    mine = place(general, admin, person=citizen_person)
    paper = place(general, admin, channel=Channel.SERVICE_CENTRE, service_centre=department.centre)
    home = dwelling(department, admin, area="38", rooms=2)
    return big, mine, paper, home


def test_the_whole_round_through_the_pages(department, users, scene):
    big, mine, paper, home = scene
    admin, head = client_for(users["admin"]), client_for(users["head"])

    response = admin.post(reverse("allocation:round_create"), {"name": "Round A", "norm_min": "15", "norm_max": "18",
                                                                "offer_days": "10", "decline_rule": "keep_place"})
    round_ = AllocationRound.objects.get(name="Round A")
    assert response.status_code == 302 and response["Location"] == reverse("allocation:round", args=[round_.pk])
    assert admin.post(reverse("allocation:round_dwellings", args=[round_.pk]), {"dwellings": [home.pk]}).status_code == 302
    bad = admin.post(reverse("allocation:round_shares", args=[round_.pk]), {f"list_{general_list(department).pk}": "90"})
    assert bad.status_code == 400 and "add up to 90%" in text(bad)
    admin.post(reverse("allocation:round_shares", args=[round_.pk]), {f"list_{general_list(department).pk}": "100"})
    admin.post(reverse("allocation:round_propose", args=[round_.pk]))
    skip = Skip.objects.get(round=round_)
    assert skip.entry_id == big.pk

    # the proposer sees the skip but no approve button; the head gets the buttons
    page = admin.get(reverse("allocation:round", args=[round_.pk]))
    assert 'data-own-skip' in page.content.decode() and 'data-approve' not in page.content.decode()
    assert "A family of 4 needs at least 60.00 m²" in text(page)
    forged = admin.post(reverse("allocation:skip_decide", args=[skip.pk]), {"decision": "approve"})
    assert forged.status_code == 403 and Skip.objects.get(pk=skip.pk).approved_at is None  # a forged form
    page = head.get(reverse("allocation:round", args=[round_.pk]))
    assert 'data-approve' in page.content.decode()
    run_on_commit(lambda: head.post(reverse("allocation:skip_decide", args=[skip.pk]), {"decision": "approve"}))
    assert Skip.objects.get(pk=skip.pk).approved_by == users["head"]
    run_on_commit(lambda: admin.post(reverse("allocation:round_send", args=[round_.pk])))
    offer = Offer.objects.get(round=round_, status="offered")
    assert offer.entry_id == mine.pk

    # the holder sees it in the cabinet and accepts
    citizen = client_for(users["citizen"])
    cabinet = citizen.get(reverse("applications:cabinet"))
    assert f'data-offer-link="{offer.pk}"' in cabinet.content.decode()
    missing = citizen.post(reverse("allocation:offer", args=[offer.pk]), {"answer": "decline", "reason": ""})
    assert missing.status_code == 400 and Offer.objects.get(pk=offer.pk).status == "offered"
    assert citizen.post(reverse("allocation:offer", args=[offer.pk]), {"answer": "accept"}).status_code == 302
    assert Offer.objects.get(pk=offer.pk).status == "accepted"
    again = citizen.post(reverse("allocation:offer", args=[offer.pk]), {"answer": "decline", "reason": "x"})
    assert again.status_code == 302 and Offer.objects.get(pk=offer.pk).status == "accepted"

    # the administrator drafts, the head signs
    response = admin.post(reverse("allocation:decision_draft", args=[offer.pk]), {"legal_basis": LEGAL_BASIS})
    decision = AllocationDecision.objects.get(offer=offer)
    assert response["Location"] == reverse("allocation:decision", args=[decision.pk])
    assert 'data-sign-decision' not in admin.get(response["Location"]).content.decode()
    run_on_commit(lambda: head.post(reverse("allocation:decision_sign", args=[decision.pk]), {}))
    decision.refresh_from_db()
    assert decision.signed_by == users["head"] and decision.document is not None
    assert QueueEntry.objects.get(pk=mine.pk).status == EntryStatus.HOUSED
    assert AllocationRound.objects.get(pk=round_.pk).status == "decided"

    # the citizen's application page: housed, the decision among the documents
    status = citizen.get(reverse("applications:case_status", args=[mine.application.number]))
    assert mine.application.__class__.objects.get(pk=mine.application_id).state == CaseState.HOUSED
    assert reverse("documents:download", args=[decision.document.number]) in status.content.decode()
    assert citizen.get(reverse("documents:download", args=[decision.document.number])).status_code == 200

    # the public register: numbers and reasons, never names, IINs, addresses or comments
    public = Client().get(reverse("allocation:public_round", args=[round_.pk]))
    body = text(public)
    assert public.status_code == 200 and "data-public-skip" in public.content.decode()
    for secret in (big.holder.surname, big.holder.iin, mine.holder.iin, mine.holder.surname, home.address, skip.comment,
                   big.application.number, mine.application.number):
        assert secret not in body, secret
    assert Client().get(reverse("allocation:public_rounds")).status_code == 200


def test_the_skipped_person_sees_the_reason_and_comment_on_their_application(department, users, scene):
    big, mine, paper, home = scene
    from allocation.services import offers, rounds
    from tests.allocation.allocation_support import round_with

    users["citizen"].iin = big.holder.iin  # the big family's holder signs in
    users["citizen"].save(update_fields=["iin"])
    round_ = round_with(department, users["admin"], [home])
    rounds.propose_round(round_, users["admin"])
    skip = Skip.objects.get(round=round_)
    page = client_for(users["citizen"]).get(reverse("applications:case_status", args=[big.application.number]))
    assert "data-case-skips" not in page.content.decode()  # not before a second officer approved it
    offers.approve_skip(skip, users["head"])
    page = client_for(users["citizen"]).get(reverse("applications:case_status", args=[big.application.number]))
    assert "data-case-skips" in page.content.decode() and skip.comment in text(page)


def test_the_operator_records_an_answer_for_a_case_of_their_branch(department, users, scene):
    big, mine, paper, home = scene
    from allocation.services import offers, rounds
    from tests.allocation.allocation_support import round_with

    mine.application.__class__.objects.filter(pk=mine.application_id).update(state=CaseState.WITHDRAWN)
    QueueEntry.objects.filter(pk__in=[mine.pk, big.pk]).update(status="withdrawn", active=False)
    round_ = round_with(department, users["admin"], [home])
    rounds.propose_round(round_, users["admin"])
    run_on_commit(lambda: offers.send_offers(round_, users["admin"]))
    offer = Offer.objects.get(round=round_)
    assert offer.entry_id == paper.pk
    operator, other = client_for(users["operator"]), client_for(users["other_operator"])
    assert str(offer.entry.application.number) in text(operator.get(reverse("allocation:centre")))
    assert other.get(reverse("allocation:centre_offer", args=[offer.pk])).status_code == 404
    unchecked = operator.post(reverse("allocation:centre_offer", args=[offer.pk]), {"answer": "decline", "reason": "Far"})
    assert unchecked.status_code == 400 and Offer.objects.get(pk=offer.pk).status == "offered"
    run_on_commit(lambda: operator.post(reverse("allocation:centre_offer", args=[offer.pk]),
                                        {"answer": "decline", "reason": "Far from school", "identity_checked": "on"}))
    offer.refresh_from_db()
    assert offer.status == "declined" and offer.responded_via == "service_centre" and offer.responded_by == users["operator"]
