"""Publishing a list (тізімді жариялау): dated snapshots with rows, CSV, PDF, the log, and a sealed manifest.

One snapshot at a time per list (a database constraint); it is created as "generating", then:
1. rows: one consistent read gives the log head (as_of_seq, chain_head) and, set-based, the list's active
   places in key order, numbered — exactly what queues.verify_tool.replay gives for the log up to as_of_seq;
2. files: CSV (PostgreSQL COPY), the log up to as_of_seq (JSON lines), the PDF (queues.listpdf, streamed);
3. the manifest (digests of the three files, the chain head) written as manifest JSON and sealed with the
   provider's seal (detached CMS over the exact bytes), then the snapshot is marked published.
Any error marks the snapshot failed with the error text; a half snapshot is never marked published.

Whoever generates a snapshot holds a PostgreSQL advisory lock on it, so a snapshot left "generating" by a
worker that died is recognised (nobody holds its lock) and taken over by the next publication request or
by the periodic `queues.resume_publications` (on SQLite: once older than STALE_AFTER).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.services.errors import ServiceError

from ..models import (
    GENESIS_HASH,
    LedgerHead,
    PublishedRow,
    PublishedSnapshot,
    QueueEvent,
    QueueList,
    SnapshotKind,
    SnapshotStatus,
)
from ..verify_tool import CSV_COLUMNS

logger = logging.getLogger(__name__)

MANIFEST_FORMAT = "kezek-queue-snapshot/1"
PRUNE_KEEP = 2  # published snapshots per list whose rows stay in the database (for the public HTML page)
PROGRESS_EVERY = 2000
STALE_AFTER = timedelta(hours=2)  # SQLite only: no advisory locks, so an abandoned snapshot is recognised by age
CLAIM_GRACE = timedelta(minutes=2)  # the periodic resume leaves fresh snapshots to the worker they were queued for
LOCK_BASE = 0x4B5A5055 << 32  # advisory lock keys: this base + snapshot id
FILES_ROOT = "published"


class PublicationError(ServiceError):
    message = gettext_lazy("The list could not be published.")


class NameTaken(PublicationError):
    pass


# --- names and files --------------------------------------------------------------------------------------------

def default_name(kind: str, moment=None) -> str:
    """Monthly "YYYY-MM", annual "YYYY Q1" (the first-quarter publication), on demand "YYYY-MM-DD HH:MM"."""
    local = timezone.localtime(moment or timezone.now())
    if kind == SnapshotKind.MONTHLY:
        return local.strftime("%Y-%m")
    if kind == SnapshotKind.ANNUAL:
        return f"{local.year} Q1"
    return local.strftime("%Y-%m-%d %H:%M")


def _free_name(queue_list, name: str, *, explicit: bool) -> str:
    taken = set(
        PublishedSnapshot.objects.filter(queue_list=queue_list, status=SnapshotStatus.PUBLISHED, name__startswith=name)
        .values_list("name", flat=True)
    )
    if name not in taken:
        return name
    if explicit:
        raise NameTaken(_("A snapshot named “%(name)s” of this list is already published.") % {"name": name})
    n = 2
    while f"{name} ({n})" in taken:
        n += 1
    return f"{name} ({n})"


def media_path(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


def snapshot_base(snapshot: PublishedSnapshot) -> str:
    """published/<provider>/<list>/<id>-<slug>: every file of a snapshot shares it, and is kept forever."""
    queue_list = snapshot.queue_list
    slug = slugify(snapshot.name) or "snapshot"
    return f"{FILES_ROOT}/{queue_list.provider.code}/{queue_list.code}/{snapshot.pk}-{slug}"


def snapshot_files(snapshot: PublishedSnapshot) -> dict[str, str]:
    """Paths relative to MEDIA_ROOT by kind: csv, pdf, log, manifest, signature (what exists of them)."""
    files = {"csv": snapshot.csv_path, "pdf": snapshot.pdf_path, "log": snapshot.log_path}
    if snapshot.csv_path:
        stem = snapshot.csv_path[: -len(".csv")]
        files["manifest"] = stem + ".json"
        if "manifest_signature" in snapshot.get_deferred_fields():  # a listing that skipped the bytes: ask the disk
            sealed = media_path(stem + ".p7s").exists()
        else:
            sealed = bool(snapshot.manifest_signature)
        if sealed:
            files["signature"] = stem + ".p7s"
    return {kind: path for kind, path in files.items() if path}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- starting and claiming --------------------------------------------------------------------------------------

def start_publication(queue_list, *, kind: str, name: str | None = None, requested_by=None) -> tuple[PublishedSnapshot, bool]:
    """The row saying a publication of the list is under way: (snapshot, True), or the one already
    generating and False — the database allows one generating snapshot per list."""
    if kind not in SnapshotKind.values:
        raise PublicationError(_("Unknown kind of publication: %(kind)s.") % {"kind": kind})
    existing = PublishedSnapshot.objects.filter(queue_list=queue_list, status=SnapshotStatus.GENERATING).first()
    if existing is not None:
        return existing, False
    name = _free_name(queue_list, (name or default_name(kind)).strip()[:56], explicit=bool(name))
    try:
        with transaction.atomic():
            snapshot = PublishedSnapshot.objects.create(
                queue_list=queue_list, kind=kind, name=name, status=SnapshotStatus.GENERATING,
                requested_by=requested_by if getattr(requested_by, "pk", None) else None,
            )
    except IntegrityError:
        existing = PublishedSnapshot.objects.filter(queue_list=queue_list, status=SnapshotStatus.GENERATING).first()
        if existing is None:
            raise
        return existing, False
    return snapshot, True


@contextmanager
def _claim(snapshot: PublishedSnapshot, *, fresh: bool):
    """Yield True if this process may generate the snapshot (and hold it until done)."""
    if connection.vendor != "postgresql":
        yield fresh or snapshot.created_at < timezone.now() - STALE_AFTER
        return
    key = LOCK_BASE + snapshot.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def publish_list(queue_list, *, kind: str, name: str | None = None, requested_by=None) -> PublishedSnapshot:
    """Publish the list now and return the snapshot (published, or failed with its error).

    If a snapshot of the list is already generating, that one is returned (and generated here if nobody is
    working on it); a second one is never started.
    """
    snapshot, created = start_publication(queue_list, kind=kind, name=name, requested_by=requested_by)
    return generate(snapshot, fresh=created)


def generate(snapshot: PublishedSnapshot, *, fresh: bool = True) -> PublishedSnapshot:
    """Generate a snapshot that is in the "generating" state, unless another process already does."""
    with _claim(snapshot, fresh=fresh) as claimed:
        snapshot.refresh_from_db()
        if not claimed or snapshot.status != SnapshotStatus.GENERATING:
            return snapshot
        try:
            if connection.in_atomic_block:  # inside a caller's transaction: an error rolls back to here only
                with transaction.atomic():
                    _generate(snapshot)
            else:
                _generate(snapshot)
        except Exception as exc:  # whatever went wrong is recorded on the snapshot
            logger.exception("publication of snapshot %s failed", snapshot.pk)
            _fail(snapshot, exc)
    snapshot.refresh_from_db()
    return snapshot


def generate_snapshot(snapshot_id: int) -> PublishedSnapshot | None:
    """The outbox handler's work after commit (queues.handlers)."""
    snapshot = PublishedSnapshot.objects.select_related("queue_list__provider").filter(pk=snapshot_id).first()
    if snapshot is None or snapshot.status != SnapshotStatus.GENERATING:
        return snapshot
    return generate(snapshot, fresh=True)


def resume_stalled() -> int:
    """Periodic: generate snapshots left "generating" by a worker that died (or never reached a worker)."""
    done = 0
    stalled = PublishedSnapshot.objects.select_related("queue_list__provider").filter(
        status=SnapshotStatus.GENERATING, created_at__lt=timezone.now() - CLAIM_GRACE)
    for snapshot in stalled:
        before = snapshot.status
        if generate(snapshot, fresh=False).status != before:
            done += 1
    return done


def _fail(snapshot: PublishedSnapshot, exc: Exception) -> None:
    text = str(getattr(exc, "user_message", "") or exc) or exc.__class__.__name__
    with transaction.atomic():
        PublishedRow.objects.filter(snapshot_id=snapshot.pk).delete()
        PublishedSnapshot.objects.filter(pk=snapshot.pk).update(
            status=SnapshotStatus.FAILED, error=f"{exc.__class__.__name__}: {text}"[:4000])
    for relative in _planned_files(snapshot):
        media_path(relative).unlink(missing_ok=True)


def _planned_files(snapshot) -> list[str]:
    base = snapshot_base(snapshot)
    return [base + ext for ext in (".csv", ".pdf", ".jsonl", ".json", ".p7s")]


class _CountingWriter:
    """A text stream that reports every PROGRESS_EVERY lines written through it (the log's events)."""

    def __init__(self, stream, report):
        self.stream, self.report = stream, report
        self.lines, self.next_report = -1, PROGRESS_EVERY  # the first line is the log's header

    def write(self, text: str) -> int:
        written = self.stream.write(text)
        self.lines += text.count("\n")
        if self.lines >= self.next_report:
            self.report(self.lines)
            self.next_report = self.lines + PROGRESS_EVERY
        return written


def _progress(snapshot: PublishedSnapshot, done: int, total: int) -> None:
    """A separate short UPDATE, committed at once outside a transaction, so the admin page can poll it."""
    PublishedSnapshot.objects.filter(pk=snapshot.pk).update(progress_done=done, progress_total=total)


# --- the work ---------------------------------------------------------------------------------------------------

ROWS_SQL = (
    "INSERT INTO queues_publishedrow (snapshot_id, ordinal, application_number, initials, registered_on, "
    "category_code, status) "
    "SELECT %s, ROW_NUMBER() OVER (ORDER BY e.accepted_at, e.queue_seq), a.number, e.initials, e.registered_on, "
    "e.category_code, e.status "
    "FROM queues_queueentry e JOIN applications_application a ON a.id = e.application_id "
    "WHERE e.queue_list_id = %s AND e.active"
)


def fill_rows(snapshot: PublishedSnapshot) -> tuple[int, str, int]:
    """(as_of_seq, chain_head, rows): the log head and the rows it gives, read in one consistent view.

    PostgreSQL: a REPEATABLE READ transaction sees the head and the places as of one instant without
    blocking anyone; inside an outer transaction (tests) the head row is share-locked instead, which keeps
    writers of this list out for the duration. SQLite writes under one database lock anyway.
    """
    nested = connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                if nested:
                    cursor.execute("SELECT 1 FROM queues_ledgerhead WHERE queue_list_id = %s FOR SHARE",
                                   [snapshot.queue_list_id])
                else:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            head = LedgerHead.objects.filter(queue_list_id=snapshot.queue_list_id).values_list("seq", "hash").first()
            seq, chain_head = head or (0, GENESIS_HASH)
            cursor.execute("DELETE FROM queues_publishedrow WHERE snapshot_id = %s", [snapshot.pk])
            cursor.execute(ROWS_SQL, [snapshot.pk, snapshot.queue_list_id])
            rows = cursor.rowcount
        PublishedSnapshot.objects.filter(pk=snapshot.pk).update(
            as_of_seq=seq, chain_head=chain_head, row_count=rows, progress_done=0, progress_total=seq + rows)
    snapshot.as_of_seq, snapshot.chain_head, snapshot.row_count = seq, chain_head, rows
    snapshot.progress_done, snapshot.progress_total = 0, seq + rows
    return seq, chain_head, rows


CSV_SQL = (
    "SELECT ordinal, application_number, initials, to_char(registered_on, 'YYYY-MM-DD') AS registered_on, "
    "NULLIF(category_code, '') AS category, status FROM queues_publishedrow WHERE snapshot_id = {id} ORDER BY ordinal"
)


def export_csv(snapshot: PublishedSnapshot, path) -> int:
    """The published CSV (columns of verify_tool.CSV_COLUMNS), written by PostgreSQL's COPY straight to the file.

    On SQLite the csv module writes the same bytes: "\\n" line ends, quotes only where needed, an empty
    category as an empty field (COPY's NULL).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "postgresql":
        with open(path, "wb") as f, connection.cursor() as cursor:
            cursor.copy_expert(f"COPY ({CSV_SQL.format(id=int(snapshot.pk))}) TO STDOUT WITH (FORMAT csv, HEADER)", f)
            return cursor.rowcount
    rows = (
        PublishedRow.objects.filter(snapshot_id=snapshot.pk).order_by("ordinal")
        .values_list("ordinal", "application_number", "initials", "registered_on", "category_code", "status")
    )
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for ordinal, number, initials, registered_on, category, status in rows.iterator(chunk_size=5000):
            writer.writerow([ordinal, number, initials, registered_on.isoformat(), category, status])
            count += 1
    return count


def render_pdf(snapshot: PublishedSnapshot, path, *, progress=None) -> int:
    """The PDF of the snapshot's rows, streamed from the database (queues.listpdf); returns the page count.

    `progress(done, total)` is called about every PROGRESS_EVERY rows.
    """
    from applications.models import Category

    from ..listpdf import ListPdfMeta, render_list_pdf

    queue_list = snapshot.queue_list
    provider = queue_list.provider
    rows = PublishedRow.objects.filter(snapshot_id=snapshot.pk)
    codes = set(rows.exclude(category_code="").values_list("category_code", flat=True).distinct())
    categories = {c.code: (c.name_kk, c.name_ru) for c in Category.objects.filter(code__in=codes)}
    moment = snapshot.published_at or timezone.now()
    meta = ListPdfMeta(
        list_code=queue_list.code, list_name_kk=queue_list.name_kk, list_name_ru=queue_list.name_ru,
        provider_kk=provider.name_kk, provider_ru=provider.name_ru, snapshot_name=snapshot.name,
        published_on=timezone.localtime(moment).strftime("%d.%m.%Y %H:%M"), chain_head=snapshot.chain_head,
        as_of_seq=snapshot.as_of_seq or 0, row_count=snapshot.row_count, sealed=seal_configured(provider),
        categories=categories,
    )
    stream = rows.order_by("ordinal").values_list(
        "ordinal", "application_number", "initials", "registered_on", "category_code", "status"
    ).iterator(chunk_size=PROGRESS_EVERY)
    total = snapshot.row_count
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return render_list_pdf(path, meta, stream, font_dirs=settings.KEZEK_PDF_FONT_DIRS,
                           progress=(lambda done: progress(done, total)) if progress else None,
                           progress_every=PROGRESS_EVERY)


def _generate(snapshot: PublishedSnapshot) -> None:
    from .ledger import export_log, iso_utc

    snapshot = PublishedSnapshot.objects.select_related("queue_list__provider").get(pk=snapshot.pk)
    queue_list = snapshot.queue_list
    seq, chain_head, rows = fill_rows(snapshot)
    base = snapshot_base(snapshot)
    paths = {ext: base + ext for ext in (".csv", ".pdf", ".jsonl", ".json", ".p7s")}

    written = export_csv(snapshot, media_path(paths[".csv"]))
    if written != rows:
        raise PublicationError(f"the CSV has {written} rows, {rows} were read")
    # progress counts the log's events written, then the PDF's rows drawn (the two long steps)
    total = seq + rows
    with open(media_path(paths[".jsonl"]), "w", encoding="utf-8", newline="\n") as f:
        last = export_log(queue_list, _CountingWriter(f, lambda done: _progress(snapshot, done, total)), upto_seq=seq)
    if last != seq:
        raise PublicationError(f"the log ends at event {last}, the head is at {seq}")
    _progress(snapshot, seq, total)
    published_at = timezone.now()
    snapshot.published_at = published_at  # printed on the PDF; saved with the status below
    render_pdf(snapshot, media_path(paths[".pdf"]), progress=lambda done, _rows: _progress(snapshot, seq + done, total))

    digests = {ext: _sha256(media_path(paths[ext])) for ext in (".csv", ".pdf", ".jsonl")}
    sealed = seal_configured(queue_list.provider)
    manifest = {
        "format": MANIFEST_FORMAT,
        "list": queue_list.code,
        "provider": queue_list.provider.code,
        "name": snapshot.name,
        "kind": snapshot.kind,
        "published_at": iso_utc(published_at),
        "as_of_seq": seq,
        "chain_head": chain_head,
        "row_count": rows,
        "csv_sha256": digests[".csv"],
        "pdf_sha256": digests[".pdf"],
        "log_sha256": digests[".jsonl"],
        "sealed": sealed,
    }
    manifest_bytes = manifest_json(manifest)
    media_path(paths[".json"]).write_bytes(manifest_bytes)
    signature = seal(manifest_bytes, queue_list.provider) if sealed else b""
    if signature:
        media_path(paths[".p7s"]).write_bytes(signature)

    with transaction.atomic():
        updated = PublishedSnapshot.objects.filter(pk=snapshot.pk, status=SnapshotStatus.GENERATING).update(
            status=SnapshotStatus.PUBLISHED, published_at=published_at, progress_done=total, progress_total=total,
            csv_path=paths[".csv"], csv_sha256=digests[".csv"], pdf_path=paths[".pdf"], pdf_sha256=digests[".pdf"],
            log_path=paths[".jsonl"], log_sha256=digests[".jsonl"], manifest=manifest, manifest_signature=signature,
            error="",
        )
        if not updated:
            raise PublicationError("the snapshot stopped generating while it was being written")
        prune_rows(queue_list)
    logger.info("published %s %r: %s rows as of event %s", queue_list.code, snapshot.name, rows, seq)


def manifest_json(manifest: dict) -> bytes:
    """The exact bytes that are sealed and published (UTF-8, sorted keys, indented, final newline)."""
    return (json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


def prune_rows(queue_list) -> int:
    """Keep the rows of the newest PRUNE_KEEP published snapshots (the public page reads them); files stay."""
    published = PublishedSnapshot.objects.filter(queue_list=queue_list, status=SnapshotStatus.PUBLISHED)
    keep = list(published.order_by("-published_at", "-pk").values_list("pk", flat=True)[:PRUNE_KEEP])
    old = list(published.filter(rows_pruned=False).exclude(pk__in=keep).values_list("pk", flat=True))
    if old:
        PublishedRow.objects.filter(snapshot_id__in=old).delete()
        PublishedSnapshot.objects.filter(pk__in=old).update(rows_pruned=True)
    return len(old)


# --- scheduled publications ---------------------------------------------------------------------------------------

def enqueue_scheduled(kind: str, moment=None) -> int:
    """Beat: one outbox message per active list; the dedupe key makes a repeated run of the same period a no-op."""
    from audit.services import enqueue

    name = default_name(kind, moment)
    count = 0
    with transaction.atomic():
        for list_id in QueueList.objects.filter(is_active=True).values_list("pk", flat=True):
            enqueue("queues.publish", {"list_id": list_id, "kind": kind, "name": name, "requested_by": None},
                    dedupe_key=f"queues.publish:{kind}:{list_id}:{name}")
            count += 1
    return count


def request_publication(queue_list, user) -> tuple[PublishedSnapshot, bool]:
    """"Publish now": the generating snapshot and its outbox message in one transaction (a double click
    finds the first one generating and starts nothing)."""
    from audit.services import enqueue, record_event

    with transaction.atomic():
        snapshot, created = start_publication(queue_list, kind=SnapshotKind.ON_DEMAND, requested_by=user)
        if created:
            enqueue("queues.publish", {"list_id": queue_list.pk, "kind": snapshot.kind, "name": snapshot.name,
                                       "requested_by": user.pk, "snapshot_id": snapshot.pk},
                    dedupe_key=f"queues.publish:snapshot:{snapshot.pk}")
            record_event(actor=user, action="queue.publication_requested", obj=snapshot,
                         data={"list": queue_list.code, "name": snapshot.name})
    return snapshot, created


# --- the provider's seal ----------------------------------------------------------------------------------------

def seal_configured(provider=None) -> bool:
    from signatures.services import provider_seal_path

    return bool(provider_seal_path(provider))


def seal(content: bytes, provider=None) -> bytes:
    """Detached CMS (DER) over `content` with the provider's seal; the seal's certificate is checked first
    (trusted path, validity, revocation) so nothing is published under a seal nobody can verify."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

    from signatures.services import provider_seal_path

    path = Path(provider_seal_path(provider))
    password = getattr(settings, "KEZEK_PROVIDER_SEAL_PASSWORD", "") or ""
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(path.read_bytes(), password.encode() or None)
    except (OSError, ValueError) as exc:
        raise PublicationError(_("The provider's seal (KEZEK_PROVIDER_SEAL_P12) cannot be read: %(error)s")
                               % {"error": exc}) from None
    if key is None or certificate is None:
        raise PublicationError(_("The provider's seal file holds no key and certificate."))
    builder = pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(certificate, key, hashes.SHA256())
    for extra in chain or []:
        builder = builder.add_certificate(extra)
    signature = builder.sign(serialization.Encoding.DER,
                             [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])
    verify_seal(signature, content)
    return signature


def verify_seal(signature: bytes, content: bytes, *, moment=None):
    """Check a manifest's seal: the CMS covers exactly `content`, and the certificate is trusted (an
    organisation's seal carries no IIN). Returns signatures.cms.CertificateInfo; raises SignatureError."""
    from signatures.cms import check_certificate, check_integrity, load_signed_data, signer_certificate

    signed_data = load_signed_data(signature)
    certificate, others = signer_certificate(signed_data)
    algorithm = signed_data["signer_infos"][0]["digest_algorithm"]["algorithm"].native
    check_integrity(signed_data, certificate, hashlib.new(algorithm, content).digest())
    return check_certificate(certificate, others, moment=moment, iin_required=False)


def event_hash_at(queue_list, seq: int) -> str:
    """The hash of the list's event `seq` in the database (GENESIS for 0), to tie a snapshot to the live chain."""
    if not seq:
        return GENESIS_HASH
    return QueueEvent.objects.filter(queue_list=queue_list, seq=seq).values_list("hash", flat=True).first() or ""


def lists_by_code(code: str | None, *, active_only: bool = True):
    """The lists a command works on: all (active) lists, or the one named CODE or PROVIDER/CODE.

    Raises PublicationError when the code names no list, or lists of several providers.
    """
    lists = QueueList.objects.select_related("provider").order_by("provider__code", "ordering", "code")
    if not code:
        return list(lists.filter(is_active=True) if active_only else lists)
    provider, _sep, list_code = code.rpartition("/")
    found = lists.filter(code=list_code)
    if provider:
        found = found.filter(provider__code=provider)
    found = list(found)
    if not found:
        raise PublicationError(_("No queue list with the code “%(code)s”.") % {"code": code})
    if len(found) > 1:
        raise PublicationError(_("Several providers have a list “%(code)s”; name it as PROVIDER/CODE (%(choices)s).")
                               % {"code": code, "choices": ", ".join(f"{q.provider.code}/{q.code}" for q in found)})
    return found
