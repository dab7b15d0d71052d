"""`manage.py verify_queue_log`: check the tamper-evident queue log and the published lists.

    verify_queue_log [--list CODE] [--snapshot ID]
        every list (or one): the whole hash chain in the database (links, sequence, head), then the latest
        published snapshot (or snapshot ID): its files replayed against its log (queues.verify_tool), the
        digests of all files, its chain head against the database chain, and the provider's seal
    verify_queue_log --log FILE --csv FILE [--manifest FILE] [--signature FILE]
        downloaded files, as anyone can check them (the seal too, if the .p7s is given or lies next to the
        manifest)

Prints one OK / FAILED line per check; exit 1 if anything failed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from queues import verify_tool
from queues.models import GENESIS_HASH, LedgerHead, PublishedSnapshot, QueueEvent, SnapshotStatus
from queues.selectors import latest_snapshot
from queues.services.ledger import iso_utc
from queues.services.publication import (
    PublicationError,
    event_hash_at,
    lists_by_code,
    media_path,
    snapshot_files,
    verify_seal,
)
from signatures.errors import SignatureError

CHUNK = 5000
READ_ERRORS = (verify_tool.VerificationError, ValueError, KeyError, TypeError, IndexError, AttributeError)


class Command(BaseCommand):
    help = ("Verify the hash-chained queue log of every list (or one) and its latest published snapshot, or "
            "downloaded snapshot files (--log/--csv/--manifest). Exit 1 if anything does not hold.")

    def add_arguments(self, parser):
        parser.add_argument("--list", metavar="CODE", help="only this list (CODE or PROVIDER/CODE)")
        parser.add_argument("--snapshot", metavar="ID", help="check this snapshot instead of the latest")
        parser.add_argument("--log", metavar="FILE", help="a downloaded log (.jsonl)")
        parser.add_argument("--csv", metavar="FILE", help="a downloaded list (.csv)")
        parser.add_argument("--manifest", metavar="FILE", help="the snapshot's manifest (.json)")
        parser.add_argument("--signature", metavar="FILE", help="the manifest's seal (.p7s; default: next to it)")

    def handle(self, *args, **options):
        self.failures = 0
        if any(options[k] for k in ("log", "csv", "manifest", "signature")):
            if not (options["log"] and options["csv"]):
                raise CommandError("--log FILE and --csv FILE go together (--manifest and --signature are optional)")
            self.check_files(options["log"], options["csv"], options["manifest"], options["signature"])
        else:
            for queue_list, snapshot in self.targets(options["list"], options["snapshot"]):
                self.check_chain(queue_list)
                if snapshot is None:
                    self.stdout.write(f"--   {self.label(queue_list)}: no published snapshot yet")
                else:
                    self.check_snapshot(snapshot)
        if self.failures:
            raise CommandError(f"{self.failures} check(s) FAILED")

    # --- output -----------------------------------------------------------------------------------------------

    def ok(self, text: str) -> None:
        self.stdout.write(f"OK   {text}")

    def failed(self, text: str) -> None:
        self.failures += 1
        self.stdout.write(f"FAILED {text}")

    @staticmethod
    def label(queue_list) -> str:
        return f"{queue_list.provider.code}/{queue_list.code}"

    def targets(self, code, snapshot_id):
        if snapshot_id:
            try:
                snapshot = PublishedSnapshot.objects.select_related("queue_list__provider").get(pk=int(snapshot_id))
            except (ValueError, PublishedSnapshot.DoesNotExist):
                raise CommandError(f"no published snapshot with id {snapshot_id!r}") from None
            if code and code not in (snapshot.queue_list.code, self.label(snapshot.queue_list)):
                raise CommandError(f"snapshot {snapshot.pk} is of list {self.label(snapshot.queue_list)}, not {code}")
            return [(snapshot.queue_list, snapshot)]
        try:
            lists = lists_by_code(code, active_only=False)
        except PublicationError as exc:
            raise CommandError(str(exc)) from None
        return [(queue_list, latest_snapshot(queue_list)) for queue_list in lists]

    # --- the chain in the database ------------------------------------------------------------------------------

    def check_chain(self, queue_list) -> bool:
        """Every link up to the head as it was when we started (later appends are not our business), streamed."""
        head = LedgerHead.objects.filter(queue_list=queue_list).values_list("seq", "hash").first() or (0, GENESIS_HASH)
        head_seq, head_hash = head
        expected, previous = 1, GENESIS_HASH
        events = (
            QueueEvent.objects.filter(queue_list=queue_list, seq__lte=head_seq).order_by("seq")
            .values_list("seq", "kind", "application_number", "key_at", "key_seq", "occurred_at", "data", "prev_hash", "hash")
        )
        for seq, kind, number, key_at, key_seq, at, data, prev_hash, digest in events.iterator(chunk_size=CHUNK):
            where = f"{self.label(queue_list)} event {seq}"
            if seq != expected:
                self.failed(f"{where}: expected sequence number {expected} (an event is missing)")
                return False
            if prev_hash != previous:
                self.failed(f"{where}: prev_hash does not match the previous event's hash")
                return False
            canonical = verify_tool.canonical_event(queue_list.code, seq, kind, number, iso_utc(key_at), key_seq,
                                                    iso_utc(at), data)
            if verify_tool.event_hash(previous, canonical) != digest:
                self.failed(f"{where}: hash does not match its content (altered event)")
                return False
            expected, previous = seq + 1, digest
        if expected - 1 != head_seq or previous != head_hash:
            self.failed(f"{self.label(queue_list)}: the chain ends at event {expected - 1}, its head says {head_seq}")
            return False
        self.ok(f"{self.label(queue_list)}: chain of {head_seq} events intact, head {head_hash}")
        return True

    # --- a published snapshot -------------------------------------------------------------------------------------

    def check_snapshot(self, snapshot) -> None:
        label = f"{self.label(snapshot.queue_list)} snapshot {snapshot.pk} “{snapshot.name}”"
        if snapshot.status != SnapshotStatus.PUBLISHED:
            self.failed(f"{label}: not published ({snapshot.status})")
            return
        files = {kind: media_path(path) for kind, path in snapshot_files(snapshot).items()}
        try:
            manifest_bytes = files["manifest"].read_bytes()
            manifest = json.loads(manifest_bytes)
            log_path, csv_path = files["log"], files["csv"]
            if not (log_path.exists() and csv_path.exists()):
                raise OSError("the log or the list file is missing")
        except (KeyError, OSError, ValueError) as exc:
            self.failed(f"{label}: cannot read its files ({exc})")
            return
        if manifest != snapshot.manifest:
            self.failed(f"{label}: the manifest file differs from the manifest recorded at publication")
        self.replay(label, log_path, csv_path, manifest)
        for kind, key in (("log", "log_sha256"), ("pdf", "pdf_sha256")):
            path = files.get(kind)
            if path is None or not path.exists():
                self.failed(f"{label}: the {kind} file is missing")
            elif _sha256(path) != manifest.get(key):
                self.failed(f"{label}: the {kind} file does not match the digest in the manifest")
        if event_hash_at(snapshot.queue_list, manifest.get("as_of_seq") or 0) != manifest.get("chain_head"):
            self.failed(f"{label}: its chain head is not the database chain's event {manifest.get('as_of_seq')}")
        else:
            self.ok(f"{label}: chain head {manifest.get('chain_head')} is event {manifest.get('as_of_seq')} of the database chain")
        self.check_seal(label, manifest, manifest_bytes, bytes(snapshot.manifest_signature or b""),
                        moment=snapshot.published_at)

    def replay(self, label, log_path, csv_path, manifest) -> None:
        """Streams both files (queues.verify_tool.verify_files): a million-place list fits in memory."""
        try:
            state = verify_tool.verify_files(log_path, csv_path, manifest)
        except verify_tool.VerificationError as exc:
            self.failed(f"{label}: {exc}")
            return
        except READ_ERRORS as exc:
            self.failed(f"{label}: the files are not a published log and list ({exc.__class__.__name__}: {exc})")
            return
        rows = state.active_count()
        self.ok(f"{label}: {rows} rows follow from {state.seq} events in the log" +
                (f" (chain head {state.head})" if manifest is not None else ""))

    def check_seal(self, label, manifest, manifest_bytes, signature: bytes, *, moment=None, downloaded=False) -> None:
        if not signature:
            if manifest.get("sealed") and downloaded:
                self.stdout.write(f"--   {label}: the seal was not checked (give its .p7s file with --signature)")
            elif manifest.get("sealed"):
                self.failed(f"{label}: the manifest says it is sealed, but there is no seal")
            else:
                self.stdout.write(f"--   {label}: NOT SEALED (no provider seal was configured when it was published)")
            return
        try:
            info = verify_seal(signature, manifest_bytes, moment=moment)
        except SignatureError as exc:
            self.failed(f"{label}: seal: {exc}")
            return
        self.ok(f"{label}: sealed by {info.subject} (certificate {info.serial_hex})")

    # --- downloaded files ----------------------------------------------------------------------------------------

    def check_files(self, log, csv_path, manifest_path, signature_path) -> None:
        label = Path(csv_path).name
        try:
            for path in (log, csv_path):
                if not Path(path).is_file():
                    raise OSError(f"{path} is not a readable file")
            manifest = manifest_bytes = None
            if manifest_path:
                manifest_bytes = Path(manifest_path).read_bytes()
                manifest = json.loads(manifest_bytes)
                if not isinstance(manifest, dict):
                    raise ValueError(f"{manifest_path} is not a manifest")
            signature = b""
            if signature_path:
                signature = Path(signature_path).read_bytes()
            elif manifest_path and Path(manifest_path).with_suffix(".p7s").exists():
                signature = Path(manifest_path).with_suffix(".p7s").read_bytes()
        except (OSError, ValueError) as exc:
            self.failed(f"{label}: cannot read the files ({exc})")
            return
        self.replay(label, log, csv_path, manifest)
        if manifest is None:
            return
        if "log_sha256" in manifest and _sha256(Path(log)) != manifest["log_sha256"]:
            self.failed(f"{label}: the log file does not match the digest in the manifest")
        self.check_seal(label, manifest, manifest_bytes, signature, downloaded=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
