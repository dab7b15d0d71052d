"""Public queue pages, no login: the published lists, their files, and a person's own position by number + IIN.

Published pages show only what a published list carries (ordinal, application number, initials, registration
date, category, status); the lookup answers only the holder of the place and says nothing about anyone else.
"""

from __future__ import annotations

import logging
from datetime import date
from itertools import groupby
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from applications.models import Category
from core.client_ip import client_ip

from . import selectors
from .forms_public import LookupForm
from .models import (
    EntryStatus,
    EventKind,
    PublishedRow,
    PublishedSnapshot,
    QueueEntry,
    QueueList,
    RestorationBasis,
    SnapshotStatus,
)
from .services.publication import snapshot_files

log = logging.getLogger(__name__)

PAGE_SIZE = 50
VERIFY_TOOL = Path(__file__).resolve().parent / "verify_tool.py"

# kind in the URL -> content type; the files and their names come from queues.services.publication
FILE_KINDS = {
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
    "log": "application/x-ndjson; charset=utf-8",  # the hash-chained log, one JSON event per line
    "manifest": "application/json",
    "signature": "application/pkcs7-signature",  # detached CMS over the manifest's exact bytes
}


# ---------------------------------------------------------------- the published lists


def _published(queue_list_id=None):
    """Published snapshots, newest first, with the sealed-or-not flag but without the seal's bytes."""
    snapshots = PublishedSnapshot.objects.filter(status=SnapshotStatus.PUBLISHED)
    if queue_list_id is not None:
        snapshots = snapshots.filter(queue_list_id=queue_list_id)
    return (
        snapshots.defer("manifest_signature", "manifest", "error")
        .annotate(seal_size=Length("manifest_signature"))
        .order_by("-published_at", "-pk")
    )


def _latest_id_subquery(list_ref):
    return Subquery(
        PublishedSnapshot.objects.filter(queue_list_id=list_ref, status=SnapshotStatus.PUBLISHED)
        .order_by("-published_at", "-pk").values("pk")[:1]
    )


@require_GET
def index(request):
    """Every active list, grouped by provider and settlement, with its latest publication and the lookup form."""
    lists = list(
        QueueList.objects.filter(is_active=True).select_related("provider", "settlement")
        .annotate(latest_id=_latest_id_subquery(OuterRef("pk")))
        .order_by("provider__code", "settlement__code", "ordering", "code")
    )
    latest = {s.pk: s for s in _published().filter(pk__in=[ql.latest_id for ql in lists if ql.latest_id])}
    groups = []
    for provider, in_provider in groupby(lists, key=lambda ql: ql.provider):
        settlements = [
            (settlement, [(ql, latest.get(ql.latest_id)) for ql in in_settlement])
            for settlement, in_settlement in groupby(in_provider, key=lambda ql: ql.settlement)
        ]
        groups.append((provider, settlements))
    return render(request, "queues/public/index.html", {"groups": groups, "form": LookupForm()})


def _public_list(provider_code: str, list_code: str) -> QueueList:
    return get_object_or_404(
        QueueList.objects.select_related("provider", "settlement"), provider__code=provider_code, code=list_code
    )


def _page_number(raw, pages: int) -> int:
    try:
        number = int(raw or 1)
    except (TypeError, ValueError):
        number = 1
    return min(max(number, 1), max(pages, 1))


@require_GET
def list_page(request, provider_code, list_code):
    """The latest published list, 50 rows a page, read as an ordinal range (an index range, never an OFFSET)."""
    queue_list = _public_list(provider_code, list_code)
    snapshots = list(_published(queue_list.pk))
    latest = snapshots[0] if snapshots else None
    here = reverse("queues_public:list", args=[provider_code, list_code])
    wanted = (request.GET.get("number") or "").strip().upper()[:32]
    not_found = ""
    rows, pages, page = [], 0, 1
    browsable = latest is not None and not latest.rows_pruned and latest.row_count > 0
    if browsable:
        pages = -(-latest.row_count // PAGE_SIZE)
        if wanted:
            ordinal = (
                PublishedRow.objects.filter(snapshot=latest, application_number=wanted)
                .values_list("ordinal", flat=True).first()
            )
            if ordinal is not None:
                page = (ordinal - 1) // PAGE_SIZE + 1
                return redirect(f"{here}?{urlencode({'page': page, 'mark': wanted})}#row-{ordinal}")
            not_found = wanted
        page = _page_number(request.GET.get("page"), pages)
        first = (page - 1) * PAGE_SIZE + 1
        rows = list(
            PublishedRow.objects.filter(snapshot=latest, ordinal__range=(first, first + PAGE_SIZE - 1))
            .order_by("ordinal")
            .values("ordinal", "application_number", "initials", "registered_on", "category_code", "status")
        )
        names = {c.code: c.name for c in Category.objects.only("code", "name_kk", "name_ru", "name_en")}
        statuses = dict(EntryStatus.choices)
        for row in rows:
            row["category"] = names.get(row["category_code"], row["category_code"]) or "—"
            row["status_label"] = statuses.get(row["status"], row["status"])
    elif wanted:
        not_found = wanted
    return render(request, "queues/public/list.html", {
        "queue_list": queue_list,
        "latest": latest,
        "older": snapshots[1:],
        "rows": rows,
        "page": page,
        "pages": pages,
        "mark": (request.GET.get("mark") or "").strip().upper()[:32],
        "wanted": wanted,
        "not_found": not_found,
        "browsable": browsable,
        "page_size": PAGE_SIZE,
    })


# ---------------------------------------------------------------- files


def _media_file(relative: str) -> Path | None:
    """A file under MEDIA_ROOT, or None; a stored path never leads outside it."""
    if not relative:
        return None
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def _attachment_headers(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def snapshot_file(request, provider_code, list_code, snapshot_id, kind):
    """One file of one published snapshot, as an attachment (never rendered inline by the browser)."""
    if kind not in FILE_KINDS:
        raise Http404
    queue_list = _public_list(provider_code, list_code)
    snapshot = get_object_or_404(
        PublishedSnapshot.objects.defer("manifest"), pk=snapshot_id, queue_list=queue_list,
        status=SnapshotStatus.PUBLISHED,
    )
    content_type = FILE_KINDS[kind]
    relative = snapshot_files(snapshot).get(kind, "")
    filename = f"{queue_list.code}-{Path(relative).name}" if relative else ""
    path = _media_file(relative)
    if path is None and kind == "signature" and snapshot.manifest_signature:  # the seal is also kept in the row
        filename = f"{queue_list.code}-{snapshot.pk}.p7s"
        return _attachment_headers(HttpResponse(bytes(snapshot.manifest_signature), content_type=content_type), filename)
    if path is None:
        raise Http404
    return _attachment_headers(FileResponse(path.open("rb"), content_type=content_type), filename)


@require_GET
def verify_tool(request):
    """The standalone checker (stdlib-only Python) that anyone runs over a snapshot's log, CSV and manifest."""
    response = FileResponse(VERIFY_TOOL.open("rb"), content_type="text/x-python; charset=utf-8")
    return _attachment_headers(response, "verify_tool.py")


# ---------------------------------------------------------------- the position lookup


def _rate() -> tuple[int, int]:
    count, _sep, seconds = str(settings.KEZEK_LOOKUP_RATE).partition("/")
    try:
        return max(int(count), 1), max(int(seconds or 600), 1)
    except ValueError:
        log.warning("KEZEK_LOOKUP_RATE %r is not COUNT/SECONDS; using 20/600", settings.KEZEK_LOOKUP_RATE)
        return 20, 600


def _attempt_allowed(request) -> tuple[bool, int]:
    """Counts one lookup for the client's address in a fixed window; (allowed, window seconds)."""
    limit, window = _rate()
    key = "queue-lookup:" + (client_ip(request) or "")
    try:
        if cache.add(key, 1, timeout=window):
            return True, window
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            count = 1
    except Exception:  # the cache is down: the lookup stays available, unlimited, and says so in the log
        log.warning("queue lookup rate limit unavailable: cache error", exc_info=True)
        return True, window
    return count <= limit, window


HISTORY_MONTHS = 24  # shown one by one; earlier months are summed into one row (restorations always listed)


def _history_rows(steps) -> list[dict]:
    """Month by month: what moved the place and the number after it (counts only; never whose places).

    A place registered for decades would otherwise render hundreds of rows; the months before the last
    HISTORY_MONTHS are summed into one "until" row, which keeps the page small and fast.
    """
    labels = {
        EventKind.HOUSED: _("people ahead were provided with housing"),
        EventKind.REMOVED: _("people ahead were removed from the register"),
        EventKind.LEFT: _("applications ahead left the queue before registration (refused, returned or withdrawn)"),
        EventKind.RESTORED: _("places ahead were restored to the register"),
        EventKind.ENTERED: _("applications accepted earlier took their place ahead"),
    }
    bases = dict(RestorationBasis.choices)

    def row(month_key, counts, restorations, number_after, *, until=False):
        year, month = month_key.split("-")
        return {
            "month": date(int(year), int(month), 1), "until": until,
            "moves": [(labels.get(kind, kind), n, kind) for kind, n in sorted(counts.items())],
            "restorations": [(bases.get(basis, basis), legal_basis) for basis, legal_basis in restorations],
            "number_after": number_after,
        }

    older, recent = steps[:-HISTORY_MONTHS], steps[-HISTORY_MONTHS:]
    rows = []
    if older:
        counts: dict = {}
        for step in older:
            for kind, n in step.counts.items():
                counts[kind] = counts.get(kind, 0) + n
        rows.append(row(older[-1].month, counts, [r for step in older for r in step.restorations],
                        older[-1].number_after, until=True))
    rows.extend(row(step.month, step.counts, step.restorations, step.number_after) for step in recent)
    return rows


def _find_place(number: str, iin: str):
    """The place whose case has this number and whose holder has this IIN; None for any mismatch."""
    return (
        QueueEntry.objects.filter(application__number=number, holder__iin=iin)
        .select_related("queue_list")
        .only("pk", "queue_list_id", "block_no", "accepted_at", "queue_seq", "status", "active", "notified_number",
              "notified_at", "registered_on", "queue_list__code", "queue_list__name_kk", "queue_list__name_ru",
              "queue_list__name_en")
        .first()
    )


def _published_row(entry, number: str):
    return (
        PublishedRow.objects.filter(application_number=number, snapshot_id=_latest_id_subquery(entry.queue_list_id))
        .select_related("snapshot").only("ordinal", "snapshot__name", "snapshot__published_at").first()
    )


@require_http_methods(["POST"])
@never_cache
def lookup_json(request):
    """The same answer as the lookup page, for apps and integrations: one query, no page.

    POST `number` and `iin`; 200 {"list", "list_name", "status", "number", "ahead", "notified_number"}, or 404
    {"error"} for every mismatch alike, 400 for malformed input, 429 over the rate limit.
    """
    from django.http import JsonResponse
    from django.utils.translation import get_language

    form = LookupForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": _("Enter the application number and a 12-digit IIN.")}, status=400)
    allowed, window = _attempt_allowed(request)
    if not allowed:
        response = JsonResponse({"error": _("Too many lookups from this address. Please try again later.")}, status=429)
        response["Retry-After"] = str(window)
        return response
    place = selectors.lookup_place(form.cleaned_data["number"], form.cleaned_data["iin"])
    if place is None:
        return JsonResponse({"error": _("No place in the queue matches this application number and IIN.")}, status=404)
    return JsonResponse({
        "list": place.list_code,
        "list_name": place.list_names.get(get_language() or "kk") or place.list_names["kk"],
        "status": place.status,
        "number": place.number,
        "ahead": place.number - 1 if place.number else None,
        "notified_number": place.notified_number,
    })


@never_cache
@require_http_methods(["GET", "POST"])
def lookup(request):
    """A person's own place: number, people ahead, housing per year, an honest estimate, and why it moved.

    POST only (the IIN never goes into a URL), never cached, never logged; every mismatch gets one message.
    """
    form = LookupForm(request.POST or None)
    result = None
    no_match = False
    if request.method == "POST" and form.is_valid():
        allowed, window = _attempt_allowed(request)
        if not allowed:
            response = render(request, "queues/public/rate_limited.html", {"minutes": -(-window // 60)}, status=429)
            response["Retry-After"] = str(window)
            return response
        number = form.cleaned_data["number"]
        entry = _find_place(number, form.cleaned_data["iin"])
        if entry is None:
            no_match = True
        else:
            result = {"entry": entry, "number": number, "open": entry.active}
            if entry.active:
                position = selectors.position(entry)
                housed = selectors.housed_per_year(entry.queue_list_id)
                notified, steps = selectors.position_history(entry)
                result.update({
                    "position": position,
                    "ahead": position - 1,
                    "housed": housed,
                    "full_years": [(year, n) for year, n in housed if year < timezone.localdate().year],
                    "estimate": selectors.estimate_wait(position - 1, housed),
                    "notified": notified,
                    "history": _history_rows(steps),
                    "published": _published_row(entry, number),
                })
        form = LookupForm(initial={"number": number})  # a fresh form: the IIN is never written back
    return render(request, "queues/public/lookup.html", {"form": form, "result": result, "no_match": no_match})
