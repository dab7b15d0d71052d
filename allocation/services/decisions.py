"""The akimat's decision to provide housing (тұрғын үй беру туралы шешім): drafted, then signed by the head.

The administrator drafts it for an accepted offer (who, which dwelling, the legal basis). The head's signature is
the approval: with EDS the head signs the decision PDF in the browser (PAdES, interrupted signing through
signatures.services, as for case decisions), and in the same transaction the case is marked housed (workflow
transition `mark_housed`), the queue place is closed as housed (one log event; everyone behind moves forward because
numbers are ranks), the dwelling is allocated and the person is notified through the outbox.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import may_act
from applications.services.errors import ServiceError
from applications.services.workflow import NotPermitted, apply_transition, lock_case, log_case_event
from applications.models import CaseState
from audit.services import enqueue, record_event
from documents.models import DocumentKind
from queues.models import EntryStatus
from queues.services.entries import house_entry
from signatures.services import issue_decision_document

from ..models import AllocationDecision, Dwelling, DwellingStatus, Offer, OfferStatus, RoundStatus
from .common import AlreadyDecided, clean_text, lock_round, require

MAX_LEGAL_BASIS = 255


def draft_decision(offer, actor, *, legal_basis: str) -> AllocationDecision:
    legal_basis = clean_text(legal_basis, missing=_("Give the legal basis of the decision (the article of the law, "
                                                    "the akimat's resolution)."), limit=MAX_LEGAL_BASIS)
    with transaction.atomic():
        pk = getattr(offer, "pk", offer)
        row = Offer.objects.filter(pk=pk).values("round_id").first()
        if row is None:
            raise ServiceError(_("This offer does not exist."))
        round_ = lock_round(row["round_id"])
        require(actor, "manage_allocation", round_.provider_id)
        locked = Offer.objects.select_for_update(of=("self",)).select_related("entry__application").get(pk=pk)
        if locked.status != OfferStatus.ACCEPTED:
            raise ServiceError(_("A decision is drafted only for an offer the person accepted."))
        try:
            with transaction.atomic():
                decision = AllocationDecision.objects.create(offer=locked, legal_basis=legal_basis, drafted_by=actor)
        except IntegrityError:
            raise AlreadyDecided(_("A decision for this offer is already drafted.")) from None
        log_case_event(locked.entry.application, actor=actor, action="allocation_decision_drafted",
                       comment=legal_basis, visible_to_applicant=False, data={"decision": decision.pk})
        record_event(actor=actor, action="allocation.decision_drafted", obj=decision,
                     data={"offer": locked.pk, "legal_basis": legal_basis})
    return decision


def decision_context(decision: AllocationDecision) -> dict:
    """Exactly what the PDF shows; stable between the preparation and the signature (no clock readings)."""
    offer = decision.offer
    case = offer.entry.application
    dwelling = offer.dwelling
    holder = offer.entry.holder
    queue_list = offer.entry.queue_list
    return {
        "application_number": case.number,
        "holder_name": holder.full_name,
        "family_size": offer.family_size,
        "queue_list_names": {"kk": queue_list.name_kk, "ru": queue_list.name_ru, "en": queue_list.name_en},
        "number_at_offer": offer.number_at_offer,
        "registered_at": case.accepted_at.isoformat(),
        "round": offer.round.name,
        "dwelling": {
            "address": dwelling.address, "settlement": {"kk": dwelling.settlement.name_kk, "ru": dwelling.settlement.name_ru,
                                                        "en": dwelling.settlement.name_en},
            "fund": dwelling.fund, "reference": dwelling.reference, "rooms": dwelling.rooms,
            "useful_area": str(dwelling.useful_area), "floor": dwelling.floor,
        },
        "accepted_at": offer.responded_at.isoformat() if offer.responded_at else "",
        "legal_basis": decision.legal_basis,
        "provider": {"kk": case.provider.name_kk, "ru": case.provider.name_ru, "en": case.provider.name_en},
    }


def _locked_decision(decision) -> AllocationDecision:
    pk = getattr(decision, "pk", decision)
    row = AllocationDecision.objects.filter(pk=pk).values("offer__round_id").first()
    if row is None:
        raise ServiceError(_("This decision does not exist."))
    lock_round(row["offer__round_id"])
    return (AllocationDecision.objects.select_for_update(of=("self",))
            .select_related("offer__entry__application__provider", "offer__entry__holder", "offer__entry__queue_list",
                            "offer__dwelling__settlement", "offer__round").get(pk=pk))


def case_of(decision) -> object:
    return decision.offer.entry.application


def sign_decision(decision, head, signing=None) -> AllocationDecision:
    """The head approves and signs. `signing` is what the head's device signed (signatures.services); without it
    the decision is refused while KEZEK_REQUIRE_EDS is on. With signing=DRY_RUN it stops where the document would be
    issued (signatures.services.prepare_decision_signing) and everything here rolls back."""
    with transaction.atomic():
        locked = _locked_decision(decision)
        round_ = locked.offer.round
        require(head, "sign_allocation_decision", round_.provider_id)
        if locked.signed_at is not None:
            raise AlreadyDecided(_("This decision is already signed."))
        offer = Offer.objects.select_for_update(of=("self",)).get(pk=locked.offer_id)
        if offer.status != OfferStatus.ACCEPTED:
            raise ServiceError(_("The offer is no longer accepted; the decision cannot be signed."))
        case = lock_case(locked.offer.entry.application)
        entry = locked.offer.entry
        if case.state != CaseState.QUEUED or entry.status != EntryStatus.REGISTERED:
            raise ServiceError(_("Application %(number)s is no longer in the queue; the decision cannot be signed.") % {
                "number": case.number})
        if not may_act(head, "mark_housed", case):
            raise NotPermitted(_("You are not allowed to do this with this case."))
        context = decision_context(locked)
        context["signed_by"] = head.display_name
        document = issue_decision_document(
            kind=DocumentKind.HOUSING_DECISION, issued_by=head, application=case, person_iin=entry.holder.iin,
            language=case.language, context=context, signing=signing)
        house_entry(entry, decision_number=document.number)  # the place first: the case transition follows it
        apply_transition(case, "mark_housed", actor=head, comment=f"{document.number} — {locked.offer.dwelling.address}")
        now = timezone.now()
        offer.status = OfferStatus.DECIDED
        offer.save(update_fields=["status"])
        Dwelling.objects.filter(pk=offer.dwelling_id).update(status=DwellingStatus.ALLOCATED)
        locked.signed_by = head
        locked.signed_at = now
        locked.document = document
        locked.save(update_fields=["signed_by", "signed_at", "document"])
        round_ = lock_round(round_.pk)
        if not round_.round_dwellings.exclude(dwelling__status=DwellingStatus.ALLOCATED).exists():
            round_.status = RoundStatus.DECIDED
            round_.save(update_fields=["status"])
        record_event(actor=head, action="allocation.decision_signed", obj=locked,
                     data={"document": document.number, "offer": offer.pk, "dwelling": offer.dwelling_id,
                           "application": case.number})
        enqueue("allocation.notify_housed", {"decision_id": locked.pk}, dedupe_key=f"allocation-housed:{locked.pk}")
    return locked


def sign_with_key(decision, head, p12: bytes, password: str) -> AllocationDecision:
    """The interrupted PAdES flow with a key held here (tests, demo data), as signatures.services does for cases."""
    from signatures.services import sign_decision_with_key

    return sign_decision_with_key(case_of(decision), head, p12, password,
                                  sign=lambda signing: sign_decision(decision, head, signing=signing))

