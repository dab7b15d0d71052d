"""The annual inventory (жыл сайынғы түгендеу): every active place re-checked against the state systems.

An administrator starts a campaign for their provider and a year; the check runs in the background in
batches, each batch in its own transaction that also moves the resume point (last_entry_id), so a crash
loses nothing and a re-run finds nothing twice. What it finds is listed for review; the holder is asked, once
per campaign, to confirm or update their data by the response date. Nobody is removed here: a removal is
proposed from a finding through queues.services.removals (a second person approves, the person is notified).

What counts as a finding (for the holder of the place, as of the day of the check):
  - NOT_FOUND: the individuals database does not know the IIN;
  - DECEASED: it records the death (no other check is made then);
  - MOVED_AWAY: the settlement of the registered address is known and is not the list's settlement;
  - OWNS_DWELLING: the holder or a family member of the case holds, now, a habitable dwelling that is not in
    emergency condition in the list's settlement. A dwelling already held before the place was taken is
    reported too (the facts say which): the question is "still eligible?", and a reviewer decides;
  - STATE_HOUSING: the holder or a family member holds state housing now (not privatised).
Facts hold the evidence (dates, settlements, who in the family: never another person's IIN).
"""

from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import has_ability
from accounts.models import Role, Settlement
from applications.services.errors import ServiceError
from applications.services.workflow import NotPermitted
from audit.services import enqueue, record_event
from eligibility.adapters import get_individuals_registry
from eligibility.adapters.registries import get_property_registry, get_state_housing_registry

from ..models import (
    CampaignStatus,
    FindingKind,
    FindingStatus,
    InventoryCampaign,
    InventoryFinding,
    QueueEntry,
    QueueList,
    RemovalGround,
)

BATCH = 500
RUN_TOPIC = "queues.run_inventory"
NOTIFY_TOPIC = "queues.inventory_notify"
NOTIFICATION_KIND = "inventory_check"
MAX_ANSWER_LENGTH = 5000
MAX_COMMENT_LENGTH = 2000

# what a finding suggests on the removal form (Law art. 73); NOT_FOUND suggests nothing: someone must look
SUGGESTED_GROUND = {
    FindingKind.DECEASED: RemovalGround.DEATH,
    FindingKind.MOVED_AWAY: RemovalGround.MOVED_AWAY,
    FindingKind.OWNS_DWELLING: RemovalGround.GROUNDS_CEASED,
    FindingKind.STATE_HOUSING: RemovalGround.GROUNDS_CEASED,
    FindingKind.NOT_FOUND: None,
}
LEGAL_BASIS = gettext_lazy("Law of the Republic of Kazakhstan \"On Housing Relations\", article 73")

# the holder's answer: nothing changed (the finding is wrong or no longer true), or what changed
ANSWER_STILL_VALID = "still_valid"
ANSWER_CHANGED = "changed"
ANSWER_CHOICES = (
    (ANSWER_STILL_VALID, gettext_lazy("My data in the application are still correct")),
    (ANSWER_CHANGED, gettext_lazy("My situation has changed (describe what changed)")),
)
# which document type an answer's scan is filed under on the case
ANSWER_DOCUMENT_TYPE = {
    FindingKind.NOT_FOUND: "identity_document",
    FindingKind.DECEASED: "identity_document",
    FindingKind.MOVED_AWAY: "address_registration",
    FindingKind.OWNS_DWELLING: "no_housing_certificate",
    FindingKind.STATE_HOUSING: "no_housing_certificate",
}
OPEN_STATUSES = (FindingStatus.OPEN, FindingStatus.ANSWERED)


class InventoryError(ServiceError):
    message = gettext_lazy("The inventory request could not be completed.")


def _require(user, ability: str, provider_id: int) -> None:
    """The ability, for the user's own provider only."""
    if not has_ability(user, ability) or user.provider_id != provider_id:
        raise NotPermitted(_("You are not allowed to do this with this inventory."))


def provider_list_ids(provider_id: int) -> list[int]:
    return list(QueueList.objects.filter(provider_id=provider_id).values_list("pk", flat=True))


def active_places(provider_id: int):
    return QueueEntry.objects.filter(queue_list_id__in=provider_list_ids(provider_id), active=True)


# --- starting ----------------------------------------------------------------------------------------------------

def start_campaign(provider, actor, *, year: int, response_due) -> InventoryCampaign:
    """One campaign per provider and year; the check itself runs in the background (outbox → Celery)."""
    _require(actor, "manage_queue", provider.pk)
    today = timezone.localdate()
    if not isinstance(year, int) or not 2000 <= year <= today.year + 1:
        raise InventoryError(_("Give the year of the inventory (2000 to %(max)d).") % {"max": today.year + 1})
    if response_due is None or response_due <= today:
        raise InventoryError(_("The date by which people answer must be in the future."))
    with transaction.atomic():
        if InventoryCampaign.objects.filter(provider=provider, year=year).exists():
            raise InventoryError(_("An inventory for %(year)d has already been started for this department.")
                                 % {"year": year})
        if InventoryCampaign.objects.filter(provider=provider, status=CampaignStatus.RUNNING).exists():
            raise InventoryError(_("Another inventory is still checking places; wait until it has finished."))
        try:
            with transaction.atomic():
                campaign = InventoryCampaign.objects.create(
                    provider=provider, year=year, started_by=actor, response_due=response_due,
                    total=active_places(provider.pk).count(),
                )
        except IntegrityError:  # a second click or a second administrator, at the same moment
            raise InventoryError(_("An inventory for %(year)d has already been started for this department.")
                                 % {"year": year}) from None
        record_event(actor=actor, action="queue.inventory_started", obj=campaign,
                     data={"year": year, "response_due": response_due.isoformat(), "total": campaign.total})
        _enqueue_run(campaign)
    return campaign


def _enqueue_run(campaign: InventoryCampaign) -> None:
    enqueue(RUN_TOPIC, {"campaign_id": campaign.pk, "after": campaign.last_entry_id},
            dedupe_key=f"{RUN_TOPIC}:{campaign.pk}:{campaign.last_entry_id}")


def resume_campaign(campaign: InventoryCampaign, actor) -> InventoryCampaign:
    """Kick a check that stopped (worker lost, state system down): it continues from its resume point."""
    _require(actor, "manage_queue", campaign.provider_id)
    with transaction.atomic():
        campaign = InventoryCampaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != CampaignStatus.RUNNING:
            raise InventoryError(_("This inventory has finished checking."))
        _enqueue_run(campaign)
    return campaign


# --- checking ----------------------------------------------------------------------------------------------------

def run_campaign(campaign_id: int, *, batch: int | None = None, max_batches: int | None = None) -> InventoryCampaign:
    """Check every remaining place, one transaction per batch (never one long transaction)."""
    done = 0
    while True:
        campaign = run_batch(campaign_id, batch=batch)
        done += 1
        if campaign.status != CampaignStatus.RUNNING or (max_batches is not None and done >= max_batches):
            return campaign


def run_batch(campaign_id: int, *, batch: int | None = None) -> InventoryCampaign:
    """The next `batch` places after the resume point, in id order; finishes the campaign when none are left.

    The campaign row is locked for the batch, so two runners (a re-delivered message, a resume click) take
    turns and the second one starts where the first stopped.
    """
    batch = batch or BATCH
    with transaction.atomic():
        campaign = InventoryCampaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status != CampaignStatus.RUNNING:
            return campaign
        entries = list(
            QueueEntry.objects.filter(queue_list_id__in=provider_list_ids(campaign.provider_id), active=True,
                                      pk__gt=campaign.last_entry_id)
            .select_related("holder", "queue_list__settlement")
            .prefetch_related("application__family_members")
            .order_by("pk")[:batch]
        )
        if entries:
            found = check_places(entries, as_of=timezone.localdate())
            InventoryFinding.objects.bulk_create(
                [InventoryFinding(campaign=campaign, entry=entry, kind=kind, facts=facts)
                 for entry, kind, facts in found],
                ignore_conflicts=True,  # unique (campaign, entry, kind): a repeated batch adds nothing
            )
            for holder_id in sorted({entry.holder_id for entry, _kind, _facts in found}):
                enqueue(NOTIFY_TOPIC, {"campaign_id": campaign.pk, "holder_id": holder_id},
                        dedupe_key=f"{NOTIFY_TOPIC}:{campaign.pk}:{holder_id}")
            campaign.last_entry_id = entries[-1].pk
            campaign.checked += len(entries)
        if len(entries) < batch:
            campaign.status = CampaignStatus.REVIEW
            campaign.finished_at = timezone.now()
            # places taken while the check ran are checked too: the bar ends full
            campaign.total = max(campaign.total, campaign.checked)
            record_event(actor=None, action="queue.inventory_checked", obj=campaign,
                         data={"checked": campaign.checked,
                               "findings": InventoryFinding.objects.filter(campaign=campaign).count()})
        campaign.save(update_fields=["last_entry_id", "checked", "status", "finished_at", "total"])
    return campaign


def _iso(value):
    return value.isoformat() if value else None


def _held_now(held_to, as_of) -> bool:
    return held_to is None or held_to > as_of


def check_places(entries: list[QueueEntry], *, as_of) -> list[tuple[QueueEntry, str, dict]]:
    """(place, finding kind, facts) for each finding among these places; one batched call per registry."""
    people = get_individuals_registry()
    household = {}  # entry id -> {iin: who}, the holder first
    for entry in entries:
        who = {member.iin: f"family:{member.relation}" for member in entry.application.family_members.all()}
        who[entry.holder.iin] = "holder"
        household[entry.pk] = who
    iins = sorted({iin for who in household.values() for iin in who})
    properties, holdings = defaultdict(list), defaultdict(list)
    for record in get_property_registry().history(iins):
        properties[record.owner_iin].append(record)
    for record in get_state_housing_registry().holdings(iins):
        holdings[record.holder_iin].append(record)

    found = []
    checked_on = as_of.isoformat()
    for entry in entries:
        settlement = entry.queue_list.settlement.code
        person = people.find_person(entry.holder.iin)
        if person is None:
            found.append((entry, FindingKind.NOT_FOUND, {"checked_on": checked_on}))
        elif not person.alive:
            found.append((entry, FindingKind.DECEASED, {"checked_on": checked_on, "died_on": _iso(person.died_on)}))
            continue
        elif person.settlement and person.settlement != settlement:
            found.append((entry, FindingKind.MOVED_AWAY, {
                "checked_on": checked_on, "list_settlement": settlement,
                "registered_settlement": person.settlement, "registered_since": _iso(person.registered_since),
            }))
        who = household[entry.pk]
        dwellings = [
            {"owner": who[iin], "settlement": p.settlement, "held_from": _iso(p.held_from), "acquired": p.acquired,
             "acquired_after_place": bool(p.held_from and p.held_from > entry.registered_on)}
            for iin in who for p in properties.get(iin, ())
            if p.habitable and not p.emergency and _held_now(p.held_to, as_of) and p.settlement == settlement
        ]
        if dwellings:
            found.append((entry, FindingKind.OWNS_DWELLING, {
                "checked_on": checked_on, "list_settlement": settlement,
                "place_taken_on": entry.registered_on.isoformat(),
                "dwellings": dwellings,
            }))
        state = [
            {"owner": who[iin], "settlement": h.settlement, "held_from": _iso(h.held_from)}
            for iin in who for h in holdings.get(iin, ())
            if not h.privatised and _held_now(h.held_to, as_of)
        ]
        if state:
            found.append((entry, FindingKind.STATE_HOUSING, {"checked_on": checked_on, "holdings": state}))
    return found


# --- what a finding says, in plain words -------------------------------------------------------------------------

def settlement_name(code: str) -> str:
    settlement = Settlement.objects.filter(code=code).first() if code else None
    return settlement.name if settlement else (code or "—").capitalize()


def _date(value) -> str:
    from datetime import date

    return date.fromisoformat(value).strftime("%d.%m.%Y") if value else "—"


def _owner(who: str, holder: bool) -> str:
    from applications.models import FamilyRelation

    if who == "holder":
        return _("you") if holder else _("the holder")
    relation = str(dict(FamilyRelation.choices).get(who.split(":", 1)[-1], who.split(":", 1)[-1])).lower()
    if holder:
        return _("your family member (%(relation)s)") % {"relation": relation}
    return _("a family member (%(relation)s)") % {"relation": relation}


def describe_finding(finding: InventoryFinding, *, holder: bool = True) -> str:
    """One sentence in the active language: addressed to the holder, or (holder=False) about them, for staff."""
    facts = finding.facts or {}
    if finding.kind == FindingKind.NOT_FOUND:
        day = _date(facts.get("checked_on"))
        if holder:
            return _("The state database of individuals did not find your IIN on %(day)s.") % {"day": day}
        return _("The state database of individuals did not find the holder's IIN on %(day)s.") % {"day": day}
    if finding.kind == FindingKind.DECEASED:
        if facts.get("died_on"):
            return _("The state database of individuals records the death of the holder of the place on %(day)s.") % {
                "day": _date(facts["died_on"])}
        return _("The state database of individuals records the death of the holder of the place.")
    if finding.kind == FindingKind.MOVED_AWAY:
        values = {"new": settlement_name(facts.get("registered_settlement", "")),
                  "since": _date(facts.get("registered_since")),
                  "list": settlement_name(facts.get("list_settlement", ""))}
        if holder:
            return _("Your registered address is in %(new)s since %(since)s, not in %(list)s where you are in the "
                     "queue.") % values
        return _("The holder's registered address is in %(new)s since %(since)s, not in %(list)s where the list "
                 "is.") % values
    if finding.kind == FindingKind.OWNS_DWELLING:
        parts = [
            _("%(owner)s: a dwelling in %(place)s since %(since)s") % {
                "owner": _owner(d.get("owner", "holder"), holder), "place": settlement_name(d.get("settlement", "")),
                "since": _date(d.get("held_from"))}
            for d in facts.get("dwellings", [])
        ]
        return _("The property registry shows a dwelling owned now — %(list)s.") % {"list": "; ".join(parts)}
    if finding.kind == FindingKind.STATE_HOUSING:
        parts = [
            _("%(owner)s: state housing in %(place)s since %(since)s") % {
                "owner": _owner(h.get("owner", "holder"), holder), "place": settlement_name(h.get("settlement", "")),
                "since": _date(h.get("held_from"))}
            for h in facts.get("holdings", [])
        ]
        return _("The state housing register shows housing held now — %(list)s.") % {"list": "; ".join(parts)}
    return finding.get_kind_display()


# --- the holder answers ------------------------------------------------------------------------------------------

def holder_may_see(user, finding: InventoryFinding) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role == Role.APPLICANT and user.iin
                and finding.entry.holder.iin == user.iin)


def answer_open(finding: InventoryFinding) -> bool:
    return (finding.status in OPEN_STATUSES and finding.campaign.status != CampaignStatus.CLOSED
            and timezone.localdate() <= finding.campaign.response_due)


def answer_finding(finding: InventoryFinding, person_user, *, answer: str, choice: str = ANSWER_CHANGED,
                   document=None) -> InventoryFinding:
    """The holder confirms their data are still correct, or says what changed (text required), by the date.

    `document` is an optional scan (a CheckedUpload, see applications.uploads), filed on the case.
    """
    from applications.models import DocumentType
    from applications.services.drafts import store_scan

    answer = answer.strip() if isinstance(answer, str) else ""
    if choice not in (ANSWER_STILL_VALID, ANSWER_CHANGED):
        raise InventoryError(_("Choose whether your data are still correct or what has changed."))
    if choice == ANSWER_CHANGED and not answer:
        raise InventoryError(_("Describe what has changed."))
    if len(answer) > MAX_ANSWER_LENGTH:
        raise InventoryError(_("The answer is too long (at most %(n)d characters).") % {"n": MAX_ANSWER_LENGTH})
    with transaction.atomic():
        finding = _lock_finding(finding)
        if not holder_may_see(person_user, finding):
            raise NotPermitted(_("You are not allowed to do this with this inventory."))
        if timezone.localdate() > finding.campaign.response_due or finding.campaign.status == CampaignStatus.CLOSED:
            raise InventoryError(_("The time to answer ended on %(day)s; please contact the housing department.")
                                 % {"day": finding.campaign.response_due.strftime("%d.%m.%Y")})
        if finding.status not in OPEN_STATUSES:
            raise InventoryError(_("The department has already decided on this finding; your answer was not saved."))
        attachment = None
        if document is not None:
            attachment = store_scan(document, person_user, application=finding.entry.application,
                                    document_type=DocumentType.objects.get(code=ANSWER_DOCUMENT_TYPE[finding.kind]))
        finding.answer = answer
        finding.answered_at = timezone.now()
        finding.status = FindingStatus.ANSWERED
        # the answer's form, beside the evidence (the evidence keys are never touched)
        finding.facts = {**finding.facts,
                         "answer": {"choice": choice, "attachment": attachment.pk if attachment else None}}
        finding.save(update_fields=["answer", "answered_at", "status", "facts"])
        record_event(actor=person_user, action="queue.inventory_answered", obj=finding,
                     data={"choice": choice, "attachment": attachment.pk if attachment else None})
    return finding


def answer_choice(finding: InventoryFinding) -> str:
    return (finding.facts or {}).get("answer", {}).get("choice", "")


def answer_attachment_id(finding: InventoryFinding):
    return (finding.facts or {}).get("answer", {}).get("attachment")


# --- the department reviews --------------------------------------------------------------------------------------

def _lock_finding(finding) -> InventoryFinding:
    found = (InventoryFinding.objects.select_for_update(of=("self",))
             .select_related("campaign", "entry__holder", "entry__queue_list", "entry__application")
             .filter(pk=getattr(finding, "pk", finding)).first())
    if found is None:
        raise InventoryError(_("This finding does not exist."))
    return found


def dismiss_finding(finding: InventoryFinding, actor, comment: str) -> InventoryFinding:
    """The place stays: the finding is wrong or does not matter (why is required)."""
    comment = comment.strip() if isinstance(comment, str) else ""
    if not comment:
        raise InventoryError(_("Write why the finding is dismissed."))
    if len(comment) > MAX_COMMENT_LENGTH:
        raise InventoryError(_("The comment is too long (at most %(n)d characters).") % {"n": MAX_COMMENT_LENGTH})
    with transaction.atomic():
        finding = _lock_finding(finding)
        _require(actor, "manage_queue", finding.campaign.provider_id)
        if finding.status not in OPEN_STATUSES:
            raise InventoryError(_("This finding has already been decided."))
        finding.status = FindingStatus.DISMISSED
        finding.resolved_by = actor
        finding.resolved_at = timezone.now()
        finding.resolution_comment = comment
        finding.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_comment"])
        record_event(actor=actor, action="queue.inventory_finding_dismissed", obj=finding,
                     data={"kind": finding.kind, "entry": finding.entry_id, "comment": comment})
    return finding


def removal_may_be_proposed(finding: InventoryFinding) -> bool:
    """The person is heard first: they answered, or the time to answer is over."""
    return finding.status == FindingStatus.ANSWERED or (
        finding.status == FindingStatus.OPEN and timezone.localdate() > finding.campaign.response_due)


def propose_removal_from_finding(finding: InventoryFinding, actor, *, ground=None, reason, legal_basis, document,
                                 effective_date, successor=None, successor_phone="", successor_email=""):
    """A removal request (two people, notice) for the place the finding is about; never a removal itself."""
    from .removals import propose_removal

    with transaction.atomic():
        finding = _lock_finding(finding)
        _require(actor, "manage_queue", finding.campaign.provider_id)
        if finding.status not in OPEN_STATUSES:
            raise InventoryError(_("This finding has already been decided."))
        if not removal_may_be_proposed(finding):
            raise InventoryError(_("The person may answer until %(day)s; a removal can be proposed after they answer "
                                   "or after that date.") % {"day": finding.campaign.response_due.strftime("%d.%m.%Y")})
        ground = ground or SUGGESTED_GROUND.get(finding.kind)
        if not ground:
            raise InventoryError(_("Choose a removal ground from the list."))
        request = propose_removal(finding.entry, actor, ground=ground, reason=reason, legal_basis=legal_basis,
                                  document=document, effective_date=effective_date, successor=successor,
                                  finding=finding, successor_phone=successor_phone, successor_email=successor_email)
        record_event(actor=actor, action="queue.inventory_removal_proposed", obj=finding,
                     data={"kind": finding.kind, "entry": finding.entry_id, "request": request.pk, "ground": ground})
    return request


def close_campaign(campaign: InventoryCampaign, actor) -> InventoryCampaign:
    """The campaign ends; nobody is removed by it.

    It closes when no finding waits for the department — none answered and undecided — and either none is
    still open or the response date has passed (those stay listed as unanswered, and may still be acted on).
    """
    _require(actor, "manage_queue", campaign.provider_id)
    with transaction.atomic():
        campaign = InventoryCampaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status == CampaignStatus.RUNNING:
            raise InventoryError(_("The inventory is still checking places."))
        if campaign.status == CampaignStatus.CLOSED:
            raise InventoryError(_("This inventory is already closed."))
        counts = dict(campaign.findings.values_list("status").annotate(n=Count("pk")).order_by())
        if counts.get(FindingStatus.ANSWERED):
            raise InventoryError(_("%(n)d answered findings still wait for a decision.")
                                 % {"n": counts[FindingStatus.ANSWERED]})
        if counts.get(FindingStatus.OPEN) and timezone.localdate() <= campaign.response_due:
            raise InventoryError(_("People may answer until %(day)s; %(n)d findings are still open.") % {
                "day": campaign.response_due.strftime("%d.%m.%Y"), "n": counts[FindingStatus.OPEN]})
        campaign.status = CampaignStatus.CLOSED
        campaign.save(update_fields=["status"])
        record_event(actor=actor, action="queue.inventory_closed", obj=campaign,
                     data={"unanswered": counts.get(FindingStatus.OPEN, 0)})
    return campaign


# --- reading -----------------------------------------------------------------------------------------------------

def campaign_counts(campaign: InventoryCampaign) -> dict:
    """Findings per kind and per status, every kind and status listed (zeros included)."""
    by_kind = dict(campaign.findings.values_list("kind").annotate(n=Count("pk")).order_by())
    by_status = dict(campaign.findings.values_list("status").annotate(n=Count("pk")).order_by())
    return {
        "kinds": [(value, label, by_kind.get(value, 0)) for value, label in FindingKind.choices],
        "statuses": [(value, label, by_status.get(value, 0)) for value, label in FindingStatus.choices],
        "total": sum(by_kind.values()),
    }


def eager() -> bool:
    """Without a broker (tests, a laptop without Redis) Celery runs tasks in the caller."""
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))
