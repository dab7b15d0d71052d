"""The two-person rule for skips: the proposer never approves, whatever roles that one user holds — also in the DB."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role
from allocation.models import Offer, OfferStatus, Skip
from allocation.services import offers, rounds
from allocation.services.common import AlreadyDecided, OwnProposal
from applications.services.workflow import NotPermitted
from tests.allocation.allocation_support import (  # noqa: F401  (english: a fixture)
    dwelling, english, general_list, place, round_with, run_on_commit, second_admin,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def proposed(department, users):
    """A round whose only offer waits behind one skip proposed by `admin`."""
    admin = users["admin"]
    general = general_list(department)
    big = place(general, admin, family=3)  # 4 people: 60 m²
    single = place(general, admin)
    round_ = round_with(department, admin, [dwelling(department, admin, area="35", rooms=2)])
    rounds.propose_round(round_, admin)
    skip = Skip.objects.get(round=round_)
    assert skip.entry_id == big.pk and skip.proposed_by == admin
    return round_, skip, single


def _unchanged(skip):
    fresh = Skip.objects.get(pk=skip.pk)
    assert fresh.approved_at is None and fresh.approved_by is None and fresh.rejected_at is None


def test_the_proposer_cannot_approve_or_reject_their_own_skip(users, proposed):
    round_, skip, _ = proposed
    with pytest.raises(OwnProposal):
        offers.approve_skip(skip, users["admin"])
    with pytest.raises(OwnProposal):
        offers.reject_skip(skip, users["admin"], "I changed my mind")
    _unchanged(skip)
    sent = offers.send_offers(round_, users["admin"])  # the offer cannot go out either
    assert sent.sent == [] and Offer.objects.get(round=round_).status == OfferStatus.PROPOSED


def test_one_user_holding_two_roles_is_still_one_person(users, proposed):
    """The administrator who proposed becomes head (or holds the head's role too): still not a second person."""
    round_, skip, _ = proposed
    proposer = users["admin"]
    proposer.role = Role.HEAD  # same user id, now with the approving role of the head
    proposer.save(update_fields=["role"])
    with pytest.raises(OwnProposal):
        offers.approve_skip(skip, proposer)
    _unchanged(skip)


def test_the_database_refuses_approval_by_the_proposer_even_if_the_service_is_bypassed(users, proposed):
    _, skip, _ = proposed
    with pytest.raises(IntegrityError), transaction.atomic():
        Skip.objects.filter(pk=skip.pk).update(approved_by=skip.proposed_by, approved_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Skip.objects.filter(pk=skip.pk).update(rejected_by=skip.proposed_by, rejected_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():  # approved without an approver
        Skip.objects.filter(pk=skip.pk).update(approved_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():  # a skip without a comment
        Skip.objects.filter(pk=skip.pk).update(comment="")
    _unchanged(skip)


def test_roles_without_the_approval_right_cannot_approve(users, proposed):
    _, skip, _ = proposed
    for name in ("citizen", "operator", "clerk", "executor", "auditor", "other_clerk"):
        with pytest.raises(NotPermitted):
            offers.approve_skip(skip, users[name])
    _unchanged(skip)


def test_a_second_officer_approves_once_and_the_offer_goes_out(department, users, proposed):
    round_, skip, single = proposed
    other = second_admin(department)
    offers.approve_skip(skip, other)
    with pytest.raises(AlreadyDecided):
        offers.approve_skip(skip, users["head"])
    fresh = Skip.objects.get(pk=skip.pk)
    assert fresh.approved_by == other and fresh.proposed_by == users["admin"]
    sent = run_on_commit(lambda: offers.send_offers(round_, users["admin"]))
    assert [o.entry_id for o in sent.sent] == [single.pk]
