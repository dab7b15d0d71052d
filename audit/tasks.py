from celery import shared_task


@shared_task(name="audit.deliver_message", acks_late=True)
def deliver_message(message_id: int) -> bool:
    from .relay import deliver

    return deliver(message_id)


@shared_task(name="audit.relay_outbox")
def relay_outbox() -> int:
    from .relay import relay_pending

    return relay_pending()
