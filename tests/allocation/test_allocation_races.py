"""Races on PostgreSQL: every dwelling to at most one person, every person at most one dwelling, one approval, one
signature — whatever runs at the same moment (threads, each with its own connection: tests/concurrency.py)."""

import pytest
from django.db import IntegrityError, connection, transaction

from allocation.models import AllocationDecision, Offer, OfferStatus, RoundDwelling, Skip
from allocation.services import decisions, offers, rounds
from applications.models import Application, CaseState
from applications.services.errors import ServiceError
from queues.models import EventKind, QueueEvent
from tests.allocation.allocation_support import (  # noqa: F401  (english: a fixture)
    LEGAL_BASIS, dwelling, english, general_list, place, round_with, run_on_commit, second_admin,
)
from tests.allocation.test_allocation_rounds import LIVE, assert_strict_order
from tests.concurrency import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.usefixtures("eds_not_required"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL concurrency; CI runs it with DATABASE_URL"),
]


def _errors(results):
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, ServiceError)]
    assert not unexpected, unexpected


def test_two_rounds_over_one_list_proposed_at_the_same_moment(department, users):
    admin, admin_b = users["admin"], second_admin(department)
    general = general_list(department)
    people = [place(general, admin) for _ in range(8)]
    first = round_with(department, admin, [dwelling(department, admin) for _ in range(3)], name="A")
    second = round_with(department, admin_b, [dwelling(department, admin) for _ in range(3)], name="B")
    results = race([lambda: rounds.propose_round(first, admin), lambda: rounds.propose_round(second, admin_b)])
    _errors(results)
    live = list(Offer.objects.filter(status__in=LIVE))
    assert len(live) == 6
    assert len({o.entry_id for o in live}) == 6 and len({o.dwelling_id for o in live}) == 6
    assert {o.entry_id for o in live} == {p.pk for p in people[:6]}  # the first six, nobody skipped
    assert not Skip.objects.exists()
    assert_strict_order(first)
    assert_strict_order(second)


def test_the_same_round_proposed_twice_at_the_same_moment(department, users):
    admin, admin_b = users["admin"], second_admin(department)
    general = general_list(department)
    for _ in range(4):
        place(general, admin)
    round_ = round_with(department, admin, [dwelling(department, admin) for _ in range(3)])
    results = race([lambda: rounds.propose_round(round_, admin), lambda: rounds.propose_round(round_, admin_b)])
    _errors(results)
    assert Offer.objects.filter(round=round_).count() == 3
    assert sum(len(r.offers) for r in results if isinstance(r, rounds.Proposal)) == 3


def test_two_approvers_approve_the_same_skip_at_the_same_moment(department, users):
    admin, head, admin_b = users["admin"], users["head"], second_admin(department)
    general = general_list(department)
    place(general, admin, family=3)
    place(general, admin)
    round_ = round_with(department, admin, [dwelling(department, admin, area="30", rooms=2)])
    rounds.propose_round(round_, admin)
    skip = Skip.objects.get(round=round_)
    results = race([lambda: offers.approve_skip(skip, head), lambda: offers.approve_skip(skip, admin_b)])
    approved = [r for r in results if isinstance(r, Skip)]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(approved) == 1 and len(refused) == 1, results
    assert Skip.objects.get(pk=skip.pk).approved_by_id == approved[0].approved_by_id


def test_the_holder_answers_twice_at_the_same_moment(department, users):
    admin = users["admin"]
    general = general_list(department)
    first = place(general, admin)
    place(general, admin)
    round_ = round_with(department, admin, [dwelling(department, admin)])
    rounds.propose_round(round_, admin)
    run_on_commit(lambda: offers.send_offers(round_, admin))
    holder = users["citizen"]
    holder.iin = first.holder.iin
    holder.save(update_fields=["iin"])
    offer = Offer.objects.get(round=round_)
    results = race([lambda: offers.respond_to_offer(offer, holder, accept=True),
                    lambda: offers.respond_to_offer(offer, holder, accept=False, reason="Changed my mind")])
    answered = [r for r in results if isinstance(r, Offer)]
    assert len(answered) == 1, results
    assert Offer.objects.get(pk=offer.pk).status == answered[0].status


def test_the_same_decision_signed_twice_at_the_same_moment_houses_once(department, users):
    admin, head = users["admin"], users["head"]
    general = general_list(department)
    first = place(general, admin)
    round_ = round_with(department, admin, [dwelling(department, admin)])
    rounds.propose_round(round_, admin)
    run_on_commit(lambda: offers.send_offers(round_, admin))
    holder = users["citizen"]
    holder.iin = first.holder.iin
    holder.save(update_fields=["iin"])
    offer = Offer.objects.get(round=round_)
    offers.respond_to_offer(offer, holder, accept=True)
    decision = decisions.draft_decision(offer, admin, legal_basis=LEGAL_BASIS)
    results = race([lambda: decisions.sign_decision(decision, head), lambda: decisions.sign_decision(decision, head)])
    signed = [r for r in results if isinstance(r, AllocationDecision)]
    assert len(signed) == 1 and sum(isinstance(r, ServiceError) for r in results) == 1, results
    assert Application.objects.get(pk=first.application_id).state == CaseState.HOUSED
    assert QueueEvent.objects.filter(entry=first, kind=EventKind.HOUSED).count() == 1
    assert first.application.issued_documents.filter(kind="housing_decision").count() == 1


def test_one_dwelling_cannot_join_two_rounds_at_the_same_moment(department, users):
    admin, admin_b = users["admin"], second_admin(department)
    home = dwelling(department, admin)
    one, two = rounds.create_round(admin, name="One"), rounds.create_round(admin_b, name="Two")
    results = race([lambda: rounds.add_dwellings(one, admin, [home]), lambda: rounds.add_dwellings(two, admin_b, [home])])
    assert sum(r == 1 for r in results) == 1 and sum(isinstance(r, ServiceError) for r in results) == 1, results
    assert RoundDwelling.objects.filter(dwelling=home).count() == 1


def test_the_database_refuses_a_second_live_offer_for_a_dwelling_or_a_person(department, users):
    admin = users["admin"]
    general = general_list(department)
    a, b = place(general, admin), place(general, admin)
    round_ = round_with(department, admin, [dwelling(department, admin), dwelling(department, admin)])
    rounds.propose_round(round_, admin)
    offer_a = Offer.objects.get(entry=a)
    other_home = Offer.objects.get(entry=b).dwelling
    with pytest.raises(IntegrityError), transaction.atomic():  # the same dwelling to a second person
        Offer.objects.create(round=round_, dwelling=offer_a.dwelling, entry=b, number_at_offer=2, family_size=1,
                             status=OfferStatus.OFFERED)
    Offer.objects.filter(entry=b).update(status=OfferStatus.CANCELLED)
    with pytest.raises(IntegrityError), transaction.atomic():  # a second dwelling to the same person
        Offer.objects.create(round=round_, dwelling=other_home, entry=a, number_at_offer=1, family_size=1,
                             status=OfferStatus.ACCEPTED)
    # a declined or lapsed offer does not block the next one
    Offer.objects.filter(pk=offer_a.pk).update(status=OfferStatus.DECLINED)
    Offer.objects.create(round=round_, dwelling=offer_a.dwelling, entry=b, number_at_offer=2, family_size=1)
