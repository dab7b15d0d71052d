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
    if name not in KNOWN:
        raise ValueError(f"unknown sequence {name}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [name])
            return cursor.fetchone()[0]
    with transaction.atomic():
        counter, _ = SequenceCounter.objects.select_for_update().get_or_create(name=name)
        counter.value += 1
        counter.save(update_fields=["value"])
        return counter.value
