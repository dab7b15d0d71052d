"""Outbox handlers: what a person hears when a place is removed, continued, restored or moved back.

Every message goes through notifications.notify_applicant, whose unique key (case, kind, channel, reference)
makes a re-delivered outbox message send nothing twice.
"""

from django.db import connection

from audit.relay import handler
from audit.services import enqueue
from notifications.services import notify_applicant

from .models import QueueEntry, RemovalGround, RemovalRequest, RestorationBasis, RestorationRequest
from .selectors import position

MOVED_BACK_BATCH = 500  # people told per outbox message; the next batch is its own message


@handler("queues.notify_removed")
def notify_removed(request_id: int) -> None:
    req = RemovalRequest.objects.select_related("entry__application__applicant", "entry__application__queue_list").get(
        pk=request_id)
    notify_applicant(req.entry.application, "queue_removed",
                     {"request": req, "ground_label": RemovalGround(req.ground).label}, reference=f"removal:{req.pk}")


@handler("queues.notify_continued")
def notify_continued(request_id: int) -> None:
    req = RemovalRequest.objects.select_related(
        "entry__application__applicant", "entry__application__queue_list", "successor").get(pk=request_id)
    notify_applicant(req.entry.application, "queue_continued",
                     {"request": req, "successor_name": req.successor.full_name if req.successor_id else "",
                      "number": position(req.entry)},
                     reference=f"removal:{req.pk}")


@handler("queues.notify_restored")
def notify_restored(request_id: int) -> None:
    req = RestorationRequest.objects.select_related(
        "entry__application__applicant", "entry__application__queue_list").get(pk=request_id)
    notify_applicant(req.entry.application, "queue_restored",
                     {"request": req, "basis_label": RestorationBasis(req.basis).label,
                      "number": req.entry.notified_number},
                     reference=f"restoration:{req.pk}")


def _behind(entry: QueueEntry, decided_at):
    """Active places after `entry` in key order (blocks are key-ordered), taken before the restoration."""
    return (
        QueueEntry.objects.filter(queue_list_id=entry.queue_list_id, active=True, accepted_at__lte=decided_at)
        .extra(where=['("queues_queueentry"."block_no", "queues_queueentry"."accepted_at",'
                      ' "queues_queueentry"."queue_seq") > (%s, %s, %s)'],
               params=[entry.block_no, connection.ops.adapt_datetimefield_value(entry.accepted_at), entry.queue_seq])
        .order_by("block_no", "accepted_at", "queue_seq")
    )


@handler("queues.notify_moved_back")
def notify_moved_back(request_id: int, after_entry_id: int) -> None:
    """Tell everyone behind a restored place, one batch per message, then hand the rest to the next message.

    Places accepted after the restoration were never moved by it: their keys all come later, so the batch
    is a run of consecutive places and each number is the first one's plus its offset.
    """
    req = RestorationRequest.objects.select_related("entry").get(pk=request_id)
    after = QueueEntry.objects.get(pk=after_entry_id)
    batch = list(_behind(after, req.decided_at).select_related("application__applicant", "application__queue_list")
                 [:MOVED_BACK_BATCH])
    if not batch:
        return
    first = position(batch[0])
    context = {"request": req, "basis_label": RestorationBasis(req.basis).label}
    for offset, entry in enumerate(batch):
        notify_applicant(entry.application, "queue_moved_back", {**context, "number": first + offset},
                         reference=f"restoration:{req.pk}")
    if len(batch) == MOVED_BACK_BATCH:
        last = batch[-1].pk
        enqueue("queues.notify_moved_back", {"request_id": req.pk, "after_entry_id": last},
                dedupe_key=f"queue-moved-back:{req.pk}:{last}")
