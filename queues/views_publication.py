"""Staff pages for the published lists: recent snapshots per list, "Publish now", progress, files, manifest.

Staff see their own provider's lists only (view_queue_lists); the administrator publishes (manage_queue).
The generation runs in a worker (outbox "queues.publish"); while a snapshot is generating the page shows a
<progress> bar that a small script (static/queues/publication-progress.js) keeps current, and without
JavaScript the page refreshes itself.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

from django.contrib import messages
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import FileResponse, Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import ability_required, has_ability

from .models import PublishedSnapshot, QueueList, SnapshotStatus
from .services.publication import PublicationError, media_path, request_publication, snapshot_files

RECENT = 5  # snapshots shown per list on the overview
REFRESH_SECONDS = 5
FILE_LABELS = {
    "pdf": "PDF",
    "csv": "CSV",
    "log": "JSONL",
    "manifest": "JSON",
    "signature": "P7S",
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "log": "application/x-ndjson; charset=utf-8",
    "manifest": "application/json",
    "signature": "application/pkcs7-signature",
}


def _own_lists(user):
    return QueueList.objects.filter(provider_id=user.provider_id).select_related("provider", "settlement")


def _own_snapshot(request, pk) -> PublishedSnapshot:
    return get_object_or_404(
        PublishedSnapshot.objects.select_related("queue_list__provider", "requested_by"),
        pk=pk, queue_list__provider_id=request.user.provider_id,
    )


def _progress_label(snapshot) -> str:
    if snapshot.status != SnapshotStatus.GENERATING:
        return snapshot.get_status_display()
    if not snapshot.progress_total:
        return _("Waiting to start: reading the list.")
    events, done = snapshot.as_of_seq or 0, snapshot.progress_done
    if done < events:  # progress counts the log's events written, then the PDF's rows drawn
        return _("Writing the log: %(done)s of %(total)s events") % {"done": done, "total": events}
    return _("Drawing the PDF: %(done)s of %(total)s rows") % {"done": done - events, "total": snapshot.row_count}


@ability_required("view_queue_lists")
@require_GET
def index(request):
    lists = list(_own_lists(request.user).order_by("-is_active", "ordering", "code"))
    ranked = (
        PublishedSnapshot.objects.filter(queue_list__in=lists)
        .defer("manifest", "manifest_signature")
        .annotate(rank=Window(RowNumber(), partition_by=[F("queue_list_id")], order_by=[F("created_at").desc(), F("pk").desc()]))
        .filter(rank__lte=RECENT)
        .order_by("queue_list_id", "rank")
    )
    by_list: dict[int, list] = {}
    for snapshot in ranked:
        snapshot.file_links = [(kind, FILE_LABELS[kind]) for kind in snapshot_files(snapshot)]
        snapshot.progress_label = _progress_label(snapshot)
        by_list.setdefault(snapshot.queue_list_id, []).append(snapshot)
    rows = []
    for queue_list in lists:
        snapshots = by_list.get(queue_list.pk, [])
        queue_list.busy = any(s.status == SnapshotStatus.GENERATING for s in snapshots)
        rows.append((queue_list, snapshots))
    generating = any(queue_list.busy for queue_list, _snapshots in rows)
    return render(request, "queues/publication/index.html", {
        "rows": rows,
        "can_publish": has_ability(request.user, "manage_queue"),
        "generating": generating,
        "refresh_seconds": REFRESH_SECONDS,
    })


@require_POST
@ability_required("manage_queue")
def publish(request, code):
    queue_list = get_object_or_404(_own_lists(request.user), code=code)
    try:
        snapshot, created = request_publication(queue_list, request.user)
    except PublicationError as exc:
        messages.error(request, str(exc.user_message))
        return redirect("queues_publication:index")
    if created:
        messages.success(request, _("Publication of “%(list)s” started (snapshot “%(name)s”). Its progress is shown below.")
                         % {"list": queue_list.name, "name": snapshot.name})
    else:
        messages.info(request, _("“%(list)s” is already being published (snapshot “%(name)s”); nothing new was started.")
                      % {"list": queue_list.name, "name": snapshot.name})
    return redirect("queues_publication:index")


@ability_required("view_queue_lists")
def snapshot(request, pk):
    snapshot = _own_snapshot(request, pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    files = []
    for kind, relative in snapshot_files(snapshot).items():
        path = media_path(relative)
        files.append({"kind": kind, "label": FILE_LABELS[kind], "name": Path(relative).name,
                      "size": path.stat().st_size if path.exists() else None})
    seal = _seal_summary(bytes(snapshot.manifest_signature or b""))
    return render(request, "queues/publication/snapshot.html", {
        "snapshot": snapshot,
        "queue_list": snapshot.queue_list,
        "files": files,
        "manifest_text": json.dumps(snapshot.manifest, ensure_ascii=False, sort_keys=True, indent=2) if snapshot.manifest else "",
        "seal": seal,
        "progress_label": _progress_label(snapshot),
        "generating": snapshot.status == SnapshotStatus.GENERATING,
        "refresh_seconds": REFRESH_SECONDS,
    })


def _seal_summary(signature: bytes) -> dict | None:
    """Who sealed it, read from the CMS for display (verify_queue_log does the full check)."""
    if not signature:
        return None
    from signatures.cms import certificate_info, load_signed_data, signer_certificate
    from signatures.errors import SignatureError

    try:
        certificate, _others = signer_certificate(load_signed_data(signature))
        info = certificate_info(certificate)
    except SignatureError:
        return {"readable": False}
    return {"readable": True, "subject": info.subject, "serial": info.serial_hex, "valid_to": info.valid_to,
            "bin": info.bin}


@ability_required("view_queue_lists")
def progress(request, pk):
    """What the progress bar polls: a few numbers, read fresh each time."""
    snapshot = _own_snapshot(request, pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return JsonResponse({
        "status": snapshot.status,
        "done": snapshot.progress_done,
        "total": snapshot.progress_total,
        "label": _progress_label(snapshot),
    }, headers={"Cache-Control": "no-store"})


@ability_required("view_queue_lists")
def download(request, pk, kind):
    snapshot = _own_snapshot(request, pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    relative = snapshot_files(snapshot).get(kind)
    if relative is None:
        raise Http404
    path = media_path(relative)
    if not path.is_file():
        raise Http404
    content_type = CONTENT_TYPES.get(kind) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(open(path, "rb"), as_attachment=True, filename=path.name, content_type=content_type)
