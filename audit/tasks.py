from celery import shared_task


@shared_task(name="audit.deliver_message", acks_late=True)
def deliver_message(message_id: int) -> bool:
    from .relay import deliver

    return deliver(message_id)


@shared_task(name="audit.deliver_messages", acks_late=True)
def deliver_messages(message_ids: list[int]) -> int:
    """Each message in its own transaction and row lock, so a re-run after a crash skips what went out."""
    from .relay import deliver

    delivered, failure = 0, None
    for message_id in message_ids:
        try:
            delivered += deliver(message_id)
        except Exception as exc:  # noqa: BLE001  (one failing handler must not hold back the others)
            failure = failure or exc
    if failure is not None:
        raise failure  # recorded as failed; the relay offers the undelivered ones again
    return delivered


@shared_task(name="audit.relay_outbox")
def relay_outbox() -> int:
    from .relay import relay_pending

    return relay_pending()
