"""Reads for the staff register pages and the citizen's place: fixed query counts, whatever the list's length."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Sum

from .models import (
    EntryStatus, EventKind, QueueBlock, QueueEntry, QueueEvent, QueueList, RemovalGround, RemovalRequest,
    RequestStatus, RestorationBasis, RestorationRequest,
)
from .selectors import position, position_history

PAGE_SIZE = 50


def provider_lists(user) -> list[QueueList]:
    """The user's provider's lists, each with `active`, `pending` and `registered` counts (three queries in all).

    Active places come from the block counters; pending ones from the cases still being decided (an index
    range on the case's provider and state), so nothing walks the places themselves.
    """
    from applications.models import PENDING_STATES, Application

    lists = list(QueueList.objects.filter(provider_id=user.provider_id).select_related("settlement"))
    active = dict(
        QueueBlock.objects.filter(queue_list__provider_id=user.provider_id).values("queue_list_id")
        .annotate(n=Sum("active_count")).values_list("queue_list_id", "n")
    )
    pending = dict(
        Application.objects.filter(provider_id=user.provider_id, state__in=[s.value for s in PENDING_STATES],
                                   queue_list__isnull=False)
        .values("queue_list_id").annotate(n=Count("id")).values_list("queue_list_id", "n")
    )
    for item in lists:
        item.active = int(active.get(item.pk) or 0)
        item.pending = min(int(pending.get(item.pk) or 0), item.active)
        item.registered = item.active - item.pending
    return lists


def list_for(user, code: str) -> QueueList | None:
    return QueueList.objects.filter(provider_id=user.provider_id, code=code).select_related("settlement").first()


@dataclass
class ListPage:
    number: int
    count: int  # active places in the list
    num_pages: int
    rows: list  # (number, entry)

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_next(self):
        return self.number < self.num_pages

    @property
    def previous_page_number(self):
        return self.number - 1

    @property
    def next_page_number(self):
        return self.number + 1


def list_page(queue_list: QueueList, page_number, per_page: int = PAGE_SIZE) -> ListPage:
    """Page N of the active places in key order, numbered.

    The block counters say which key-ordered block holds the page's first ordinal; the rows come from the
    partial index queue_entry_active_rank starting at that block, skipping fewer than one block of rows —
    page 1000 of a million-place list costs what page 1 costs.
    """
    blocks = list(QueueBlock.objects.filter(queue_list=queue_list, active_count__gt=0).order_by("block_no")
                  .values_list("block_no", "active_count"))
    count = sum(n for _, n in blocks)
    num_pages = max(1, -(-count // per_page))
    try:
        number = int(page_number)
    except (TypeError, ValueError):
        number = 1
    number = min(max(number, 1), num_pages)
    start = (number - 1) * per_page  # places before the page's first row
    if not blocks:
        return ListPage(number, 0, 1, [])
    before, first_block = 0, blocks[-1][0]
    for block_no, n in blocks:
        if before + n > start:
            first_block = block_no
            break
        before += n
    skip = start - before
    entries = (
        QueueEntry.objects.filter(queue_list=queue_list, active=True, block_no__gte=first_block)
        .order_by("block_no", "accepted_at", "queue_seq")
        .select_related("application", "holder")[skip:skip + per_page]
    )
    return ListPage(number, count, num_pages, [(start + i + 1, entry) for i, entry in enumerate(entries)])


def entry_for(user, application_number: str) -> QueueEntry | None:
    """A place of the user's provider (None for anyone else's: the page answers 404)."""
    return (
        QueueEntry.objects.filter(application__number=application_number, queue_list__provider_id=user.provider_id)
        .select_related("queue_list", "application__applicant", "application__category", "holder")
        .first()
    )


def requests_of(entry: QueueEntry) -> tuple[list, list]:
    removals = list(RemovalRequest.objects.filter(entry=entry).select_related("proposed_by", "decided_by", "successor"))
    restorations = list(RestorationRequest.objects.filter(entry=entry).select_related("proposed_by", "decided_by"))
    return removals, restorations


def open_requests(user) -> tuple[list, list]:
    """Requests of the user's provider waiting for a second person, oldest first."""
    related = ("entry__queue_list", "entry__application", "entry__holder", "proposed_by")
    waiting = {"status": RequestStatus.PROPOSED, "entry__queue_list__provider_id": user.provider_id}
    removals = list(RemovalRequest.objects.filter(**waiting).select_related(*related, "successor")
                    .order_by("proposed_at", "pk"))
    restorations = list(RestorationRequest.objects.filter(**waiting).select_related(*related).order_by("proposed_at", "pk"))
    return removals, restorations


def request_for(user, kind: str, pk: int):
    model = {"removal": RemovalRequest, "restoration": RestorationRequest}.get(kind)
    if model is None or not 0 < pk < 2**63:
        return None
    return (model.objects.filter(pk=pk, entry__queue_list__provider_id=user.provider_id)
            .select_related("entry__queue_list", "entry__application").first())


def entry_events(entry: QueueEntry) -> list[QueueEvent]:
    return list(QueueEvent.objects.filter(entry=entry).order_by("seq"))


# --- the person's own view of their place --------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryRow:
    month: date
    housed: int
    removed: int
    left: int
    restored: int
    restorations: tuple  # (basis label, legal basis)
    number_after: int


def history_rows(entry: QueueEntry) -> tuple[int | None, list[HistoryRow]]:
    """position_history as table rows: counts per reason, never whose places they were."""
    notified, steps = position_history(entry)
    labels = dict(RestorationBasis.choices)
    rows = []
    for step in steps:
        year, month = (int(part) for part in step.month.split("-"))
        rows.append(HistoryRow(
            month=date(year, month, 1),
            housed=step.counts.get(EventKind.HOUSED, 0),
            removed=step.counts.get(EventKind.REMOVED, 0),
            left=step.counts.get(EventKind.LEFT, 0),
            restored=step.counts.get(EventKind.RESTORED, 0),
            restorations=tuple((labels.get(basis, basis), legal) for basis, legal in step.restorations),
            number_after=step.number_after,
        ))
    return notified, rows


def citizen_place(case) -> dict | None:
    """What the case page shows the applicant about their own place: number, history, or why it was removed."""
    entry = QueueEntry.objects.filter(application=case).select_related("queue_list").first()
    if entry is None or (entry.notified_number is None and entry.status != EntryStatus.REMOVED):
        return None  # a case still being decided shows its place in the summary; a refused one has none
    place = {"entry": entry, "number": position(entry), "notified": entry.notified_number, "history": [],
             "removal": None}
    if entry.active:
        place["notified"], place["history"] = history_rows(entry)
    elif entry.status == EntryStatus.REMOVED:
        removal = (RemovalRequest.objects.filter(entry=entry, status=RequestStatus.APPROVED)
                   .exclude(ground=RemovalGround.DEATH, successor__isnull=False)  # a continuation kept the place
                   .order_by("-decided_at", "-pk").first())
        if removal is not None:
            place["removal"] = {"ground": RemovalGround(removal.ground).label, "date": removal.effective_date,
                                "legal_basis": removal.legal_basis, "reason": removal.reason,
                                "decided_at": removal.decided_at}
    return place
