"""Writing audit events and outbox messages, always inside the caller's transaction."""

from django.db import transaction

from .models import AuditEvent, OutboxMessage


def record_event(*, actor, action: str, obj, data: dict | None = None, ip_address: str | None = None) -> AuditEvent:
    """`obj` is a model instance, or an ("object_type", "object_id") pair for things without a row."""
    if isinstance(obj, tuple):
        object_type, object_id = obj
    else:
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_role=getattr(actor, "role", "") or "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data or {},
        ip_address=ip_address,
    )


def enqueue(topic: str, payload: dict, *, dedupe_key: str) -> OutboxMessage:
    """Promise a side effect; delivered after commit, or by the periodic relay if the broker is down."""
    message, _ = OutboxMessage.objects.get_or_create(
        dedupe_key=dedupe_key, defaults={"topic": topic, "payload": payload}
    )
    transaction.on_commit(lambda: _kick(message.pk))
    return message


def _kick(message_id: int) -> None:
    from .relay import dispatch

    dispatch(message_id)
