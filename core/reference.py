"""Reference rows every application reads, kept in each process for a few seconds.

Intake reads the same small tables for every case: the settlement and its department, the category and the
documents it requires, the document types, the queue list a case joins and the regulation profile version.
An administrator changes them a few times a year. Reading them six times per application was a fifth of the
intake's cost (issue 8: ≥ 100 applications per second on two cores).

A process keeps what it read for ``KEZEK_REFERENCE_CACHE_SECONDS`` (0 turns the cache off) and forgets all of it
at once when any watched table changes in the same process (save, delete, many-to-many change), and again when
the transaction that made the change commits. Until that transaction has ended, the thread that made it neither
reads nor keeps cached rows, so rows it has not committed (or rolls back) never reach another thread. A change
made by another process is seen after at most that many seconds, the same as if it had committed that much
later. Cached rows are shared: callers read them and never change or save them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")

# the tables behind every cached value (app_label.Model); a change to any of them empties the cache
WATCHED = (
    "accounts.Provider",
    "accounts.Settlement",
    "accounts.ServiceCentre",
    "applications.Category",
    "applications.DocumentType",
    "queues.QueueList",
    "deadlines.RegulationProfileVersion",
)

_values: dict[Hashable, object] = {}
_started = 0.0  # monotonic time of the first read since the cache was last emptied
_lock = threading.Lock()
_changing = threading.local()  # .held: this thread changed a watched table in a transaction still open


def remember(key: Hashable, load: Callable[[], T]) -> T:
    """`load()`'s answer for `key`, read at most once per period per process."""
    global _started
    seconds = settings.KEZEK_REFERENCE_CACHE_SECONDS
    if seconds <= 0 or _in_changing_transaction():
        return load()  # this thread sees rows nobody else may see yet: neither serve it old ones nor keep its own
    now = time.monotonic()
    with _lock:
        if now - _started >= seconds:
            _values.clear()
            _started = now
        if key in _values:
            return _values[key]  # type: ignore[return-value]
    value = load()
    if not _in_changing_transaction():  # loading may itself have changed a watched table (a built-in profile)
        with _lock:
            _values.setdefault(key, value)
    return value


def _in_changing_transaction() -> bool:
    if getattr(_changing, "held", False):
        if connection.in_atomic_block:
            return True
        _changing.held = False  # that transaction has ended: committed (and emptied the cache) or rolled back
    return False


def forget() -> None:
    """Empty the cache (tests call it between cases)."""
    global _started
    with _lock:
        _values.clear()
        _started = 0.0
    _changing.held = False


def _changed(**_kwargs) -> None:
    """A watched table changed: empty the cache now and, for a change inside a transaction, once more when it
    commits (other threads may have read the old rows meanwhile); until then this thread keeps nothing."""
    forget()
    if connection.in_atomic_block:
        _changing.held = True
        transaction.on_commit(forget)


def watch_reference_tables() -> None:
    """Connected once from CoreConfig.ready()."""
    from django.apps import apps

    for label in WATCHED:
        model = apps.get_model(label)
        post_save.connect(_changed, sender=model, dispatch_uid=f"reference-save-{label}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"reference-delete-{label}")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_changed, sender=through, dispatch_uid=f"reference-m2m-{label}-{field.name}")
