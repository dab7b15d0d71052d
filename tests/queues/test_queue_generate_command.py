"""`generate_queue`: synthetic places that every queue rule and check accepts as real.

Tiny N here; the million is made by `make bench` (bench/queue_bench.py), never in the test suite.

On PostgreSQL the rows go in with COPY under the bulk-load switch, so these tests also prove that the block
counters are rebuilt, the chains verify and the sequences stay ahead; on SQLite the same rows go through the ORM.
"""

import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from applications.models import Application, CaseState, Person
from core.sequences import QUEUE_KEY, next_value
from eligibility.iin import parse_iin
from queues.models import BLOCK_SIZE, EntryStatus, EventKind, LedgerHead, QueueBlock, QueueEntry, QueueEvent, QueueList
from queues.selectors import RANK_SQL, housed_per_year, position, position_history
from queues.services import synthetic
from queues.services.ledger import export_log
from queues.verify_tool import read_log, replay

pytestmark = pytest.mark.django_db


def _generate(*args):
    out = io.StringIO()
    call_command("generate_queue", *args, stdout=out)
    return out.getvalue()


def _bench_lists():
    return list(QueueList.objects.filter(provider__code=synthetic.PROVIDER_CODE).order_by("code"))


def _rank(entry):
    with connection.cursor() as cursor:
        at = connection.ops.adapt_datetimefield_value(entry.accepted_at)  # raw SQL: the column's own text on SQLite
        cursor.execute(RANK_SQL, [entry.queue_list_id, at, entry.queue_seq])
        return cursor.fetchone()[0] + 1


def test_places_are_real_registered_and_numbered_by_rank(reference_data):
    output = _generate("--entries", "700", "--lists", "3")
    assert "generated 700 active entries" in output and "3 lists" in output
    lists = _bench_lists()
    assert [q.code for q in lists] == ["bench-01", "bench-02", "bench-03"]
    active = QueueEntry.objects.filter(queue_list__in=lists, active=True)
    assert active.count() == 700
    assert sorted(Counter(active.values_list("queue_list_id", flat=True)).values()) == [233, 233, 234]
    assert set(active.values_list("status", flat=True)) == {EntryStatus.REGISTERED}
    for queue_list in lists:
        places = list(QueueEntry.objects.filter(queue_list=queue_list).select_related("application")
                      .order_by("accepted_at", "queue_seq"))
        housed = [p for p in places if not p.active]
        assert len(housed) == synthetic.housed_for(len(places) - len(housed)) > 0
        assert places[:len(housed)] == housed  # housing went in queue order
        for ordinal, entry in enumerate(places):
            assert entry.block_no == ordinal // BLOCK_SIZE
            assert entry.application.state == (CaseState.QUEUED if entry.active else CaseState.HOUSED)
            assert (entry.application.accepted_at, entry.application.queue_seq) == entry.key
            assert entry.registered_on == timezone.localtime(entry.accepted_at).date()
            if entry.active:
                number = position(entry)
                assert number == _rank(entry) == ordinal - len(housed) + 1
                assert entry.notified_number >= number  # a notified number never grows
                first, steps = position_history(entry)
                assert first == entry.notified_number
                assert (steps[-1].number_after if steps else first) == number
        keys = [p.key for p in places]
        assert keys == sorted(keys) and keys[0][0].year == 2008


def test_block_counters_match_the_places(reference_data):
    _generate("--entries", "2500", "--lists", "1")
    queue_list = _bench_lists()[0]
    counted = Counter()
    totals = Counter()
    for block_no, active in QueueEntry.objects.filter(queue_list=queue_list).values_list("block_no", "active"):
        totals[block_no] += 1
        counted[block_no] += active
    blocks = {b.block_no: (b.active_count, b.total_count) for b in QueueBlock.objects.filter(queue_list=queue_list)}
    assert blocks == {n: (counted[n], totals[n]) for n in totals}
    assert len(blocks) == 3  # 2575 places in blocks of 1024
    last = QueueEntry.objects.filter(queue_list=queue_list, active=True).order_by("-accepted_at", "-queue_seq").first()
    assert position(last) == 2500


def test_the_hash_chain_verifies_and_wait_history_exists(reference_data):
    _generate("--entries", "600", "--lists", "2")  # 9 housed per list: at least one in each of five years
    for queue_list in _bench_lists():
        out = io.StringIO()
        last = export_log(queue_list, out)
        head = LedgerHead.objects.get(queue_list=queue_list)
        assert last == head.seq == QueueEvent.objects.filter(queue_list=queue_list).count()
        code, events = read_log(out.getvalue().splitlines())
        state = replay(code, events)
        assert state.head == head.hash
        expected = list(QueueEntry.objects.filter(queue_list=queue_list, active=True).select_related("application")
                        .order_by("accepted_at", "queue_seq").values_list("application__number", "initials"))
        assert [(r["application_number"], r["initials"]) for r in state.active_rows()] == expected
        kinds = Counter(e["kind"] for e in events)
        places = QueueEntry.objects.filter(queue_list=queue_list).count()
        assert kinds[EventKind.ENTERED] == kinds[EventKind.REGISTERED] == places
        places_here = QueueEntry.objects.filter(queue_list=queue_list)
        assert kinds[EventKind.HOUSED] == places_here.filter(status=EntryStatus.HOUSED).count()
        entered = {e.entry_id: e.hash for e in QueueEvent.objects.filter(queue_list=queue_list, kind=EventKind.ENTERED)}
        assert all(entered[pk] == h for pk, h in places_here.values_list("pk", "place_event_hash"))
        history = housed_per_year(queue_list.pk)
        assert sum(n for _, n in history[:-1]) == kinds[EventKind.HOUSED]  # all in the last five full years
        assert all(n > 0 for _, n in history[:-1])


def test_iins_are_valid_unique_and_never_the_simulators(reference_data):
    _generate("--entries", "300", "--lists", "2")
    people = list(Person.objects.filter(applications__provider__code=synthetic.PROVIDER_CODE))
    assert len(people) == len({p.iin for p in people}) == 300 + 2 * synthetic.housed_for(150)
    simulator = set(json.dumps(json.loads(synthetic.SIMULATOR_PEOPLE.read_text(encoding="utf-8"))).split('"'))
    for person in people:
        parsed = parse_iin(person.iin)
        assert (parsed.birth_date, parsed.sex) == (person.birth_date, person.sex)
        assert 9000 <= int(person.iin[7:11]) <= 9999
        assert person.iin not in simulator
        person.full_clean(exclude=["user"])


def test_appending_adds_new_lists_and_keys_stay_ahead(reference_data):
    _generate("--entries", "50", "--lists", "2")
    with pytest.raises(CommandError, match="--append"):
        _generate("--entries", "10", "--lists", "1")
    _generate("--entries", "30", "--lists", "1", "--append", "--long-list", "30")
    assert [q.code for q in _bench_lists()] == ["bench-01", "bench-02", "bench-03"]
    assert QueueEntry.objects.filter(queue_list__code="bench-03", active=True).count() == 30
    cases = Application.objects.filter(provider__code="bench")
    assert cases.values("applicant").distinct().count() == cases.count()
    top = Application.objects.order_by("-queue_seq").values_list("queue_seq", flat=True).first()
    assert next_value(QUEUE_KEY) > top  # real intake continues after the synthetic keys


def test_long_list_gets_exactly_its_size(reference_data):
    assert synthetic.split_sizes(1_000_000, 20, 100_000) == [100_000] + [47_369] * 8 + [47_368] * 11
    _generate("--entries", "120", "--lists", "3", "--long-list", "100")
    sizes = [QueueEntry.objects.filter(queue_list=q, active=True).count() for q in _bench_lists()]
    assert sizes == [100, 10, 10]


@pytest.mark.parametrize("args, message", [
    (["--entries", "0"], "positive"),
    (["--entries", "-5"], "positive"),
    (["--entries", "abc"], "whole number"),
    (["--entries", "5", "--lists", "0"], "positive"),
    (["--entries", "5", "--lists", "6"], "cannot exceed"),
    (["--lists", "3"], "required"),
    (["--entries", "10", "--lists", "2", "--long-list", "10"], "does not fit"),
])
def test_bad_arguments_are_refused_and_change_nothing(reference_data, args, message):
    with pytest.raises(CommandError, match=message):
        _generate(*args)
    assert not QueueList.objects.filter(provider__code=synthetic.PROVIDER_CODE).exists()


def test_bad_arguments_exit_1_without_a_traceback(tmp_path):
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = dict(os.environ, DJANGO_SETTINGS_MODULE="housing_queue.settings.test")
    result = subprocess.run([sys.executable, "manage.py", "generate_queue", "--entries", "3", "--lists", "5"],
                            cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert "cannot exceed" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.django_db(transaction=True)
def test_committed_run_with_builder_processes(reference_data):
    """Outside a test transaction: rows built in two processes, loaded, committed, then VACUUM (ANALYZE)."""
    summary = synthetic.generate(3000, 3, workers=2)
    assert summary.entries == 3000 and summary.lists == ["bench-01", "bench-02", "bench-03"]
    if connection.vendor == "postgresql":
        assert "vacuum_analyze" in summary.timings and "build_wait" in summary.timings
    for queue_list in _bench_lists():
        out = io.StringIO()
        export_log(queue_list, out)
        code, events = read_log(out.getvalue().splitlines())
        assert replay(code, events).head == LedgerHead.objects.get(queue_list=queue_list).hash
        assert sum(QueueBlock.objects.filter(queue_list=queue_list).values_list("active_count", flat=True)) == 1000
