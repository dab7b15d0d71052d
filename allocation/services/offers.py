"""Skips approved by a second officer, offers sent, answered in the cabinet or at the ЦОН, or left unanswered.

- approve_skip / reject_skip: another officer than the proposer (per user id: one person holding two roles is
  still one person; the database refuses approved_by == proposed_by too). Rejecting a skip cancels the unsent
  offer of that dwelling, drops the other unapproved skips made for it (the audit log keeps them), and leaves the
  dwelling for a new proposal once the data are corrected.
- send_offers: an offer goes out only when no skip of its dwelling is still waiting; the holder is told in the
  cabinet, by e-mail and SMS and has the round's `offer_days` to answer.
- respond_to_offer: the holder in the cabinet, or a ЦОН operator of the branch that entered the case, with the
  person's identity checked. A decline needs a reason. The dwelling then goes to the next person in order through
  the outbox (`allocation.repropose`), with a DECLINED skip for the decliner waiting for a second officer.
- expire_offers (Celery beat): an unanswered offer lapses; the next person is proposed with an UNREACHABLE skip.

What a decline means for the place is the round's rule: KEEP_PLACE (nothing more), or REMOVE_AFTER_SECOND — a
second decline is recorded on the case and listed for the administrator to propose a removal through the removal
procedure (document, second approver, the person's right to complain); nothing is removed automatically.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can_view_application, has_ability
from accounts.models import Role
from applications.services.errors import ServiceError
from applications.services.workflow import NotPermitted, log_case_event
from audit.services import enqueue, record_event

from ..models import DeclineRule, Offer, OfferStatus, RoundStatus, Skip, SkipReason
from .common import AlreadyDecided, OwnProposal, clean_text, lock_round, require
from .rounds import OPEN_STATUSES, _withdraw_open_skips

CABINET = "cabinet"
SERVICE_CENTRE = "service_centre"
EXPIRE_BATCH = 500


# --- skips: the second officer -------------------------------------------------------------------------------------

def _locked_skip(skip) -> Skip:
    pk = getattr(skip, "pk", skip)
    row = Skip.objects.filter(pk=pk).values("round_id").first()
    if row is None:
        raise ServiceError(_("This skip does not exist."))
    lock_round(row["round_id"])
    return (Skip.objects.select_for_update(of=("self",)).select_related("entry__application", "dwelling", "round")
            .get(pk=pk))


def _check_second_person(skip, approver) -> None:
    require(approver, "approve_skips", skip.round.provider_id)
    if skip.approved_at or skip.rejected_at:
        raise AlreadyDecided()
    if skip.proposed_by_id == approver.pk:
        raise OwnProposal()


def approve_skip(skip, approver, comment: str = "") -> Skip:
    comment = clean_text(comment, missing="", required=False)
    with transaction.atomic():
        locked = _locked_skip(skip)
        _check_second_person(locked, approver)
        locked.approved_by = approver
        locked.approved_at = timezone.now()
        locked.decision_comment = comment
        locked.save(update_fields=["approved_by", "approved_at", "decision_comment"])
        case = locked.entry.application
        log_case_event(case, actor=approver, action="allocation_skipped",
                       comment=f"{SkipReason(locked.reason).label}: {locked.comment}",
                       data={"skip": locked.pk, "round": locked.round_id, "dwelling": locked.dwelling_id})
        record_event(actor=approver, action="allocation.skip_approved", obj=locked,
                     data={"entry": locked.entry_id, "reason": locked.reason, "proposed_by": locked.proposed_by_id})
        enqueue("allocation.notify_skip", {"skip_id": locked.pk}, dedupe_key=f"allocation-skip:{locked.pk}")
    return locked


def reject_skip(skip, approver, comment: str) -> Skip:
    comment = clean_text(comment, missing=_("Write why the skip is rejected (what must be corrected)."))
    with transaction.atomic():
        locked = _locked_skip(skip)
        _check_second_person(locked, approver)
        locked.rejected_by = approver
        locked.rejected_at = timezone.now()
        locked.decision_comment = comment
        locked.save(update_fields=["rejected_by", "rejected_at", "decision_comment"])
        cancelled = list(Offer.objects.select_for_update().filter(round_id=locked.round_id, dwelling_id=locked.dwelling_id,
                                                                  status=OfferStatus.PROPOSED))
        Offer.objects.filter(pk__in=[o.pk for o in cancelled]).update(status=OfferStatus.CANCELLED)
        withdrawn = _withdraw_open_skips(Skip.objects.filter(round_id=locked.round_id, dwelling_id=locked.dwelling_id))
        record_event(actor=approver, action="allocation.skip_rejected", obj=locked,
                     data={"entry": locked.entry_id, "reason": locked.reason, "comment": comment,
                           "cancelled_offers": [o.pk for o in cancelled], "withdrawn_skips": withdrawn})
    return locked


# --- sending -------------------------------------------------------------------------------------------------------

@dataclass
class Sent:
    sent: list = field(default_factory=list)
    waiting: list = field(default_factory=list)


def send_offers(round_, actor) -> Sent:
    with transaction.atomic():
        locked = lock_round(round_)
        require(actor, "manage_allocation", locked.provider_id)
        if locked.status not in OPEN_STATUSES:
            raise ServiceError(_("Compute the proposal first."))
        waiting_dwellings = set(Skip.objects.filter(round=locked, approved_at__isnull=True, rejected_at__isnull=True)
                                .values_list("dwelling_id", flat=True))
        result = Sent()
        now = timezone.now()
        for offer in (Offer.objects.select_for_update(of=("self",)).filter(round=locked, status=OfferStatus.PROPOSED)
                      .select_related("entry__application", "dwelling").order_by("pk")):
            if offer.dwelling_id in waiting_dwellings:
                result.waiting.append(offer)
                continue
            offer.status = OfferStatus.OFFERED
            offer.offered_at = now
            offer.respond_by = now + timedelta(days=locked.offer_days)
            offer.save(update_fields=["status", "offered_at", "respond_by"])
            log_case_event(offer.entry.application, actor=actor, action="allocation_offered",
                           comment=offer.dwelling.address, data={"offer": offer.pk, "round": locked.pk})
            enqueue("allocation.notify_offer", {"offer_id": offer.pk}, dedupe_key=f"allocation-offer:{offer.pk}")
            result.sent.append(offer)
        if result.sent and locked.status == RoundStatus.PROPOSED:
            locked.status = RoundStatus.OFFERING
            locked.save(update_fields=["status"])
        record_event(actor=actor, action="allocation.offers_sent", obj=locked,
                     data={"sent": [o.pk for o in result.sent], "waiting": [o.pk for o in result.waiting]})
    return result


# --- answers -------------------------------------------------------------------------------------------------------

def answer_channel(user, offer) -> str | None:
    """Who may answer: the holder of the place in the cabinet, or an operator of the branch that entered the case."""
    if not (user and user.is_authenticated and user.is_active):
        return None
    if user.role == Role.APPLICANT and user.iin and user.iin == offer.entry.holder.iin:
        return CABINET
    if user.role == Role.OPERATOR and can_view_application(user, offer.entry.application):
        return SERVICE_CENTRE
    return None


def _locked_offer(offer) -> Offer:
    pk = getattr(offer, "pk", offer)
    row = Offer.objects.filter(pk=pk).values("round_id").first()
    if row is None:
        raise ServiceError(_("This offer does not exist."))
    lock_round(row["round_id"])
    return (Offer.objects.select_for_update(of=("self",))
            .select_related("entry__application", "entry__holder", "dwelling", "round").get(pk=pk))


def respond_to_offer(offer, actor, *, accept: bool, reason: str = "", identity_checked: bool = False) -> Offer:
    with transaction.atomic():
        locked = _locked_offer(offer)
        via = answer_channel(actor, locked)
        if via is None:
            raise NotPermitted(_("Only the holder of the place, or the service centre that entered the case, can answer this offer."))
        if locked.status != OfferStatus.OFFERED:
            raise AlreadyDecided(_("This offer is no longer waiting for an answer."))
        now = timezone.now()
        if locked.respond_by <= now:
            raise ServiceError(_("The time to answer this offer has passed."))
        if via == SERVICE_CENTRE and not identity_checked:
            raise ServiceError(_("Confirm that you checked the person's identity document and their signed answer."))
        if not accept:
            reason = clean_text(reason, missing=_("Give the reason for declining."))
        locked.status = OfferStatus.ACCEPTED if accept else OfferStatus.DECLINED
        locked.decline_reason = "" if accept else reason
        locked.responded_at = now
        locked.responded_via = via
        locked.responded_by = actor
        locked.save(update_fields=["status", "decline_reason", "responded_at", "responded_via", "responded_by"])
        case = locked.entry.application
        log_case_event(case, actor=actor, action="allocation_accepted" if accept else "allocation_declined",
                       comment=locked.dwelling.address if accept else f"{locked.dwelling.address}: {reason}",
                       data={"offer": locked.pk, "via": via})
        record_event(actor=actor, action="allocation.offer_accepted" if accept else "allocation.offer_declined",
                     obj=locked, data={"via": via, "entry": locked.entry_id})
        if not accept:
            _after_decline(locked, actor)
            _release(locked)
    return locked


def _after_decline(offer, actor) -> None:
    if offer.round.decline_rule != DeclineRule.REMOVE_AFTER_SECOND:
        return
    declines = Offer.objects.filter(entry_id=offer.entry_id, status=OfferStatus.DECLINED).count()
    if declines >= 2:
        log_case_event(offer.entry.application, actor=actor, action="allocation_second_decline",
                       comment=_("Second declined offer: under the round's rule the department will consider proposing "
                                 "removal from the register (you will be notified and may object)."),
                       data={"offer": offer.pk, "declines": declines})


def _release(offer) -> None:
    """The dwelling goes to the next person in order, after this transaction commits (the adapters' re-check may
    be slow or down; the outbox retries)."""
    enqueue("allocation.repropose", {"round_id": offer.round_id, "dwelling_id": offer.dwelling_id},
            dedupe_key=f"allocation-repropose:{offer.pk}")


def expire_offers(now=None) -> int:
    """Offers past their answer time lapse (UNREACHABLE); run by Celery beat, safe to run twice or in parallel."""
    now = now or timezone.now()
    due = list(Offer.objects.filter(status=OfferStatus.OFFERED, respond_by__lte=now).order_by("respond_by")
               .values_list("pk", flat=True)[:EXPIRE_BATCH])
    expired = 0
    for pk in due:
        with transaction.atomic():
            locked = _locked_offer(pk)
            if locked.status != OfferStatus.OFFERED or locked.respond_by > now:
                continue  # answered or handled meanwhile
            locked.status = OfferStatus.EXPIRED
            locked.save(update_fields=["status"])
            log_case_event(locked.entry.application, actor=None, action="allocation_expired",
                           comment=locked.dwelling.address, data={"offer": locked.pk})
            record_event(actor=None, action="allocation.offer_expired", obj=locked, data={"entry": locked.entry_id})
            _release(locked)
            expired += 1
    return expired


def may_answer(user, offer) -> bool:
    return answer_channel(user, offer) is not None


def can_approve(user, skip) -> bool:
    return (has_ability(user, "approve_skips") and user.provider_id == skip.round.provider_id
            and skip.proposed_by_id != user.pk and not skip.approved_at and not skip.rejected_at)
