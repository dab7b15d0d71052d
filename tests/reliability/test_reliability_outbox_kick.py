"""One publish per transaction with a real broker: the outbox's after-commit kick (audit.services.enqueue).

Transactional tests: the callbacks run on a real COMMIT, as in production, not through a capture helper.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent, OutboxMessage
from audit.services import batched_writes, enqueue, record_event
from tests.reliability_figures import tally_figures


@pytest.fixture
def dispatched(monkeypatch, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a real broker: what the batching is for
    calls = []
    monkeypatch.setattr("audit.relay.dispatch", lambda ids: calls.append(ids if isinstance(ids, int) else list(ids)))
    return calls


def _record(dispatched):
    """The message counts of one test, for docs/reliability.md."""
    published = sum(1 if isinstance(ids, int) else len(ids) for ids in dispatched)
    tally_figures("outbox_kick", add={"transactions_tested": 1, "messages_kept": OutboxMessage.objects.count(),
                                      "broker_publishes": len(dispatched), "message_ids_published": published})


@pytest.mark.django_db(transaction=True)
def test_a_transactions_messages_go_to_the_broker_in_one_publish_after_commit(dispatched):
    with transaction.atomic():
        first = enqueue("test.topic", {"n": 1}, dedupe_key="kick-1")
        second = enqueue("test.topic", {"n": 2}, dedupe_key="kick-2")
        assert dispatched == []  # nothing before the commit
    assert dispatched == [[first.pk, second.pk]]
    _record(dispatched)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_publishes_nothing_and_the_next_one_publishes_its_own(dispatched):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue("test.topic", {}, dedupe_key="kick-lost")
        raise RuntimeError("rolled back")
    with transaction.atomic():
        kept = enqueue("test.topic", {}, dedupe_key="kick-kept")
    assert dispatched == [[kept.pk]]
    assert list(OutboxMessage.objects.values_list("dedupe_key", flat=True)) == ["kick-kept"]
    _record(dispatched)


@pytest.mark.django_db(transaction=True)
def test_a_savepoint_rolled_back_keeps_the_outer_messages_kick(dispatched):
    with transaction.atomic():
        outer = enqueue("test.topic", {}, dedupe_key="kick-outer")
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue("test.topic", {}, dedupe_key="kick-inner")
            raise RuntimeError("savepoint rolled back")
        after = enqueue("test.topic", {}, dedupe_key="kick-after")
    assert len(dispatched) == 1
    # the inner message's id may ride along: its row is gone, and delivering a missing id is a no-op
    assert {outer.pk, after.pk} <= set(dispatched[0])
    assert set(OutboxMessage.objects.values_list("dedupe_key", flat=True)) == {"kick-outer", "kick-after"}
    _record(dispatched)


@pytest.mark.django_db(transaction=True)
def test_enqueue_twice_with_one_key_keeps_one_message_with_the_first_payload(dispatched):
    with transaction.atomic():
        first = enqueue("test.topic", {"n": 1}, dedupe_key="kick-same")
        again = enqueue("test.topic", {"n": 2}, dedupe_key="kick-same")
    assert first.pk == again.pk
    assert OutboxMessage.objects.get(dedupe_key="kick-same").payload == {"n": 1}
    _record(dispatched)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_message_is_published_at_once(dispatched):
    message = enqueue("test.topic", {}, dedupe_key="kick-autocommit")
    assert dispatched == [message.pk]
    _record(dispatched)


@pytest.mark.django_db
def test_one_task_delivers_each_message_once_and_a_failing_one_holds_back_nobody(monkeypatch):
    from audit import relay
    from audit.tasks import deliver_messages

    seen = []

    def handler(n):
        if n == 2:
            raise ValueError("gateway refused")
        seen.append(n)

    monkeypatch.setitem(relay.HANDLERS, "test.kick", handler)
    ids = [OutboxMessage.objects.create(topic="test.kick", payload={"n": n}, dedupe_key=f"task-{n}").pk for n in (1, 2, 3)]
    with pytest.raises(ValueError):
        deliver_messages(ids + [10**9])  # a rolled-back message's id is skipped
    assert seen == [1, 3]
    assert deliver_messages([ids[0], ids[2]]) == 0  # a re-run (worker crash, redelivery) sends nothing twice
    assert seen == [1, 3]
    pending = OutboxMessage.objects.filter(delivered_at__isnull=True).values_list("payload", flat=True)
    assert list(pending) == [{"n": 2}]  # left for the relay
    tally_figures("outbox_kick", add={"task_messages": len(ids), "task_delivered": len(seen),
                                      "task_sent_twice": len(seen) - len(set(seen)),
                                      "task_left_for_relay": len(pending)})


@pytest.mark.django_db(transaction=True)
def test_a_batch_writes_its_events_and_messages_in_one_insert_each_and_publishes_once(dispatched):
    """What intake does with its two audit events and two messages (audit.services.batched_writes)."""
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries, batched_writes():
            record_event(actor=None, action="test.first", obj=("thing", "1"))
            first = enqueue("test.topic", {"n": 1}, dedupe_key="batch-1")
            record_event(actor=None, action="test.second", obj=("thing", "2"))
            again = enqueue("test.topic", {"n": 2}, dedupe_key="batch-1")  # the same promise twice: one message
            second = enqueue("test.topic", {"n": 3}, dedupe_key="batch-2")
            assert AuditEvent.objects.count() == 0 and first.pk is None  # nothing written yet
        assert [q["sql"].split()[0] for q in queries.captured_queries][-2:] == ["INSERT", "INSERT"]
        assert len(queries.captured_queries) == 3  # the count above and one INSERT per table
        assert dispatched == []
    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)) == ["test.first", "test.second"]
    assert again is first and first.pk and second.pk
    assert OutboxMessage.objects.get(dedupe_key="batch-1").payload == {"n": 1}
    assert dispatched == [[first.pk, second.pk]]
    _record(dispatched)


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_fails_writes_nothing_and_a_nested_one_joins_the_outer(dispatched):
    with pytest.raises(RuntimeError), transaction.atomic(), batched_writes():
        record_event(actor=None, action="test.lost", obj=("thing", "1"))
        enqueue("test.topic", {}, dedupe_key="batch-lost")
        raise RuntimeError("rolled back")
    with transaction.atomic(), batched_writes():
        with batched_writes():
            inner = enqueue("test.topic", {}, dedupe_key="batch-inner")
        assert inner.pk is None  # the inner block joined the outer one: written when that ends
        outer = enqueue("test.topic", {}, dedupe_key="batch-outer")
    assert not AuditEvent.objects.filter(action="test.lost").exists()
    assert set(OutboxMessage.objects.values_list("dedupe_key", flat=True)) == {"batch-inner", "batch-outer"}
    assert dispatched == [[inner.pk, outer.pk]]
    _record(dispatched)
