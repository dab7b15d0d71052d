"""Places in the queue: taking one at acceptance, registering, leaving, removal, restoration, succession.

Every change locks the list's log head first, so a list's changes and its hash chain are strictly ordered,
and writes the place and its log event in the caller's transaction. Numbers are never stored or shifted:
queues.selectors.position reads them from the key order.
"""

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.services.errors import ServiceError

from ..models import BLOCK_SIZE, EntryStatus, EventKind, QueueBlock, QueueEntry, QueueEvent
from .ledger import append_event, event_fields, lock_head

LEAVING_TRANSITIONS = {
    "sign_refusal": EntryStatus.REFUSED,
    "return_incomplete": EntryStatus.RETURNED,
    "withdraw": EntryStatus.WITHDRAWN,
}


def initials_for(surname: str, given_name: str) -> str:
    """What a published list shows of a name: "Б. А." — a letter is never anything a spreadsheet runs."""

    def first_letter(value: str) -> str:
        letter = next((ch for ch in (value or "").strip() if ch.isalpha()), "")
        return f"{letter.upper()}." if letter else "*"

    return f"{first_letter(surname)} {first_letter(given_name)}"


def registered_on(accepted_at):
    return timezone.localtime(accepted_at).date()


def _block_for(queue_list_id: int, accepted_at, queue_seq: int) -> tuple[int, bool]:
    """(block, is_last): blocks stay key-ordered. A new last place joins the last block (or opens the next when it
    is full); a place that arrives with an earlier key than the last (two acceptances committing out of order)
    joins the block of the place just before it."""
    from django.db.models import OuterRef, Subquery

    entries = QueueEntry.objects.filter(queue_list_id=queue_list_id)
    block_total = QueueBlock.objects.filter(queue_list_id=queue_list_id, block_no=OuterRef("block_no")).values("total_count")
    last = (entries.order_by("-accepted_at", "-queue_seq").annotate(block_total=Subquery(block_total[:1]))
            .values("accepted_at", "queue_seq", "block_no", "block_total").first())
    if last is None:
        return 0, True
    if (accepted_at, queue_seq) > (last["accepted_at"], last["queue_seq"]):
        full = (last["block_total"] or 0) >= BLOCK_SIZE
        return (last["block_no"] + 1 if full else last["block_no"]), True
    before = (
        entries.filter(ahead_of_key(accepted_at, queue_seq)).order_by("-accepted_at", "-queue_seq")
        .values_list("block_no", flat=True).first()
    )
    if before is not None:
        return before, False
    return entries.order_by("accepted_at", "queue_seq").values_list("block_no", flat=True).first(), False


def ahead_of_key(accepted_at, queue_seq):
    from django.db.models import Q

    return Q(accepted_at__lt=accepted_at) | Q(accepted_at=accepted_at, queue_seq__lt=queue_seq)


def open_entry(application, *, occurred_at=None, new_case=False) -> QueueEntry | None:
    """The case takes its place at acceptance: a pending case holds it (DOMAIN.md §7).

    `new_case`: the caller created the application in this transaction, so it cannot have a place yet."""
    if application.queue_list_id is None:
        return None
    if not new_case:
        existing = QueueEntry.objects.filter(application=application).first()
        if existing:
            return existing
    head = lock_head(application.queue_list_id)
    person = application.applicant
    block_no, is_last = _block_for(application.queue_list_id, application.accepted_at, application.queue_seq)
    initials = initials_for(person.surname, person.given_name)
    category_code = application.category.code if application.category_id else ""
    on = registered_on(application.accepted_at)
    # the log event's hash does not depend on the place's row, so the place is written with it in one INSERT
    fields = event_fields(head, application.queue_list.code, kind=EventKind.ENTERED, number=application.number,
                          accepted_at=application.accepted_at, queue_seq=application.queue_seq,
                          occurred_at=occurred_at or timezone.now(),
                          data={"initials": initials, "category": category_code, "registered_on": on.isoformat()})
    entry = QueueEntry.objects.create(
        queue_list=application.queue_list, application=application, holder=person,
        accepted_at=application.accepted_at, queue_seq=application.queue_seq, block_no=block_no,
        initials=initials, category_code=category_code, registered_on=on, place_event_hash=fields["hash"],
    )
    if not is_last:  # a new last place has nobody behind it
        _guard_nobody_notified_behind(entry, restoring=False)
    QueueEvent.objects.create(entry=entry, **fields)
    head.save(update_fields=["seq", "hash"])
    return entry


def _guard_nobody_notified_behind(entry: QueueEntry, *, restoring: bool) -> None:
    """A notified number never grows (DOMAIN.md §7): only a recorded restoration may put a place ahead of one."""
    if restoring:
        return
    behind = QueueEntry.objects.filter(queue_list_id=entry.queue_list_id, active=True, notified_number__isnull=False).exclude(
        ahead_of_key(entry.accepted_at, entry.queue_seq)).exclude(pk=entry.pk)
    if behind.exists():
        raise ServiceError(_("This place would move registered people back; only a restoration with a legal basis may do that."))


def _locked_entry(application) -> tuple[QueueEntry | None, object]:
    entry = QueueEntry.objects.filter(application=application).select_related("queue_list", "application").first()
    if entry is None:
        return None, None
    head = lock_head(entry.queue_list_id)
    entry = QueueEntry.objects.select_related("queue_list", "application").get(pk=entry.pk)
    return entry, head


# Case transitions that only follow a change the queue's own flow already made to the place: removal and
# restoration (two people decide, queues.services.removals) and housing (the signed allocation decision).
FOLLOWS_PLACE = {
    "remove_from_register": (EntryStatus.REMOVED,),
    "restore_to_register": (EntryStatus.REGISTERED,),
    "mark_housed": (EntryStatus.HOUSED,),
}


def on_case_transition(case, name: str) -> None:
    """Called by applications.services.workflow.apply_transition after every case transition."""
    if name in FOLLOWS_PLACE:
        status = QueueEntry.objects.filter(application=case).values_list("status", flat=True).first()
        if status is not None and status not in FOLLOWS_PLACE[name]:
            raise ServiceError(_("This change is made through the queue's own procedure (removal or restoration "
                                 "with a second approver, or a signed housing decision)."))
        return
    if name == "sign_registration":
        register_entry(case)
    elif name in LEAVING_TRANSITIONS:
        entry, head = _locked_entry(case)
        if entry is not None and entry.active:
            _close(entry, head, LEAVING_TRANSITIONS[name], EventKind.LEFT, data={"reason": LEAVING_TRANSITIONS[name].value})


def register_entry(case) -> QueueEntry:
    """The signed registration: the place is confirmed and its number, as of now, is the notified number."""
    from ..selectors import position

    entry, head = _locked_entry(case)
    if entry is None:
        entry = open_entry(case)
        entry, head = _locked_entry(case)
    if entry.status != EntryStatus.PENDING:
        raise ServiceError(_("This place is not waiting for registration."))
    now = timezone.now()
    entry.status = EntryStatus.REGISTERED
    entry.notified_number = position(entry)
    entry.notified_at = now
    append_event(head, entry, EventKind.REGISTERED, occurred_at=now)
    entry.save(update_fields=["status", "notified_number", "notified_at", "updated_at"])
    return entry


def _close(entry: QueueEntry, head, status: str, kind: str, *, data: dict, occurred_at=None):
    now = occurred_at or timezone.now()
    entry.status = status
    entry.active = False
    entry.closed_at = now
    entry.save(update_fields=["status", "active", "closed_at", "updated_at"])
    return append_event(head, entry, kind, occurred_at=now, data=data)


def remove_entry(entry: QueueEntry, *, ground: str, legal_basis: str, request_id: int):
    """Removal from the register (art. 73): one row and one log event, whatever the place's position."""
    entry, head = _locked_entry(entry.application)
    if entry.status != EntryStatus.REGISTERED:
        raise ServiceError(_("Only a registered place can be removed from the register."))
    return _close(entry, head, EntryStatus.REMOVED, EventKind.REMOVED,
                  data={"ground": ground, "legal_basis": legal_basis, "request": request_id})


def house_entry(entry: QueueEntry, *, decision_number: str):
    entry, head = _locked_entry(entry.application)
    if entry.status != EntryStatus.REGISTERED:
        raise ServiceError(_("Only a registered place can be provided with housing."))
    return _close(entry, head, EntryStatus.HOUSED, EventKind.HOUSED, data={"decision": decision_number})


def restore_entry(entry: QueueEntry, *, basis: str, legal_basis: str, request_id: int):
    """Back at the old key by court order or proven official error; everyone behind moves back by one."""
    from ..selectors import position

    entry, head = _locked_entry(entry.application)
    if entry.active or entry.status not in (EntryStatus.REMOVED, EntryStatus.REFUSED):
        raise ServiceError(_("Only a removed place or a refused application can be restored."))
    now = timezone.now()
    entry.status = EntryStatus.REGISTERED
    entry.active = True
    entry.closed_at = None
    entry.save(update_fields=["status", "active", "closed_at", "updated_at"])
    event = append_event(head, entry, EventKind.RESTORED, occurred_at=now,
                         data={"basis": basis, "legal_basis": legal_basis, "request": request_id})
    entry.notified_number = position(entry)
    entry.notified_at = now
    entry.save(update_fields=["notified_number", "notified_at", "updated_at"])
    return event


def continue_entry(entry: QueueEntry, successor_person, *, request_id: int):
    """After the holder's death a family member continues: same key, same place, new holder."""
    entry, head = _locked_entry(entry.application)
    if not entry.active:
        raise ServiceError(_("This place is no longer in the queue."))
    entry.holder = successor_person
    entry.initials = initials_for(successor_person.surname, successor_person.given_name)
    entry.save(update_fields=["holder", "initials", "updated_at"])
    return append_event(head, entry, EventKind.SUCCEEDED, occurred_at=timezone.now(),
                        data={"initials": entry.initials, "request": request_id})


def rebuild_blocks(queue_list_ids=None) -> None:
    """Recount the block counters from the places (after a bulk load that switched the trigger off)."""
    lists = list(queue_list_ids) if queue_list_ids is not None else None
    blocks = QueueBlock.objects.all() if lists is None else QueueBlock.objects.filter(queue_list_id__in=lists)
    blocks.delete()
    where, params = ("", []) if lists is None else ("WHERE queue_list_id IN (%s)" % ",".join(["%s"] * len(lists)), lists)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO queues_queueblock (queue_list_id, block_no, active_count, total_count) "
            "SELECT queue_list_id, block_no, SUM(CASE WHEN active THEN 1 ELSE 0 END), COUNT(*) "
            f"FROM queues_queueentry {where} GROUP BY queue_list_id, block_no",
            params,
        )
