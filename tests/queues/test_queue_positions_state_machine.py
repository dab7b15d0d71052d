"""Random histories of a list never make a notified number grow, except through a recorded restoration.

Each example gets a fresh list. The model is the plain definition (DOMAIN.md §7): a place's number is one plus
the active (pending or registered) places with an earlier key. After every step the system's numbers, read
from the block counters, must equal the model's ranks; every number shown must be no larger than the one
shown before unless a restoration ahead of it was recorded in that very step; and the published log must
replay to the same order.
"""

import io
from datetime import timedelta

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from applications.services.errors import ServiceError
from queues.models import EventKind, QueueBlock, QueueEntry, QueueEvent
from queues.selectors import RANK_SQL, position, position_history
from queues.services import entries
from queues.services.ledger import export_log
from queues.verify_tool import replay, read_log
from tests.queue_places import BASE_TIME, new_list, new_place


def _ids(values):
    return sorted(values)


class QueueHistory(RuleBasedStateMachine):
    department = None
    actor = None

    @initialize()
    def fresh_list(self):
        self.queue_list = new_list(self.department.provider)
        self.clock = BASE_TIME
        self.places: dict[int, QueueEntry] = {}
        self.status: dict[int, str] = {}
        self.shown: dict[int, int] = {}  # last number each notified place was shown
        self.restored_key = None  # key of a place restored in the current step

    def _tick(self):
        self.clock += timedelta(minutes=7)
        return self.clock

    def _active_keys(self):
        return sorted(self.places[i].key for i, s in self.status.items() if s in ("pending", "registered"))

    def _pick(self, data, wanted: str):
        ids = [i for i, s in self.status.items() if s == wanted]
        return data.draw(st.sampled_from(_ids(ids))) if ids else None

    @rule()
    def accept(self):
        self.restored_key = None
        entry = new_place(self.queue_list, self.actor, accepted_at=self._tick())
        self.places[entry.pk] = entry
        self.status[entry.pk] = "pending"

    @precondition(lambda self: len(self.places) >= 2)
    @rule(data=st.data())
    def accept_out_of_order(self, data):
        """A place whose key falls between existing ones: allowed only while nobody behind it was notified."""
        self.restored_key = None
        keys = sorted(p.accepted_at for p in self.places.values())
        i = data.draw(st.integers(min_value=0, max_value=len(keys) - 2))
        moment = keys[i] + (keys[i + 1] - keys[i]) / 2
        if moment in keys:
            return
        notified_behind = any(
            self.places[j].accepted_at > moment and self.status[j] == "registered" or
            (self.places[j].accepted_at > moment and j in self.shown and self.status[j] in ("pending", "registered"))
            for j in self.places
        )
        try:
            with transaction.atomic():
                entry = new_place(self.queue_list, self.actor, accepted_at=moment)
        except ServiceError:
            assert notified_behind, "refused a place although nobody behind it had been notified"
            return
        assert not notified_behind, "a place was put ahead of a notified number without a restoration"
        self.places[entry.pk] = entry
        self.status[entry.pk] = "pending"

    @rule(data=st.data())
    def register(self, data):
        self.restored_key = None
        pk = self._pick(data, "pending")
        if pk is None:
            return
        entry = entries.register_entry(self.places[pk].application)
        assert entry.notified_number == 1 + sum(1 for k in self._active_keys() if k < entry.key)
        self.status[pk] = "registered"
        self.shown[pk] = entry.notified_number

    @rule(data=st.data(), transition=st.sampled_from(["sign_refusal", "return_incomplete", "withdraw"]))
    def leave_before_registration(self, data, transition):
        self.restored_key = None
        pk = self._pick(data, "pending")
        if pk is None:
            return
        entries.on_case_transition(self.places[pk].application, transition)
        self.status[pk] = {"sign_refusal": "refused", "return_incomplete": "returned", "withdraw": "withdrawn"}[transition]

    @rule(data=st.data())
    def remove(self, data):
        self.restored_key = None
        pk = self._pick(data, "registered")
        if pk is None:
            return
        entries.remove_entry(self.places[pk], ground="OWN_REQUEST", legal_basis="art. 73", request_id=0)
        self.status[pk] = "removed"

    @rule(data=st.data())
    def house(self, data):
        self.restored_key = None
        pk = self._pick(data, "registered")
        if pk is None:
            return
        entries.house_entry(self.places[pk], decision_number="D-1")
        self.status[pk] = "housed"

    @rule(data=st.data(), from_status=st.sampled_from(["removed", "refused"]))
    def restore(self, data, from_status):
        self.restored_key = None
        pk = self._pick(data, from_status)
        if pk is None:
            return
        entries.restore_entry(self.places[pk], basis="COURT_ORDER", legal_basis="court 2-123/2026", request_id=0)
        self.status[pk] = "registered"
        self.restored_key = self.places[pk].key
        self.shown[pk] = QueueEntry.objects.get(pk=pk).notified_number

    @invariant()
    def numbers_are_ranks_and_never_grow_silently(self):
        if not hasattr(self, "places"):
            return
        active = self._active_keys()
        for pk, status in self.status.items():
            entry = QueueEntry.objects.get(pk=pk)
            assert entry.status == status
            if status not in ("pending", "registered"):
                assert position(entry) is None
                continue
            expected = 1 + sum(1 for k in active if k < entry.key)
            assert position(entry) == expected
            with connection.cursor() as cursor:  # the plain count agrees with the block counters
                cursor.execute(RANK_SQL, [entry.queue_list_id, connection.ops.adapt_datetimefield_value(entry.accepted_at), entry.queue_seq])
                assert cursor.fetchone()[0] + 1 == expected
            if pk in self.shown:
                before = self.shown[pk]
                if expected > before:
                    assert self.restored_key is not None and self.restored_key < entry.key and expected == before + 1, (
                        f"number of place {pk} grew from {before} to {expected} without a restoration ahead of it")
                self.shown[pk] = expected
                if status == "registered":
                    notified, steps = position_history(entry)
                    assert (steps[-1].number_after if steps else notified) == expected
                    if self.restored_key is not None and self.restored_key < entry.key:
                        assert any(EventKind.RESTORED in step.counts for step in steps)

    @invariant()
    def counters_and_log_agree(self):
        if not hasattr(self, "places"):
            return
        counted = sum(QueueBlock.objects.filter(queue_list=self.queue_list).values_list("active_count", flat=True))
        assert counted == len(self._active_keys())
        buffer = io.StringIO()
        export_log(self.queue_list, buffer)
        code, events = read_log(buffer.getvalue().splitlines())
        replayed = replay(code, events)
        assert [row["application_number"] for row in replayed.active_rows()] == [
            e.application.number for e in QueueEntry.objects.filter(queue_list=self.queue_list, active=True)
            .select_related("application").order_by("accepted_at", "queue_seq")
        ]
        assert QueueEvent.objects.filter(queue_list=self.queue_list).count() == replayed.seq


@pytest.mark.django_db
def test_random_histories_keep_numbers_honest(department, users):
    QueueHistory.department = department
    QueueHistory.actor = users["operator"]
    run_state_machine_as_test(
        QueueHistory,
        settings=settings(max_examples=40, stateful_step_count=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]),
    )
