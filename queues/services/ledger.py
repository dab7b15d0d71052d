"""Appending to a list's hash-chained log (queues.verify_tool holds the hashing rule the public checks too)."""

from datetime import datetime, timezone as dt_timezone

from django.db import IntegrityError, transaction

from ..models import LedgerHead, QueueEntry, QueueEvent
from ..verify_tool import canonical_event, event_hash


def iso_utc(value: datetime) -> str:
    """The one text form of an instant in the log: UTC, microseconds, fixed width (sorts as it compares)."""
    return value.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def lock_head(queue_list_id: int) -> LedgerHead:
    """Lock the end of the chain; every change to a list's places happens while holding it."""
    head = LedgerHead.objects.select_for_update().filter(queue_list_id=queue_list_id).first()
    if head is None:
        try:
            with transaction.atomic():
                LedgerHead.objects.create(queue_list_id=queue_list_id)
        except IntegrityError:
            pass  # created by a concurrent first event
        head = LedgerHead.objects.select_for_update().get(queue_list_id=queue_list_id)
    return head


def event_fields(head: LedgerHead, list_code: str, *, kind: str, number: str, accepted_at, queue_seq: int,
                 occurred_at, data: dict) -> dict:
    """Advance `head` by one link and return the row's fields (bulk loaders use this without saving each)."""
    seq = head.seq + 1
    canonical = canonical_event(list_code, seq, kind, number, iso_utc(accepted_at), queue_seq, iso_utc(occurred_at), data)
    digest = event_hash(head.hash, canonical)
    fields = dict(queue_list_id=head.queue_list_id, seq=seq, kind=kind, application_number=number, key_at=accepted_at,
                  key_seq=queue_seq, occurred_at=occurred_at, data=data, prev_hash=head.hash, hash=digest)
    head.seq, head.hash = seq, digest
    return fields


def append_event(head: LedgerHead, entry: QueueEntry, kind: str, *, occurred_at, data: dict | None = None) -> QueueEvent:
    fields = event_fields(head, entry.queue_list.code, kind=kind, number=entry.application.number,
                          accepted_at=entry.accepted_at, queue_seq=entry.queue_seq, occurred_at=occurred_at, data=data or {})
    event = QueueEvent.objects.create(entry=entry, **fields)
    head.save(update_fields=["seq", "hash"])
    return event


def export_log(queue_list, out, *, upto_seq: int | None = None, chunk: int = 5000) -> int:
    """Write the published log (header + one JSON event per line) to a text stream; returns the last seq."""
    import json

    out.write(json.dumps({"list": queue_list.code, "format": "kezek-queue-log/1"}) + "\n")
    last = 0
    qs = QueueEvent.objects.filter(queue_list=queue_list).order_by("seq")
    if upto_seq is not None:
        qs = qs.filter(seq__lte=upto_seq)
    for seq, kind, number, key_at, key_seq, at, data, prev, digest in qs.values_list(
        "seq", "kind", "application_number", "key_at", "key_seq", "occurred_at", "data", "prev_hash", "hash"
    ).iterator(chunk_size=chunk):
        out.write(json.dumps({"seq": seq, "kind": kind, "number": number, "key": [iso_utc(key_at), key_seq],
                              "at": iso_utc(at), "data": data, "prev_hash": prev, "hash": digest},
                             ensure_ascii=False, sort_keys=True) + "\n")
        last = seq
    return last
