"""Delivering outbox messages exactly once per message, whichever worker or relay gets there first."""

import logging

from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage

log = logging.getLogger(__name__)
HANDLERS: dict = {}


def handler(topic: str):
    def register(func):
        HANDLERS[topic] = func
        return func

    return register


def dispatch(message_ids: int | list[int]) -> None:
    """Hand the messages to Celery (one task for a transaction's messages); if the broker is unreachable they
    stay pending for the relay."""
    from .tasks import deliver_message, deliver_messages

    ids = [message_ids] if isinstance(message_ids, int) else list(message_ids)
    if not ids:
        return
    try:
        if len(ids) == 1:
            deliver_message.delay(ids[0])
        else:
            deliver_messages.delay(ids)
    except Exception as exc:  # broker down: the periodic relay retries, nothing is lost
        log.warning("outbox %s not enqueued (%s); the relay will retry", ids, exc)


def deliver(message_id: int) -> bool:
    """Run the handler under a row lock; a second delivery of the same message is a no-op."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.delivered_at is not None:
            return False
        func = HANDLERS.get(message.topic)
        if func is None:
            message.attempts += 1
            message.last_error = f"no handler for topic {message.topic}"
            message.save(update_fields=["attempts", "last_error"])
            return False
        func(**message.payload)
        message.delivered_at = timezone.now()
        message.attempts += 1
        message.save(update_fields=["delivered_at", "attempts"])
        return True


def relay_pending(limit: int = 500) -> int:
    ids = list(OutboxMessage.objects.filter(delivered_at__isnull=True).values_list("pk", flat=True)[:limit])
    for start in range(0, len(ids), 50):
        dispatch(ids[start:start + 50])
    return len(ids)
