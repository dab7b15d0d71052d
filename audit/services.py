"""Writing audit events and outbox messages, always inside the caller's transaction."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

from accounts.models import Role
from core.client_ip import client_ip  # one reading of the address everywhere (KEZEK_TRUSTED_PROXIES); re-exported

from .models import AuditEvent, OutboxMessage


class _Batch:
    def __init__(self):
        self.events: list[AuditEvent] = []
        self.messages: dict[str, OutboxMessage] = {}  # by dedupe key: a key promised twice is one message


_batch: ContextVar[_Batch | None] = ContextVar("audit_batch", default=None)


@contextmanager
def batched_writes():
    """Audit events and outbox messages recorded inside go to the database as one INSERT each when the block ends
    without an error, still inside the caller's transaction (intake records two of each per case). Inside the
    block record_event and enqueue return rows without a primary key yet. A block inside another joins it."""
    if _batch.get() is not None:
        yield
        return
    batch = _Batch()
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
    if batch.events:
        AuditEvent.objects.bulk_create(batch.events)
    if batch.messages:
        for message in _insert_messages(list(batch.messages.values())):
            _kick_after_commit(message.pk)


def record_event(*, actor, action: str, obj, data: dict | None = None, ip_address: str | None = None) -> AuditEvent:
    """`obj` is a model instance, or an ("object_type", "object_id") pair for things without a row."""
    if isinstance(obj, tuple):
        object_type, object_id = obj
    else:
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
    event = AuditEvent(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_role=getattr(actor, "role", "") or "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data or {},
        ip_address=ip_address,
    )
    batch = _batch.get()
    if batch is not None:
        batch.events.append(event)
    else:
        event.save(force_insert=True)
    return event


def record_staff_read(request, action: str, obj, **data) -> AuditEvent | None:
    """Log that a staff member looked at someone's personal data (issue 8): one INSERT, no reads.

    Citizens reading their own case, documents and scans are not logged (access already limits them to
    their own data); neither are anonymous requests, which never reach personal data.
    """
    user = request.user
    if not (user and user.is_authenticated) or user.role == Role.APPLICANT:
        return None
    return record_event(actor=user, action=action, obj=obj, data=data, ip_address=client_ip(request))


def enqueue(topic: str, payload: dict, *, dedupe_key: str) -> OutboxMessage:
    """Promise a side effect; delivered after commit, or by the periodic relay if the broker is down."""
    message = OutboxMessage(topic=topic, payload=payload, dedupe_key=dedupe_key)
    batch = _batch.get()
    if batch is not None:
        return batch.messages.setdefault(dedupe_key, message)
    (message,) = _insert_messages([message])
    _kick_after_commit(message.pk)
    return message


def _insert_messages(messages: list[OutboxMessage]) -> list[OutboxMessage]:
    # one INSERT … ON CONFLICT (dedupe_key) instead of SELECT + SAVEPOINT + INSERT: intake enqueues on every case.
    # The no-op update of an existing row only makes PostgreSQL return its id; its content is never changed.
    return OutboxMessage.objects.bulk_create(
        messages, update_conflicts=True, unique_fields=["dedupe_key"], update_fields=["dedupe_key"],
    )


def _kick(message_id: int) -> None:
    from .relay import dispatch

    dispatch(message_id)


class _Kick:
    """The messages one transaction promised, handed to the broker in one publish once it commits."""

    def __init__(self, message_id: int):
        self.ids = [message_id]
        self.ran = False

    def __call__(self) -> None:
        from .relay import dispatch

        self.ran = True
        dispatch(self.ids)


def _kick_after_commit(message_id: int) -> None:
    """With a real broker, a transaction's messages share one publish (intake promises two per case): the first
    message registers a kick, later ones join it. Django drops a kick registered inside a savepoint that rolls
    back, together with that savepoint's messages; an id whose row rolled back is a no-op for the deliverer.

    With eager Celery (tests, the demo without Redis) every message keeps its own callback, because test
    helpers run and capture on-commit callbacks by position in the list, which joining would defeat."""
    from django.conf import settings

    connection = transaction.get_connection()
    if settings.CELERY_TASK_ALWAYS_EAGER or not connection.in_atomic_block:
        transaction.on_commit(lambda: _kick(message_id))
        return
    for _savepoints, func, _robust in reversed(connection.run_on_commit):
        if isinstance(func, _Kick) and not func.ran:
            func.ids.append(message_id)
            return
    transaction.on_commit(_Kick(message_id))
