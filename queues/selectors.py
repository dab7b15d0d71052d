"""Reading the queue: positions, a place's history, and what the history says about waiting."""

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import ExtractYear, TruncMonth
from django.utils import timezone

from .models import EventKind, QueueEntry, QueueEvent

POSITION_SQL = (
    "SELECT COALESCE((SELECT SUM(active_count) FROM queues_queueblock WHERE queue_list_id = %s AND block_no < %s), 0)"
    " + (SELECT COUNT(*) FROM queues_queueentry WHERE queue_list_id = %s AND block_no = %s AND active"
    " AND (accepted_at, queue_seq) < (%s, %s))"
)
# The plain way to ask the same question; kept for the benchmark (bench/queue_bench.py) and the tests.
RANK_SQL = (
    "SELECT COUNT(*) FROM queues_queueentry WHERE queue_list_id = %s AND active AND (accepted_at, queue_seq) < (%s, %s)"
)


def ahead_count(queue_list_id: int, block_no: int, accepted_at, queue_seq: int) -> int:
    """Active places ahead of a key: the counters of the earlier blocks plus at most one block of rows."""
    at = connection.ops.adapt_datetimefield_value(accepted_at)  # raw SQL: the column's own text form on SQLite
    with connection.cursor() as cursor:
        cursor.execute(POSITION_SQL, [queue_list_id, block_no, queue_list_id, block_no, at, queue_seq])
        return int(cursor.fetchone()[0])


def position(entry: QueueEntry) -> int | None:
    """The place's number: every pending or registered place with an earlier key, plus one (DOMAIN.md §7)."""
    if not entry.active:
        return None
    return ahead_count(entry.queue_list_id, entry.block_no, entry.accepted_at, entry.queue_seq) + 1


# The public lookup in one round trip: find the place by application number and holder IIN and count its number.
LOOKUP_SQL = (
    "SELECT e.status, e.active, e.notified_number, l.code, l.name_kk, l.name_ru, l.name_en,"
    " CASE WHEN e.active THEN 1"
    " + COALESCE((SELECT SUM(b.active_count) FROM queues_queueblock b"
    "             WHERE b.queue_list_id = e.queue_list_id AND b.block_no < e.block_no), 0)"
    " + (SELECT COUNT(*) FROM queues_queueentry x WHERE x.queue_list_id = e.queue_list_id AND x.block_no = e.block_no"
    "    AND x.active AND (x.accepted_at, x.queue_seq) < (e.accepted_at, e.queue_seq)) END"
    " FROM queues_queueentry e"
    " JOIN applications_application a ON a.id = e.application_id"
    " JOIN applications_person p ON p.id = e.holder_id"
    " JOIN queues_queuelist l ON l.id = e.queue_list_id"
    " WHERE a.number = %s AND p.iin = %s"
)


@dataclass(frozen=True)
class PlaceAnswer:
    status: str
    active: bool
    notified_number: int | None
    list_code: str
    list_names: dict
    number: int | None


def lookup_place(application_number: str, iin: str) -> PlaceAnswer | None:
    """The place held by this IIN under this application number, with its number; None for any mismatch."""
    with connection.cursor() as cursor:
        cursor.execute(LOOKUP_SQL, [application_number, iin])
        row = cursor.fetchone()
    if row is None:
        return None
    status, active, notified, code, kk, ru, en, number = row
    return PlaceAnswer(status, bool(active), notified, code, {"kk": kk, "ru": ru, "en": en},
                       int(number) if number is not None else None)


def entry_for_application(application) -> QueueEntry | None:
    return QueueEntry.objects.filter(application=application).select_related("queue_list").first()


# What moves a number: a place ahead leaving or coming back. A place cannot *enter* ahead of a notified
# number (queues.services.entries._guard_nobody_notified_behind), so "entered" never appears here.
MOVES = {
    EventKind.LEFT: -1,
    EventKind.REMOVED: -1,
    EventKind.HOUSED: -1,
    EventKind.RESTORED: +1,
}
MOVE_KINDS = [k.value for k in MOVES]


@dataclass(frozen=True)
class HistoryStep:
    month: str  # YYYY-MM
    counts: dict  # event kind → places ahead it concerned
    restorations: tuple  # (legal basis kind, legal basis) of restorations that moved this place back
    number_after: int


def position_history(entry: QueueEntry) -> tuple[int | None, list[HistoryStep]]:
    """The notified number and how it moved since, month by month, and why — without anyone else's data.

    Only events after this place's registration that concern a place ahead of it are counted, so the
    last step always ends at the current number. Counted by month in the database (partial index
    queue_event_moves), so a long-registered place in a big list costs one aggregate, not a loop.
    """
    if entry.notified_number is None:
        return None, []
    start = (
        QueueEvent.objects.filter(entry=entry, kind__in=[EventKind.REGISTERED, EventKind.RESTORED])
        .order_by("-seq").values_list("seq", flat=True).first()
    )
    if start is None:
        return entry.notified_number, []
    moves = QueueEvent.objects.filter(
        Q(key_at__lt=entry.accepted_at) | Q(key_at=entry.accepted_at, key_seq__lt=entry.queue_seq),
        queue_list_id=entry.queue_list_id, seq__gt=start, kind__in=MOVE_KINDS,
    ).order_by()
    months: dict[str, dict] = defaultdict(lambda: {"counts": {}, "restorations": []})
    counted = moves.annotate(month=TruncMonth("occurred_at")).values("month", "kind").annotate(n=Count("id"))
    for row in counted.values_list("month", "kind", "n"):
        month, kind, n = row
        months[f"{timezone.localtime(month) if timezone.is_aware(month) else month:%Y-%m}"]["counts"][kind] = n
    if any(EventKind.RESTORED in m["counts"] for m in months.values()):
        for occurred_at, data in moves.filter(kind=EventKind.RESTORED).order_by("seq").values_list("occurred_at", "data"):
            months[timezone.localtime(occurred_at).strftime("%Y-%m")]["restorations"].append(
                (data.get("basis", ""), data.get("legal_basis", "")))
    number = entry.notified_number
    steps = []
    for month in sorted(months):
        counts = months[month]["counts"]
        number += sum(MOVES[kind] * n for kind, n in counts.items())
        steps.append(HistoryStep(month, counts, tuple(months[month]["restorations"]), number))
    return entry.notified_number, steps


def housed_per_year(queue_list_id: int, *, years: int = 5) -> list[tuple[int, int]]:
    """(year, places housed) for the last `years` full and the current year, oldest first; zero years included.

    The same for everyone in a list until its log grows, so it is cached under the list's chain length:
    any new event makes a new key, and a lookup pays one primary-key read instead of an aggregate.
    """
    from django.core.cache import cache

    from .models import LedgerHead

    this_year = timezone.localdate().year
    head = LedgerHead.objects.filter(queue_list_id=queue_list_id).values_list("seq", flat=True).first() or 0
    key = f"queues:housed:{queue_list_id}:{head}:{this_year}:{years}"
    cached = cache.get(key)
    if cached is not None:
        return [tuple(pair) for pair in cached]
    counted = dict(
        QueueEvent.objects.filter(queue_list_id=queue_list_id, kind=EventKind.HOUSED,
                                  occurred_at__year__gte=this_year - years)
        .order_by().annotate(year=ExtractYear("occurred_at")).values("year").annotate(n=Count("id")).values_list("year", "n")
    )
    result = [(year, counted.get(year, 0)) for year in range(this_year - years, this_year + 1)]
    cache.set(key, result, 24 * 3600)
    return result


@dataclass(frozen=True)
class WaitEstimate:
    ahead: int
    per_year: float | None  # average housed per full year over the history used
    years_low: int | None
    years_high: int | None
    basis_years: int


def estimate_wait(ahead: int, history: list[tuple[int, int]]) -> WaitEstimate:
    """An honest range, not a promise: ahead ÷ the best and worst full years of the recent history.

    Removals also move people forward, so the real wait is usually shorter than this; with no housing
    in the recorded years there is no basis for an estimate at all.
    """
    full_years = [n for year, n in history if year < timezone.localdate().year]
    if not full_years or not any(full_years) or ahead == 0:
        average = (sum(full_years) / len(full_years)) if full_years else None
        if ahead == 0:
            return WaitEstimate(ahead, average, 0, 0, len(full_years))
        return WaitEstimate(ahead, average, None, None, len(full_years))
    import math

    best, worst = max(full_years), min(n for n in full_years)
    average = sum(full_years) / len(full_years)
    low = math.ceil(ahead / best)
    high = math.ceil(ahead / worst) if worst else None
    return WaitEstimate(ahead, average, low, high, len(full_years))


def latest_snapshot(queue_list):
    """The newest published snapshot of a list (what /queue/ shows), or None."""
    from .models import PublishedSnapshot, SnapshotStatus

    return (
        PublishedSnapshot.objects.filter(queue_list=queue_list, status=SnapshotStatus.PUBLISHED)
        .order_by("-published_at", "-pk").first()
    )
