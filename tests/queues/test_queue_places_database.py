"""What the database itself guarantees about places and the log, whoever writes the rows."""

import io

import pytest
from django.db import IntegrityError, InternalError, OperationalError, connection, transaction

from applications.models import CaseState
from queues.models import BLOCK_SIZE, EventKind, QueueBlock, QueueEntry, QueueEvent
from queues.selectors import RANK_SQL, position
from queues.services import entries
from queues.services.ledger import export_log
from queues.verify_tool import read_log, replay
from tests.factories import file_case
from tests.queue_places import new_list, new_place

DB_ERRORS = (IntegrityError, InternalError, OperationalError)


@pytest.mark.django_db
def test_accepting_a_case_takes_its_place_and_logs_it(department, users):
    case = file_case(department, users["operator"])
    entry = QueueEntry.objects.get(application=case)
    assert (entry.status, entry.active, entry.queue_list_id) == ("pending", True, case.queue_list_id)
    assert (entry.accepted_at, entry.queue_seq) == (case.accepted_at, case.queue_seq)
    event = QueueEvent.objects.get(entry=entry)
    assert event.kind == EventKind.ENTERED and entry.place_event_hash == event.hash
    assert case.applicant.iin not in str(event.data) and case.applicant.surname not in str(event.data)
    assert position(entry) == 1


@pytest.mark.django_db
def test_counters_follow_direct_row_changes(department, users):
    queue_list = new_list(department.provider)
    places = [new_place(queue_list, users["operator"]) for _ in range(5)]
    QueueEntry.objects.filter(pk=places[1].pk).update(active=False, status="withdrawn")  # bypassing the services
    block = QueueBlock.objects.get(queue_list=queue_list, block_no=0)
    assert (block.active_count, block.total_count) == (4, 5)
    last = QueueEntry.objects.get(pk=places[-1].pk)
    assert position(last) == 4


@pytest.mark.django_db
def test_a_full_block_opens_the_next_and_numbers_span_blocks(department, users, monkeypatch):
    monkeypatch.setattr(entries, "BLOCK_SIZE", 3)
    queue_list = new_list(department.provider)
    places = [new_place(queue_list, users["operator"]) for _ in range(8)]
    assert [QueueEntry.objects.get(pk=p.pk).block_no for p in places] == [0, 0, 0, 1, 1, 1, 2, 2]
    entries.register_entry(places[0].application)
    entries.remove_entry(places[0], ground="OWN_REQUEST", legal_basis="art. 73", request_id=0)
    for expected, place in enumerate(places[1:], start=1):
        place = QueueEntry.objects.get(pk=place.pk)
        assert position(place) == expected
        with connection.cursor() as cursor:
            cursor.execute(RANK_SQL, [queue_list.pk, connection.ops.adapt_datetimefield_value(place.accepted_at), place.queue_seq])
            assert cursor.fetchone()[0] + 1 == expected
    assert BLOCK_SIZE >= 256  # the real block size keeps the in-block count small but the block list short


@pytest.mark.django_db
def test_the_key_of_a_place_cannot_change(department, users):
    entry = new_place(new_list(department.provider), users["operator"])
    for change in ({"queue_seq": entry.queue_seq + 1}, {"block_no": 7}, {"accepted_at": entry.accepted_at.replace(year=2001)}):
        with pytest.raises(DB_ERRORS), transaction.atomic():
            QueueEntry.objects.filter(pk=entry.pk).update(**change)


@pytest.mark.django_db
def test_the_log_refuses_updates(department, users):
    entry = new_place(new_list(department.provider), users["operator"])
    with pytest.raises(DB_ERRORS), transaction.atomic():
        QueueEvent.objects.filter(entry=entry).update(kind="housed")


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_log_refuses_deletes_on_postgresql(department, users):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps DELETE for Django's test flush")
    entry = new_place(new_list(department.provider), users["operator"])
    with pytest.raises(DB_ERRORS), transaction.atomic():
        QueueEvent.objects.filter(entry=entry).delete()


@pytest.mark.django_db
def test_active_flag_must_match_status(department, users):
    entry = new_place(new_list(department.provider), users["operator"])
    with pytest.raises(IntegrityError), transaction.atomic():
        QueueEntry.objects.filter(pk=entry.pk).update(status="removed")


@pytest.mark.django_db
def test_the_chain_replays_and_a_changed_link_is_found(department, users):
    queue_list = new_list(department.provider)
    places = [new_place(queue_list, users["operator"]) for _ in range(4)]
    entries.register_entry(places[2].application)
    entries.on_case_transition(places[1].application, "sign_refusal")
    out = io.StringIO()
    export_log(queue_list, out)
    lines = out.getvalue().splitlines()
    code, events = read_log(lines)
    state = replay(code, events)
    assert [r["application_number"] for r in state.active_rows()] == [places[i].application.number for i in (0, 2, 3)]
    tampered = lines[:]
    tampered[2] = tampered[2].replace(places[1].application.number, places[3].application.number)
    with pytest.raises(Exception, match="hash|entered twice"):
        replay(*read_log(tampered))


@pytest.mark.django_db
def test_case_workflow_moves_the_place(department, users, eds_not_required):
    from applications.services import review

    case = file_case(department, users["operator"])
    review.withdraw(case, users["citizen"], "moved")
    entry = QueueEntry.objects.get(application=case)
    assert (entry.status, entry.active) == ("withdrawn", False)
    assert case.__class__.objects.get(pk=case.pk).state == CaseState.WITHDRAWN
    assert list(QueueEvent.objects.filter(entry=entry).values_list("kind", flat=True)) == ["entered", "left"]
