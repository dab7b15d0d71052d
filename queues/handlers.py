"""Outbox handlers for publishing lists (queues.services.publication).

The handler runs inside the outbox's delivery transaction; the generation itself runs right after that
commits (on_commit), outside any transaction, so its progress is visible to the admin page while it works.
The generating snapshot row is committed together with the delivered message: if the worker dies mid-way,
`queues.resume_publications` finds the snapshot nobody holds and finishes it.
"""

import logging

from django.db import transaction

from audit.relay import handler

from .models import QueueList
from .services.publication import NameTaken, generate_snapshot, start_publication

logger = logging.getLogger(__name__)


class ListBusy(Exception):
    """Another snapshot of the list is generating; the message stays pending and the relay retries it."""


@handler("queues.publish")
def publish(list_id: int, kind: str, name: str | None = None, requested_by: int | None = None,
            snapshot_id: int | None = None) -> None:
    if snapshot_id is None:
        queue_list = QueueList.objects.filter(pk=list_id).first()
        if queue_list is None:
            logger.warning("queues.publish: list %s no longer exists", list_id)
            return
        from accounts.models import User

        user = User.objects.filter(pk=requested_by).first() if requested_by else None
        try:
            snapshot, created = start_publication(queue_list, kind=kind, name=name, requested_by=user)
        except NameTaken:
            logger.info("queues.publish: %s %r is already published", queue_list.code, name)
            return
        if not created:
            raise ListBusy(f"list {queue_list.code} is being published (snapshot {snapshot.pk}); retry later")
        snapshot_id = snapshot.pk
    transaction.on_commit(lambda: generate_snapshot(snapshot_id))
