"""The decision to provide housing: drafted by the administrator, signed by the head with PAdES, the case housed."""

import pytest

from allocation.models import AllocationDecision, AllocationRound, Dwelling, DwellingStatus, Offer, OfferStatus, RoundStatus
from allocation.services import decisions, offers, rounds
from applications.models import CaseState
from applications.services.errors import ServiceError
from applications.services.workflow import NotPermitted
from documents.services import ensure_pdf
from queues.models import EntryStatus, EventKind, QueueEntry, QueueEvent
from queues.selectors import position
from signatures import errors as eds_errors
from signatures.verification import check_pdf
from tests.allocation.allocation_support import (  # noqa: F401  (english: a fixture)
    LEGAL_BASIS, dwelling, english, general_list, place, round_with, run_on_commit,
)
from tests.signatures.pki_support import HEAD_IIN, PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def accepted(department, users):
    """The first person in the list accepted the offered dwelling; two people wait behind."""
    admin = users["admin"]
    general = general_list(department)
    first, second, third = (place(general, admin, family=1) for _ in range(3))
    home = dwelling(department, admin, area="36", rooms=2)
    round_ = round_with(department, admin, [home])
    rounds.propose_round(round_, admin)
    run_on_commit(lambda: offers.send_offers(round_, admin))
    holder = users["citizen"]
    holder.iin = first.holder.iin
    holder.save(update_fields=["iin"])
    offer = Offer.objects.get(round=round_)
    offers.respond_to_offer(offer, holder, accept=True)
    return offer, first, second, third


def test_the_decision_is_drafted_only_for_an_accepted_offer_with_a_legal_basis(users, accepted):
    offer, *_ = accepted
    with pytest.raises(ServiceError, match="legal basis"):
        decisions.draft_decision(offer, users["admin"], legal_basis=" ")
    with pytest.raises(NotPermitted):
        decisions.draft_decision(offer, users["head"], legal_basis=LEGAL_BASIS)
    decision = decisions.draft_decision(offer, users["admin"], legal_basis=LEGAL_BASIS)
    with pytest.raises(ServiceError):
        decisions.draft_decision(offer, users["admin"], legal_basis=LEGAL_BASIS)
    assert AllocationDecision.objects.get() == decision and decision.signed_at is None


def test_without_a_signature_the_head_cannot_sign_while_eds_is_required(settings, users, accepted):
    settings.KEZEK_REQUIRE_EDS = True
    offer, first, *_ = accepted
    decision = decisions.draft_decision(offer, users["admin"], legal_basis=LEGAL_BASIS)
    with pytest.raises(eds_errors.SignatureMissing):
        decisions.sign_decision(decision, users["head"])
    assert QueueEntry.objects.get(pk=first.pk).status == EntryStatus.REGISTERED
    with pytest.raises(NotPermitted):
        decisions.sign_decision(decision, users["admin"])


def test_the_head_signs_with_pades_and_the_case_is_housed(trust, users, accepted):
    head = users["head"]
    head.iin = HEAD_IIN
    head.save(update_fields=["iin"])
    offer, first, second, third = accepted
    before = [position(QueueEntry.objects.get(pk=e.pk)) for e in (second, third)]
    decision = decisions.draft_decision(offer, users["admin"], legal_basis=LEGAL_BASIS)
    signed = run_on_commit(lambda: decisions.sign_with_key(decision, head, trust.keys["head"].p12(PASSWORD), PASSWORD))

    case = first.application.__class__.objects.get(pk=first.application_id)
    assert case.state == CaseState.HOUSED
    entry = QueueEntry.objects.get(pk=first.pk)
    assert entry.status == EntryStatus.HOUSED and not entry.active
    event = QueueEvent.objects.filter(entry=entry, kind=EventKind.HOUSED).get()
    assert event.data["decision"] == signed.document.number
    # everyone behind moves forward by one
    assert [position(QueueEntry.objects.get(pk=e.pk)) for e in (second, third)] == [n - 1 for n in before]
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.DECIDED
    assert Dwelling.objects.get(pk=offer.dwelling_id).status == DwellingStatus.ALLOCATED
    assert AllocationRound.objects.get(pk=offer.round_id).status == RoundStatus.DECIDED
    document = signed.document
    assert document.kind == "housing_decision" and document.number.startswith("TB-")
    assert document.application_id == case.pk and document.context["legal_basis"] == LEGAL_BASIS
    with document.file.open("rb") as handle:
        check = check_pdf(handle.read())
    assert check.ok and check.document == document
    assert document.signatures.get().certificate_iin == HEAD_IIN
    # the person is told on every channel, once
    assert set(case.messages.filter(kind="allocation_housed").values_list("channel", flat=True)) == {"cabinet", "email", "sms"}
    assert case.events.filter(action="mark_housed").count() == 1
    with pytest.raises(ServiceError):
        decisions.sign_decision(decision, head)


def test_without_eds_the_plain_approval_issues_the_pdf(eds_not_required, users, accepted):
    offer, first, *_ = accepted
    decision = decisions.draft_decision(offer, users["admin"], legal_basis=LEGAL_BASIS)
    signed = run_on_commit(lambda: decisions.sign_decision(decision, users["head"]))
    document = ensure_pdf(signed.document.pk)
    with document.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert QueueEntry.objects.get(pk=first.pk).status == EntryStatus.HOUSED


def test_a_case_that_left_the_queue_meanwhile_is_not_housed(eds_not_required, users, accepted):
    from applications.models import Application

    offer, first, *_ = accepted
    decision = decisions.draft_decision(offer, users["admin"], legal_basis=LEGAL_BASIS)
    Application.objects.filter(pk=first.application_id).update(state=CaseState.REMOVED)
    with pytest.raises(ServiceError, match="no longer in the queue"):
        decisions.sign_decision(decision, users["head"])
    assert AllocationDecision.objects.get(pk=decision.pk).signed_at is None
