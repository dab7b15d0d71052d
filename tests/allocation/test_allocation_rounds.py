"""Allocation rounds over a seeded queue: strictly in queue order, every pass-over a recorded skip with its reason."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from allocation.models import (
    AllocationRound, DeclineRule, Dwelling, DwellingStatus, Offer, OfferStatus, RoundDwelling, RoundStatus, Skip,
    SkipReason,
)
from allocation.services import offers, rounds
from allocation.services.common import OwnProposal
from applications.models import CaseState
from applications.services.errors import ServiceError
from queues.models import EntryStatus, QueueEntry
from queues.selectors import position
from tests.allocation.allocation_support import (  # noqa: F401  (english: a fixture)
    approve_all, dwelling, english, expire_now, general_list, ineligible_person, live_offers, place, round_with, run_on_commit,
    second_admin, vulnerable_list,
)
from tests.queue_places import new_place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

LIVE = ("proposed", "offered", "accepted", "decided")


def assert_strict_order(round_):
    """For every offer of the round: every registered place ahead of it in its list either holds a live offer
    (is being housed) or has a recorded skip for that very dwelling. Nobody is passed over silently."""
    for offer in Offer.objects.filter(round=round_, status__in=LIVE).select_related("entry"):
        ahead = QueueEntry.objects.filter(
            queue_list_id=offer.entry.queue_list_id, status=EntryStatus.REGISTERED, active=True,
            application__state=CaseState.QUEUED).order_by("accepted_at", "queue_seq")
        for entry in ahead:
            if entry.pk == offer.entry_id:
                break
            served = Offer.objects.filter(entry=entry, status__in=LIVE).exists()
            skipped = Skip.objects.filter(round=round_, dwelling=offer.dwelling, entry=entry, rejected_at__isnull=True).exists()
            assert served or skipped, f"{entry.application.number} passed over silently for {offer.dwelling.address}"
    dwellings = list(Offer.objects.filter(round=round_, status__in=LIVE).values_list("dwelling_id", flat=True))
    people = list(Offer.objects.filter(status__in=LIVE).values_list("entry_id", flat=True))
    assert len(dwellings) == len(set(dwellings)) and len(people) == len(set(people))


@pytest.fixture
def seeded(department, users):
    """A list in queue order: the numbers, families and needs the expected allocation below is worked out from."""
    admin = users["admin"]
    general = general_list(department)
    q = {
        "big": place(general, admin, family=4),  # 5 people: needs 75 m²
        "single": place(general, admin),
        "owner": place(general, admin, person=ineligible_person()),  # the re-check finds a dwelling owned
        "four": place(general, admin, family=3),  # 4 people: needs 60 m²
    }
    q["pending"] = new_place(general, admin, accepted_at=q["four"].accepted_at + timedelta(seconds=30))  # accepted, not yet decided: holds its number, cannot be housed
    q["wheelchair"] = place(general, admin, family=1, disabled_member=True)  # 2 people, step-free access
    q["three"] = place(general, admin, family=2)  # 3 people: needs 45 m²
    q["last"] = place(general, admin)
    homes = {
        "A": dwelling(department, admin, area="28", rooms=1, floor=5),
        "B": dwelling(department, admin, area="48", rooms=2, floor=4),
        "C": dwelling(department, admin, area="80", rooms=3, floor=2, lift=True),
    }
    return q, homes


def test_round_allocates_strictly_in_order_except_recorded_skips(department, users, seeded):
    q, homes = seeded
    admin, head = users["admin"], users["head"]
    round_ = round_with(department, admin, list(homes.values()))
    proposal = rounds.propose_round(round_, admin)

    got = {o.dwelling_id: o.entry_id for o in proposal.offers}
    # big (5 people) -> C, the only one with 75 m²; single -> A (any one-room flat); owner: not eligible;
    # four: too large for B; wheelchair: B is on floor 4 without a lift; three -> B
    assert got == {homes["C"].pk: q["big"].pk, homes["A"].pk: q["single"].pk, homes["B"].pk: q["three"].pk}
    skips = {(s.dwelling_id, s.entry_id): s for s in proposal.skips}
    assert {k: s.reason for k, s in skips.items()} == {
        (homes["B"].pk, q["owner"].pk): SkipReason.NOT_ELIGIBLE,
        (homes["B"].pk, q["four"].pk): SkipReason.FAMILY_TOO_LARGE,
        (homes["B"].pk, q["wheelchair"].pk): SkipReason.NEEDS_NOT_MET,
    }
    # the pending case ahead counts for the numbers but is never walked or skipped
    assert [skips[(homes["B"].pk, q[k].pk)].number_at_skip for k in ("owner", "four", "wheelchair")] == [3, 4, 6]
    assert not Skip.objects.filter(entry=q["pending"]).exists()
    assert Offer.objects.get(entry=q["three"]).number_at_offer == 7
    four = skips[(homes["B"].pk, q["four"].pk)]
    assert "A family of 4 needs at least 60.00 m²" in four.comment and "48.00 m²" in four.comment
    owner = skips[(homes["B"].pk, q["owner"].pk)]
    assert owner.eligibility_check is not None and not owner.eligibility_check.eligible
    assert "OWNED_HOUSING" in ",".join(owner.eligibility_check.grounds)
    assert [e.pk for e, why in rounds.removal_candidates(round_)] == [q["owner"].pk]
    assert QueueEntry.objects.get(pk=q["owner"].pk).status == EntryStatus.REGISTERED  # nobody removed here
    assert_strict_order(round_)
    assert AllocationRound.objects.get(pk=round_.pk).status == RoundStatus.PROPOSED

    # offers go out only where no skip waits: B waits for the second officer
    sent = run_on_commit(lambda: offers.send_offers(round_, admin))
    assert {o.dwelling_id for o in sent.sent} == {homes["A"].pk, homes["C"].pk}
    assert [o.dwelling_id for o in sent.waiting] == [homes["B"].pk]
    run_on_commit(lambda: approve_all(round_, head))
    sent = run_on_commit(lambda: offers.send_offers(round_, admin))
    assert [o.dwelling_id for o in sent.sent] == [homes["B"].pk]
    offer = Offer.objects.get(pk=sent.sent[0].pk)
    assert offer.status == OfferStatus.OFFERED and offer.respond_by > timezone.now()
    messages = q["three"].application.messages.filter(kind="allocation_offer")
    assert {m.channel for m in messages} == {"cabinet", "email", "sms"}
    # the skipped person hears why, with the comment
    told = q["four"].application.messages.get(kind="allocation_skip", channel="cabinet")
    assert "60.00 m²" in told.body
    assert q["four"].application.events.filter(action="allocation_skipped", visible_to_applicant=True).exists()


def test_proposing_again_only_fills_dwellings_without_a_live_offer(department, users, seeded):
    q, homes = seeded
    admin = users["admin"]
    round_ = round_with(department, admin, list(homes.values()))
    rounds.propose_round(round_, admin)
    again = rounds.propose_round(round_, admin)
    assert again.offers == [] and again.skips == []
    assert Offer.objects.filter(round=round_).count() == 3


def test_a_large_random_queue_over_two_lists_keeps_the_order_and_the_shares(department, users):
    admin = users["admin"]
    rng = random.Random(7)
    general, vulnerable = general_list(department), vulnerable_list(department)
    for queue_list in (general, vulnerable):
        for _ in range(18):
            place(queue_list, admin, family=rng.choice([0, 0, 1, 2, 3, 4]), disabled_member=rng.random() < 0.2)
    homes = [dwelling(department, admin, area=str(rng.choice([26, 34, 45, 52, 61, 70, 88])), rooms=rng.choice([1, 2, 3]),
                      floor=rng.choice([1, 3, 6]), lift=rng.random() < 0.3) for _ in range(8)]
    round_ = round_with(department, admin, homes, shares={general: 70, vulnerable: 30})
    rounds.propose_round(round_, admin)
    per_list = {}
    for link in RoundDwelling.objects.filter(round=round_):
        per_list[link.queue_list_id] = per_list.get(link.queue_list_id, 0) + 1
    assert per_list == {general.pk: 6, vulnerable.pk: 2}  # 70/30 of 8 dwellings
    assert_strict_order(round_)
    for offer in live_offers(round_):
        assert RoundDwelling.objects.get(round=round_, dwelling=offer.dwelling).queue_list_id == offer.entry.queue_list_id


def test_shares_must_add_up_to_100_and_dwellings_must_be_available(department, users):
    admin = users["admin"]
    home = dwelling(department, admin)
    round_ = rounds.create_round(admin, name="R")
    with pytest.raises(ServiceError, match="add up to 90%"):
        rounds.set_shares(round_, admin, {general_list(department): 60, vulnerable_list(department): 30})
    rounds.add_dwellings(round_, admin, [home])
    other = rounds.create_round(admin, name="R2")
    with pytest.raises(ServiceError, match="Not available"):
        rounds.add_dwellings(other, admin, [home])
    with pytest.raises(ServiceError, match="shares"):
        rounds.propose_round(round_, admin)
    assert not Offer.objects.exists()


def test_a_decline_is_recorded_and_the_next_fitting_person_is_proposed(department, users):
    admin, other_admin = users["admin"], second_admin(department)
    general = general_list(department)
    first, second, third = place(general, admin), place(general, admin), place(general, admin)
    home = dwelling(department, admin, area="30")
    round_ = round_with(department, admin, [home])
    rounds.propose_round(round_, admin)
    run_on_commit(lambda: offers.send_offers(round_, admin))
    offer = Offer.objects.get(entry=first)
    holder = users["citizen"]
    holder.iin = first.holder.iin
    holder.save(update_fields=["iin"])
    with pytest.raises(ServiceError, match="reason"):
        offers.respond_to_offer(offer, holder, accept=False, reason="  ")
    run_on_commit(lambda: offers.respond_to_offer(offer, holder, accept=False, reason="Too far from my work"))
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.DECLINED
    nxt = Offer.objects.get(round=round_, status=OfferStatus.PROPOSED)
    assert nxt.entry_id == second.pk and nxt.dwelling_id == home.pk
    skip = Skip.objects.get(entry=first)
    assert skip.reason == SkipReason.DECLINED and "Too far from my work" in skip.comment and skip.offer_id == offer.pk
    assert skip.proposed_by == admin  # in the name of the round's administrator; another officer approves
    with pytest.raises(OwnProposal):
        offers.approve_skip(skip, admin)
    offers.approve_skip(skip, other_admin)
    sent = run_on_commit(lambda: offers.send_offers(round_, admin))
    assert [o.entry_id for o in sent.sent] == [second.pk]
    # KEEP_PLACE: the decliner keeps the place and the number
    assert QueueEntry.objects.get(pk=first.pk).active and position(QueueEntry.objects.get(pk=first.pk)) == 1
    assert third.pk not in {o.entry_id for o in live_offers(round_)}


def test_a_second_decline_under_the_strict_rule_is_listed_for_a_removal_proposal(department, users):
    admin = users["admin"]
    general = general_list(department)
    person = place(general, admin)
    place(general, admin)
    holder = users["citizen"]
    holder.iin = person.holder.iin
    holder.save(update_fields=["iin"])
    for n in (1, 2):
        round_ = round_with(department, admin, [dwelling(department, admin)], name=f"R{n}",
                            decline_rule=DeclineRule.REMOVE_AFTER_SECOND)
        rounds.propose_round(round_, admin)
        run_on_commit(lambda r=round_: offers.send_offers(r, admin))
        offer = Offer.objects.get(round=round_, entry=person)
        run_on_commit(lambda o=offer: offers.respond_to_offer(o, holder, accept=False, reason="No"))
    assert [(e.pk, why) for e, why in rounds.removal_candidates(round_)] == [(person.pk, "declined_twice")]
    assert person.application.events.filter(action="allocation_second_decline").count() == 1
    assert QueueEntry.objects.get(pk=person.pk).status == EntryStatus.REGISTERED  # never removed automatically


def test_an_unanswered_offer_lapses_and_the_next_person_is_proposed(department, users):
    admin = users["admin"]
    general = general_list(department)
    first, second = place(general, admin), place(general, admin)
    round_ = round_with(department, admin, [dwelling(department, admin)])
    rounds.propose_round(round_, admin)
    run_on_commit(lambda: offers.send_offers(round_, admin))
    offer = Offer.objects.get(entry=first)
    assert run_on_commit(offers.expire_offers) == 0  # not due yet
    expire_now(offer)
    assert run_on_commit(offers.expire_offers) == 1
    assert run_on_commit(offers.expire_offers) == 0  # twice is once
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.EXPIRED
    skip = Skip.objects.get(entry=first)
    assert skip.reason == SkipReason.UNREACHABLE and "No answer" in skip.comment
    assert Offer.objects.get(round=round_, status=OfferStatus.PROPOSED).entry_id == second.pk
    holder = users["citizen"]
    holder.iin = first.holder.iin
    holder.save(update_fields=["iin"])
    with pytest.raises(ServiceError):
        offers.respond_to_offer(offer, holder, accept=True)


def test_a_rejected_skip_cancels_the_unsent_offer_and_the_proposal_can_be_redone(department, users):
    admin, head = users["admin"], users["head"]
    general = general_list(department)
    big = place(general, admin, family=2)  # 3 people need 45 m²
    middle = place(general, admin, family=2)
    single = place(general, admin)
    home = dwelling(department, admin, area="30", rooms=2)
    round_ = round_with(department, admin, [home])
    rounds.propose_round(round_, admin)
    assert Offer.objects.get(round=round_, status="proposed").entry_id == single.pk
    skip = Skip.objects.get(entry=big)
    with pytest.raises(ServiceError, match="why"):
        offers.reject_skip(skip, head, "")
    offers.reject_skip(skip, head, "The family data are out of date: the children moved out; correct the case.")
    assert not Offer.objects.filter(round=round_, status__in=LIVE).exists()
    assert not Skip.objects.filter(entry=middle).exists()  # made for the cancelled offer: dropped, audit keeps it
    assert Skip.objects.get(pk=skip.pk).rejected_by == head
    big.application.family_members.all().delete()  # the administrator corrects the case
    rounds.propose_round(round_, admin)
    assert Offer.objects.get(round=round_, status="proposed").entry_id == big.pk
    assert_strict_order(round_)


def test_closing_a_round_returns_unallocated_dwellings_to_the_stock(department, users):
    admin = users["admin"]
    place(general_list(department), admin)
    homes = [dwelling(department, admin), dwelling(department, admin, area="10", rooms=2)]
    round_ = round_with(department, admin, homes)
    proposal = rounds.propose_round(round_, admin)
    assert [d.pk for d, why in proposal.unmatched] == [homes[1].pk]
    rounds.close_round(round_, admin)
    assert set(Dwelling.objects.values_list("status", flat=True)) == {DwellingStatus.AVAILABLE}
    assert not Offer.objects.filter(status__in=LIVE).exists()
    with pytest.raises(ServiceError):
        rounds.propose_round(round_, admin)
