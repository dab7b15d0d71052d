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


def dispatch(message_id: int) -> None:
    """Hand the message to Celery; if the broker is unreachable it stays pending for the relay."""
    from .tasks import deliver_message

    try:
        deliver_message.delay(message_id)
    except Exception as exc:  # broker down: the periodic relay retries, nothing is lost
        log.warning("outbox %s not enqueued (%s); the relay will retry", message_id, exc)


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
    for message_id in ids:
        dispatch(message_id)
    return len(ids)
