"""Gap-tolerant, concurrency-safe counters.

PostgreSQL: native sequences (no row lock, so intake does not serialise on a counter).
SQLite: a counter row; SQLite serialises writers anyway.
"""

from django.db import connection, transaction

from .models import SequenceCounter

QUEUE_KEY = "applications_queue_seq"
DOCUMENT_NUMBER = "documents_number_seq"
KNOWN = (QUEUE_KEY, DOCUMENT_NUMBER)


def create_sequences_sql() -> list[str]:
    return [f"CREATE SEQUENCE IF NOT EXISTS {name}" for name in KNOWN]


def next_value(name: str) -> int:
    return next_values(name)[0]


def next_values(*names: str) -> tuple[int, ...]:
    """The next value of each sequence, in one statement on PostgreSQL (intake takes a queue key and a receipt
    number for every case)."""
    unknown = [name for name in names if name not in KNOWN]
    if unknown or not names:
        raise ValueError(f"unknown sequence {unknown or names}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(["nextval(%s)"] * len(names)), list(names))
            return tuple(cursor.fetchone())
    return tuple(_counter_next(name) for name in names)


def _counter_next(name: str) -> int:
    with transaction.atomic():
        counter, _ = SequenceCounter.objects.select_for_update().get_or_create(name=name)
        counter.value += 1
        counter.save(update_fields=["value"])
        return counter.value
