"""Allocation rounds: dwellings and list shares, and the proposal that walks each list strictly in queue order.

The proposal (DOMAIN.md §7). The round's dwellings are shared out between its lists by the configured
percentages (a dwelling only goes to a list of its own settlement and fund). Then, per list, the registered
places are walked in queue order. A place whose holder already holds a live offer (this round or another) is
being housed and is not passed over. For everyone else the smallest still-free dwelling that fits their family
(rooms/area under the space norm, step-free access where needed: allocation.services.fit) is proposed — after a
fresh eligibility re-check through the state-system adapters. Whoever is walked past without an offer is recorded
as a Skip, for each dwelling that then goes to someone behind them, with a reason code and a factual comment:

    FAMILY_TOO_LARGE / NEEDS_NOT_MET   the dwelling does not fit (allocation.services.fit)
    NOT_ELIGIBLE                       the re-check found a refusal ground: the skip records the check, and the
                                       removal itself goes through the removal procedure (queues.services.removals:
                                       supporting document, second approver) — nobody is removed here
    DECLINED / UNREACHABLE             the person declined, or did not answer, an offer in this round

Pending applications (not yet registered) hold their number but cannot be housed; they are not walked. Every skip
waits for a second officer (allocation.services.offers.approve_skip) before that dwelling's offer goes out.

A walk stops after WALK_LIMIT places of a list without finding anyone (the dwelling stays unproposed and staff see
why): an offer that passes over thousands of people is a data problem, not an allocation.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from applications.models import CaseState, EligibilityCheck, FamilyMember
from applications.services.errors import ServiceError, StateSystemError
from applications.services.workflow import log_case_event
from audit.services import record_event
from queues.models import EntryStatus, QueueEntry, QueueList
from queues.selectors import position

from ..models import (
    LIVE_OFFER_STATUSES, AllocationRound, DeclineRule, Dwelling, DwellingStatus, Offer, OfferStatus, RoundDwelling,
    RoundShare, RoundStatus, Skip, SkipReason,
)
from .common import clean_text, lock_round, require
from .fit import household_of, misfit, misfit_comment

WALK_LIMIT = 2000
CHUNK = 200
MAX_NORM = Decimal("100")
MAX_OFFER_DAYS = 90
OPEN_STATUSES = (RoundStatus.PROPOSED, RoundStatus.OFFERING)


class StateSystemDown(StateSystemError):
    """The adapters did not answer during a re-check: nothing was proposed; try again (the outbox retries)."""


# --- the round and what goes into it --------------------------------------------------------------------------------

def _decimal(value, message: str) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ServiceError(message) from None
    if not number.is_finite() or number <= 0 or number > MAX_NORM or number != number.quantize(Decimal("0.01")):
        raise ServiceError(message)
    return number


def create_round(actor, *, name: str, norm_min=Decimal("15"), norm_max=Decimal("18"), offer_days=10,
                 decline_rule=DeclineRule.KEEP_PLACE) -> AllocationRound:
    require(actor, "manage_allocation", getattr(actor, "provider_id", None))
    name = clean_text(name, missing=_("Give the round a name."), limit=100)
    norm_min = _decimal(norm_min, _("The minimum norm is a number of m² per person between 0 and 100."))
    norm_max = _decimal(norm_max, _("The maximum norm is a number of m² per person between 0 and 100."))
    if norm_max < norm_min:
        raise ServiceError(_("The maximum norm cannot be below the minimum norm."))
    try:
        offer_days = int(offer_days)
    except (TypeError, ValueError):
        offer_days = 0
    if not 1 <= offer_days <= MAX_OFFER_DAYS:
        raise ServiceError(_("The time to answer an offer is between 1 and %(n)d days.") % {"n": MAX_OFFER_DAYS})
    if decline_rule not in DeclineRule.values:
        raise ServiceError(_("Choose what a declined offer means for the place."))
    with transaction.atomic():
        round_ = AllocationRound.objects.create(
            provider_id=actor.provider_id, name=name, norm_min_m2_per_person=norm_min, norm_max_m2_per_person=norm_max,
            offer_days=offer_days, decline_rule=decline_rule, created_by=actor)
        record_event(actor=actor, action="allocation.round_created", obj=round_,
                     data={"norm_min": str(norm_min), "norm_max": str(norm_max), "offer_days": offer_days,
                           "decline_rule": decline_rule})
    return round_


def _draft(round_, actor) -> AllocationRound:
    locked = lock_round(round_)
    require(actor, "manage_allocation", locked.provider_id)
    if locked.status != RoundStatus.DRAFT:
        raise ServiceError(_("Dwellings and shares can only be changed before the proposal is computed."))
    return locked


def add_dwellings(round_, actor, dwellings) -> int:
    """Available dwellings of the department join the round (and are in no other round meanwhile)."""
    ids = sorted({getattr(d, "pk", d) for d in dwellings})
    if not ids:
        raise ServiceError(_("Choose at least one dwelling."))
    with transaction.atomic():
        locked = _draft(round_, actor)
        rows = list(Dwelling.objects.select_for_update().filter(pk__in=ids, provider_id=locked.provider_id).order_by("pk"))
        if len(rows) != len(ids):
            raise ServiceError(_("Some of the chosen dwellings do not exist in this department."))
        busy = [d.address for d in rows if d.status != DwellingStatus.AVAILABLE]
        if busy:
            raise ServiceError(_("Not available (already in a round, allocated or withdrawn): %(list)s.") % {
                "list": "; ".join(busy[:5])})
        RoundDwelling.objects.bulk_create([RoundDwelling(round=locked, dwelling=d) for d in rows])
        Dwelling.objects.filter(pk__in=ids).update(status=DwellingStatus.IN_ROUND)
        record_event(actor=actor, action="allocation.round_dwellings_added", obj=locked, data={"dwellings": ids})
    return len(rows)


def remove_dwelling(round_, actor, dwelling) -> None:
    with transaction.atomic():
        locked = _draft(round_, actor)
        link = RoundDwelling.objects.filter(round=locked, dwelling_id=getattr(dwelling, "pk", dwelling)).first()
        if link is None:
            raise ServiceError(_("This dwelling is not in the round."))
        Dwelling.objects.select_for_update().filter(pk=link.dwelling_id).update(status=DwellingStatus.AVAILABLE)
        link.delete()
        record_event(actor=actor, action="allocation.round_dwelling_removed", obj=locked, data={"dwelling": link.dwelling_id})


def set_shares(round_, actor, shares: dict) -> list[RoundShare]:
    """{queue list (or id): percent}. Whole percentages of the department's active lists, adding up to 100."""
    with transaction.atomic():
        locked = _draft(round_, actor)
        cleaned = {}
        for key, percent in shares.items():
            try:
                percent = int(str(percent).strip() or 0)
            except (TypeError, ValueError):
                raise ServiceError(_("A share is a whole percentage from 0 to 100.")) from None
            if not 0 <= percent <= 100:
                raise ServiceError(_("A share is a whole percentage from 0 to 100."))
            if percent:
                cleaned[getattr(key, "pk", key)] = percent
        lists = {ql.pk: ql for ql in QueueList.objects.filter(pk__in=list(cleaned), provider_id=locked.provider_id,
                                                               is_active=True)}
        if len(lists) != len(cleaned):
            raise ServiceError(_("Shares can only go to the department's active queue lists."))
        total = sum(cleaned.values())
        if total != 100:
            raise ServiceError(_("The shares add up to %(sum)d%%; they must add up to 100%%.") % {"sum": total})
        RoundShare.objects.filter(round=locked).delete()
        rows = RoundShare.objects.bulk_create([RoundShare(round=locked, queue_list=lists[pk], percent=p)
                                               for pk, p in sorted(cleaned.items())])
        record_event(actor=actor, action="allocation.round_shares_set", obj=locked,
                     data={lists[pk].code: p for pk, p in cleaned.items()})
    return rows


def _assign_lists(round_) -> None:
    """Each dwelling without a list goes to the matching list furthest behind its share (a largest-deficit
    apportionment: with 70/30 over ten dwellings the lists get 7 and 3, interleaved A B A A A B A A B A)."""
    shares = list(RoundShare.objects.filter(round=round_, percent__gt=0).select_related("queue_list"))
    if not shares:
        raise ServiceError(_("Set the shares of the queue lists first."))
    links = list(RoundDwelling.objects.filter(round=round_).select_related("dwelling", "dwelling__settlement")
                 .order_by("dwelling__pk"))
    if not links:
        raise ServiceError(_("Add dwellings to the round first."))
    counts = {s.queue_list_id: 0 for s in shares}
    for link in links:
        if link.queue_list_id in counts:
            counts[link.queue_list_id] += 1
    total = sum(counts.values())
    for link in links:
        if link.queue_list_id:
            continue
        d = link.dwelling
        candidates = [s for s in shares if s.queue_list.settlement_id == d.settlement_id and s.queue_list.fund == d.fund]
        if not candidates:
            raise ServiceError(_("The dwelling at %(address)s (%(settlement)s, %(fund)s) matches no list of the "
                                 "round's shares; add a share for a list of that settlement and fund.") % {
                "address": d.address, "settlement": d.settlement.name, "fund": d.get_fund_display()})
        total += 1
        best = max(candidates, key=lambda s: (Decimal(s.percent) * total / 100 - counts[s.queue_list_id], s.percent,
                                              -s.queue_list.ordering, -s.queue_list_id))
        link.queue_list = best.queue_list
        link.save(update_fields=["queue_list"])
        counts[best.queue_list_id] += 1


# --- the proposal ---------------------------------------------------------------------------------------------------

@dataclass
class Proposal:
    offers: list = field(default_factory=list)
    skips: list = field(default_factory=list)
    unmatched: list = field(default_factory=list)  # (dwelling, why) for dwellings nobody could be proposed for
    not_eligible: list = field(default_factory=list)  # entries the re-check found not eligible


@dataclass
class _Passed:
    entry: QueueEntry
    household: object
    reason: str | None = None  # a reason about the person (not the dwelling)
    offer: Offer | None = None
    check: EligibilityCheck | None = None
    number: int | None = None


def _entries_in_order(queue_list):
    """Registered places of the list in queue order, with their family members, a chunk at a time (keyset)."""
    base = (QueueEntry.objects.filter(queue_list=queue_list, active=True, status=EntryStatus.REGISTERED,
                                      application__state=CaseState.QUEUED)
            .select_related("application__category", "holder").order_by("block_no", "accepted_at", "queue_seq"))
    last = None
    while True:
        page = base
        if last is not None:
            b, a, s = last
            page = base.filter(Q(block_no__gt=b) | Q(block_no=b, accepted_at__gt=a) | Q(block_no=b, accepted_at=a, queue_seq__gt=s))
        chunk = list(page[:CHUNK])
        if not chunk:
            return
        members: dict = {}
        for member in FamilyMember.objects.filter(application_id__in=[e.application_id for e in chunk]).order_by("pk"):
            members.setdefault(member.application_id, []).append(member)
        for entry in chunk:
            yield entry, members.get(entry.application_id, [])
        tail = chunk[-1]
        last = (tail.block_no, tail.accepted_at, tail.queue_seq)


def recheck(entry, actor) -> EligibilityCheck:
    """The rules engine over the case as the state systems see it today, stored on the case like any check."""
    from applications.services.eligibility import build_case
    from applications.services.review import _plain
    from eligibility.adapters.individuals import StateSystemUnavailable
    from eligibility.case import CaseFormatError, parse_case
    from eligibility.rules import evaluate

    case = entry.application
    try:
        case_input = build_case(case)
        decision = evaluate(parse_case(case_input))
    except StateSystemUnavailable:
        raise StateSystemDown() from None
    except CaseFormatError as exc:
        raise ServiceError(_("The data of application %(number)s cannot be checked (%(error)s); correct them and "
                             "compute the proposal again.") % {"number": case.number, "error": exc}) from None
    check = EligibilityCheck.objects.create(
        application=case, run_by=actor, case_input=case_input, eligible=decision.eligible, grounds=list(decision.grounds),
        findings=[{"code": str(f.code), "message_key": f.message_key, "facts": _plain(f.facts), "text": f.explanation}
                  for f in decision.findings],
        queue_group=decision.queue_list or "",
    )
    log_case_event(case, actor=actor, action="allocation_recheck", visible_to_applicant=False,
                   comment=", ".join(check.grounds), data={"check": check.pk, "eligible": check.eligible})
    return check


def _person_comment(passed: _Passed) -> str:
    from applications.grounds_text import ground_title

    if passed.reason == SkipReason.NOT_ELIGIBLE:
        return _("The re-check against the state databases on %(date)s found: %(grounds)s. The place stays in the "
                 "queue until a removal is decided through the removal procedure, where you can object.") % {
            "date": timezone.localtime(passed.check.run_at).strftime("%d.%m.%Y"),
            "grounds": "; ".join(ground_title(code) for code in passed.check.grounds)}
    offer = passed.offer
    if passed.reason == SkipReason.DECLINED:
        return _("Declined the offer of %(address)s on %(date)s: %(reason)s") % {
            "address": offer.dwelling.address, "date": timezone.localtime(offer.responded_at).strftime("%d.%m.%Y"),
            "reason": offer.decline_reason}
    return _("No answer to the offer of %(address)s sent on %(sent)s (personal cabinet, e-mail, SMS) by %(due)s.") % {
        "address": offer.dwelling.address, "sent": timezone.localtime(offer.offered_at).strftime("%d.%m.%Y"),
        "due": timezone.localtime(offer.respond_by).strftime("%d.%m.%Y %H:%M")}


def _skip_for(round_, dwelling, passed: _Passed, proposer) -> Skip:
    reason = passed.reason or misfit(round_, dwelling, passed.household)
    if reason is None:  # pragma: no cover - a passed place fits none of the dwellings still free when it was passed
        raise RuntimeError("a place passed over fits the dwelling")
    with translation.override(passed.entry.application.language or "kk"):
        comment = (_person_comment(passed) if passed.reason
                   else misfit_comment(reason, round_, dwelling, passed.household))
    if passed.number is None:
        passed.number = position(passed.entry)
    try:
        with transaction.atomic():
            return Skip.objects.create(
                round=round_, dwelling=dwelling, entry=passed.entry, number_at_skip=passed.number, reason=reason,
                comment=comment, proposed_by=proposer, offer=passed.offer, eligibility_check=passed.check)
    except IntegrityError:  # one open skip per dwelling and person (database constraint)
        raise ServiceError(_("Another proposal recorded this skip meanwhile; nothing was saved. Compute the proposal "
                             "again.")) from None


def _walk_list(round_, queue_list, dwellings, proposer, proposal: Proposal, checks: dict) -> None:
    remaining = sorted(dwellings, key=lambda d: (Decimal(d.useful_area), d.wheelchair_accessible, d.rooms, d.pk))
    existing = set(Skip.objects.filter(round=round_, dwelling__in=remaining, rejected_at__isnull=True)
                   .values_list("dwelling_id", "entry_id"))
    closed = {o.entry_id: o for o in Offer.objects.filter(round=round_, entry__queue_list=queue_list,
                                                           status__in=[OfferStatus.DECLINED, OfferStatus.EXPIRED])
              .select_related("dwelling").order_by("pk")}
    served = set(Offer.objects.filter(entry__queue_list=queue_list, status__in=LIVE_OFFER_STATUSES)
                 .values_list("entry_id", flat=True))
    passed: list[_Passed] = []
    walked = 0
    for entry, members in _entries_in_order(queue_list):
        if not remaining:
            break
        if entry.pk in served:
            continue  # being housed: not passed over
        walked += 1
        if walked > WALK_LIMIT:
            break
        candidates = [d for d in remaining if (d.pk, entry.pk) not in existing]
        if not candidates:
            continue  # already recorded as skipped for every dwelling still free
        household = household_of(entry, members)
        if entry.pk in closed:
            offer = closed[entry.pk]
            reason = SkipReason.DECLINED if offer.status == OfferStatus.DECLINED else SkipReason.UNREACHABLE
            passed.append(_Passed(entry, household, reason=reason, offer=offer))
            continue
        fitting = [d for d in candidates if misfit(round_, d, household) is None]
        if not fitting:
            passed.append(_Passed(entry, household))
            continue
        check = checks.get(entry.pk)
        if check is None:
            check = checks[entry.pk] = recheck(entry, proposer)
        if not check.eligible:
            passed.append(_Passed(entry, household, reason=SkipReason.NOT_ELIGIBLE, check=check))
            proposal.not_eligible.append(entry)
            continue
        dwelling = fitting[0]
        try:
            with transaction.atomic():
                offer = Offer.objects.create(round=round_, dwelling=dwelling, entry=entry, number_at_offer=position(entry),
                                             family_size=household.size, proposed_by=proposer)
        except IntegrityError:  # one live offer per dwelling and per person (database constraints)
            raise ServiceError(_("Another proposal gave this dwelling or this person an offer meanwhile; nothing was "
                                 "saved. Compute the proposal again.")) from None
        proposal.offers.append(offer)
        for p in passed:
            if (dwelling.pk, p.entry.pk) not in existing:
                proposal.skips.append(_skip_for(round_, dwelling, p, proposer))
                existing.add((dwelling.pk, p.entry.pk))
        remaining.remove(dwelling)
        served.add(entry.pk)
    for dwelling in remaining:
        why = (_("Nobody among the first %(n)d registered places of the list fits this dwelling.") % {"n": WALK_LIMIT}
               if walked > WALK_LIMIT else _("Nobody left in the list fits this dwelling."))
        proposal.unmatched.append((dwelling, why))


def _propose(round_, proposer, *, dwelling_ids=None) -> Proposal:
    """Inside the caller's transaction, with the round locked: propose every free dwelling of the round (or of
    `dwelling_ids`) that has no live offer."""
    _assign_lists(round_)
    links = (RoundDwelling.objects.filter(round=round_, dwelling__status=DwellingStatus.IN_ROUND)
             .exclude(dwelling__offers__status__in=LIVE_OFFER_STATUSES).select_related("queue_list"))
    if dwelling_ids is not None:
        links = links.filter(dwelling_id__in=list(dwelling_ids))
    links = list(links)
    proposal = Proposal()
    if not links:
        return proposal
    list_ids = sorted({link.queue_list_id for link in links})
    # one proposal per list at a time, across rounds: everyone's "live offer" is then known (lock order: round, lists)
    lists = list(QueueList.objects.select_for_update().filter(pk__in=list_ids).order_by("pk"))
    dwellings = {d.pk: d for d in Dwelling.objects.select_for_update().filter(pk__in=[l.dwelling_id for l in links])
                 .order_by("pk")}
    checks: dict = {}
    for queue_list in lists:
        mine = [dwellings[l.dwelling_id] for l in links if l.queue_list_id == queue_list.pk
                and dwellings[l.dwelling_id].status == DwellingStatus.IN_ROUND]
        _walk_list(round_, queue_list, mine, proposer, proposal, checks)
    return proposal


def propose_round(round_, actor) -> Proposal:
    """Compute (or complete) the round's proposal; re-running it only fills dwellings without a live offer."""
    with transaction.atomic():
        locked = lock_round(round_)
        require(actor, "manage_allocation", locked.provider_id)
        if locked.status not in (RoundStatus.DRAFT, *OPEN_STATUSES):
            raise ServiceError(_("This round is finished."))
        proposal = _propose(locked, actor)
        if locked.status == RoundStatus.DRAFT:
            locked.status = RoundStatus.PROPOSED
            locked.save(update_fields=["status"])
        record_event(actor=actor, action="allocation.round_proposed", obj=locked, data={
            "offers": [o.pk for o in proposal.offers], "skips": [s.pk for s in proposal.skips],
            "unmatched": [d.pk for d, _why in proposal.unmatched]})
    return proposal


def repropose_dwelling(round_id: int, dwelling_id: int) -> Proposal:
    """After a decline or an unanswered offer (outbox `allocation.repropose`): the next person in order, proposed
    in the name of the round's administrator; the skip of the person who declined waits for a second officer."""
    with transaction.atomic():
        locked = lock_round(round_id)
        if locked.status not in OPEN_STATUSES:
            return Proposal()
        proposal = _propose(locked, locked.created_by, dwelling_ids=[dwelling_id])
        record_event(actor=None, action="allocation.dwelling_reproposed", obj=locked, data={
            "dwelling": dwelling_id, "offers": [o.pk for o in proposal.offers], "skips": [s.pk for s in proposal.skips]})
    return proposal


def close_round(round_, actor) -> AllocationRound:
    """Finish a round: unsent proposals lapse, dwellings without a decision return to the stock."""
    with transaction.atomic():
        locked = lock_round(round_)
        require(actor, "manage_allocation", locked.provider_id)
        if locked.status == RoundStatus.CLOSED:
            raise ServiceError(_("This round is already closed."))
        waiting = locked.offers.filter(status__in=[OfferStatus.OFFERED, OfferStatus.ACCEPTED]).count()
        if waiting:
            raise ServiceError(_("%(n)d offers are waiting for an answer or a decision; the round cannot be closed yet.")
                               % {"n": waiting})
        lapsed = list(locked.offers.filter(status=OfferStatus.PROPOSED).values_list("pk", flat=True))
        Offer.objects.filter(pk__in=lapsed).update(status=OfferStatus.CANCELLED)
        withdrawn = _withdraw_open_skips(Skip.objects.filter(round=locked))
        Dwelling.objects.filter(round_links__round=locked, status=DwellingStatus.IN_ROUND).update(status=DwellingStatus.AVAILABLE)
        locked.status = RoundStatus.CLOSED
        locked.save(update_fields=["status"])
        record_event(actor=actor, action="allocation.round_closed", obj=locked,
                     data={"cancelled_offers": lapsed, "withdrawn_skips": withdrawn})
    return locked


def _withdraw_open_skips(skips) -> list:
    """Skip proposals that never took effect (never approved) and whose offer is gone are dropped; the audit log
    keeps what they said. An approved or rejected skip is never deleted."""
    rows = list(skips.filter(approved_at__isnull=True, rejected_at__isnull=True)
                .values("pk", "entry_id", "dwelling_id", "reason", "number_at_skip"))
    if rows:
        Skip.objects.filter(pk__in=[r["pk"] for r in rows]).delete()
    return rows


def removal_candidates(round_):
    """Places this round found not eligible (a removal to propose), or that declined twice under the
    REMOVE_AFTER_SECOND rule — for the administrator, with a link to the place page where the removal is proposed."""
    not_eligible = set(Skip.objects.filter(round=round_, reason=SkipReason.NOT_ELIGIBLE, rejected_at__isnull=True)
                       .values_list("entry_id", flat=True))
    twice = set()
    if round_.decline_rule == DeclineRule.REMOVE_AFTER_SECOND:
        declined_here = Offer.objects.filter(round=round_, status=OfferStatus.DECLINED).values_list("entry_id", flat=True)
        twice = set(Offer.objects.filter(entry_id__in=list(declined_here), status=OfferStatus.DECLINED)
                    .values("entry_id").annotate(n=Count("pk")).filter(n__gte=2).values_list("entry_id", flat=True))
    entries = QueueEntry.objects.filter(pk__in=not_eligible | twice, status=EntryStatus.REGISTERED).select_related("application")
    return [(e, "not_eligible" if e.pk in not_eligible else "declined_twice") for e in entries]
