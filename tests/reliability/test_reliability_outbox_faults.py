"""Nothing lost: real Celery workers, a real Redis and PostgreSQL, killed and restarted on purpose.

Every service here is private to the test (fault_support.py): a redis-server on a free loopback port, worker
processes in their own process groups, and for the restart test a throw-away PostgreSQL cluster. The shared
Redis and PostgreSQL other tests use are never touched. The workers read the committed rows of the pytest
database (transaction=True), so they see exactly what the test wrote.
"""

import email
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from applications.models import Application
from applications.services.intake import accept_application
from audit.models import OutboxMessage
from notifications.models import Message
from notifications.services import email_message_id, idempotency_key
from notifications.sms import read_simulator_log
from tests.factories import intake_request
from tests.reliability.fault_support import (
    ROOT,
    PrivateCluster,
    RedisServer,
    Worker,
    child_of,
    database_url,
    free_port,
    port_open,
    service_env,
    synthetic_person,
    wait_until,
)
from tests.reliability_figures import record_figures

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="workers in other processes need the PostgreSQL test database; "
                              "CI runs it with DATABASE_URL"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
]

SCRIPT = Path(__file__).with_name("intake_script.py")


@pytest.fixture
def services(tmp_path):
    """Started services, all stopped at the end whatever happens (before the test database is flushed)."""
    started = []
    yield started
    for service in reversed(started):
        if isinstance(service, Worker):
            service.kill()
        elif isinstance(service, RedisServer):
            service.stop()
        elif isinstance(service, PrivateCluster):
            service.destroy()


def sent_sms(log_path) -> list[dict]:
    return [r for r in read_simulator_log(log_path) if r["status"] == "sent"]


def expected_keys(cases) -> dict[str, Application]:
    return {idempotency_key(case, "application_accepted", "sms"): case for case in cases}


def mail_message_ids(tmp: Path) -> list[str]:
    """Message-IDs of every e-mail the file backend wrote (one file per connection, messages separated)."""
    ids = []
    for path in sorted((tmp / "var" / "outbox-mail").glob("*.log")):
        for chunk in path.read_text(errors="replace").split("-" * 79):
            if chunk.strip():
                ids.append(email.message_from_string(chunk.strip()).get("Message-ID"))
    return ids


def assert_each_sent_once(cases, tmp: Path) -> dict:
    """Every outbox message delivered once; one Message per case and channel; one SMS per key in the gateway."""
    case_ids = [c.pk for c in cases]
    pending = OutboxMessage.objects.filter(delivered_at__isnull=True)
    assert not pending.exists(), list(pending.values("topic", "payload", "attempts", "last_error"))
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}  # a crashed attempt rolled back

    messages = Message.objects.filter(application_id__in=case_ids)
    per_key = Counter(messages.values_list("application_id", "kind", "channel", "reference"))
    assert len(per_key) == 3 * len(cases) and set(per_key.values()) == {1}

    log = read_simulator_log(tmp / "sms.jsonl")
    sent = [r for r in log if r["status"] == "sent"]
    per_sms_key = Counter(r["key"] for r in sent)
    assert set(per_sms_key) == set(expected_keys(cases)) and set(per_sms_key.values()) == {1}
    assert len(sent) == len(cases)
    references = {r["key"]: r["reference"] for r in sent}
    for message in messages.filter(channel="sms").select_related("application"):
        assert message.gateway_reference == references[idempotency_key(message.application, message.kind, "sms")]

    mail_ids = Counter(mail_message_ids(tmp))
    assert set(mail_ids) == {email_message_id(idempotency_key(c, "application_accepted", "email")) for c in cases}
    return {"sms_sent": len(sent), "sms_duplicates_answered": sum(r["status"] == "duplicate" for r in log),
            "emails_distinct": len(mail_ids), "emails_resent_same_message_id": sum(mail_ids.values()) - len(mail_ids)}


def test_worker_killed_mid_sending_then_each_notification_goes_out_once(department, users, tmp_path, services,
                                                                       monkeypatch):
    """SIGKILL a worker while it sends; a new worker (and the relay) finish the job, nobody is texted twice."""
    started = time.monotonic()
    count, sms_delay, visibility = 30, 0.5, 2
    monkeypatch.setattr("audit.relay.dispatch", lambda message_id: None)  # promised, not yet handed to a broker
    cases = [accept_application(intake_request(department, users["operator"], person=synthetic_person(i)))
             for i in range(count)]
    messages = list(OutboxMessage.objects.filter(delivered_at__isnull=True).order_by("pk"))
    assert len(messages) == 2 * count  # the receipt PDF and the notification of every case

    redis = RedisServer(free_port(), tmp_path).start()
    services.append(redis)
    env = service_env(tmp_path, database_url=database_url(connection.settings_dict), redis_url=redis.url,
                      KEZEK_SMS_SIMULATOR_DELAY=sms_delay, KEZEK_BROKER_VISIBILITY_TIMEOUT=visibility,
                      KEZEK_OUTBOX_RELAY_SECONDS=2)
    from celery import Celery

    client = Celery("fault-client", broker=redis.url)
    for message in messages:
        client.send_task("audit.deliver_message", args=[message.pk])

    first = Worker(env, tmp_path, "first").start()
    services.append(first)
    log_path = tmp_path / "sms.jsonl"
    wait_until(lambda: len(sent_sms(log_path)) >= 5, 60, interval=0.02, what="the first worker to send 5 SMS")
    first.kill()
    killed_at = time.monotonic()
    sms_at_kill = len(sent_sms(log_path))
    committed_at_kill = Message.objects.filter(channel="sms").count()
    # the kill landed in the crash window: the gateway took an SMS whose Message row never committed
    assert sms_at_kill > committed_at_kill, (sms_at_kill, committed_at_kill)
    assert OutboxMessage.objects.filter(delivered_at__isnull=True).exists()
    import redis as redis_client

    broker = redis_client.Redis.from_url(redis.url)
    unacked_at_kill = set(broker.hkeys("unacked"))  # what the killed worker had taken (acks_late: not acknowledged)
    assert unacked_at_kill

    time.sleep(max(0.0, visibility + 0.5 - (time.monotonic() - killed_at)))  # the unacked task is visible again
    # two processes and the relay: tasks re-sent by the relay or restored by the broker must be harmless
    second = Worker(dict(env, KEZEK_SMS_SIMULATOR_DELAY="0"), tmp_path, "second", beat=True, concurrency=2).start()
    services.append(second)
    wait_until(lambda: not OutboxMessage.objects.filter(delivered_at__isnull=True).exists(), 90, interval=0.2,
               what="every outbox message to be delivered")
    recovered = time.monotonic() - killed_at
    # the broker gave the killed worker's unacknowledged task to the new worker, which ran and acknowledged it
    restored = wait_until(lambda: not unacked_at_kill & set(broker.hkeys("unacked")), 20,
                          what="the killed worker's task to be redelivered after the visibility timeout")
    second.kill()

    figures = assert_each_sent_once(cases, tmp_path)
    assert figures["sms_duplicates_answered"] >= 1  # the redelivery re-sent with the same key; the gateway refused
    record_figures("worker_killed", {
        "cases": count, "outbox_messages": len(messages), "sms_sent_before_kill": sms_at_kill,
        "sms_in_flight_at_kill": sms_at_kill - committed_at_kill, "recovery_seconds": round(recovered, 1),
        "unacked_tasks_at_kill": len(unacked_at_kill), "unacked_tasks_redelivered_by_broker": restored,
        "test_seconds": round(time.monotonic() - started, 1), **figures,
    })


def test_redis_down_during_intake_then_messages_go_out_when_it_returns(department, users, tmp_path, services):
    """Applications are accepted with no broker at all; the relay sends their messages once Redis is back."""
    started = time.monotonic()
    count = 5
    port = free_port()
    assert not port_open(port)
    env = service_env(tmp_path, database_url=database_url(connection.settings_dict),
                      redis_url=f"redis://127.0.0.1:{port}/0",
                      KEZEK_OUTBOX_RELAY_SECONDS=1)
    out = tmp_path / "intake.json"
    run = subprocess.run([sys.executable, str(SCRIPT), "once", "--count", str(count), "--out", str(out)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    accepted = json.loads(out.read_text())
    numbers = [a["number"] for a in accepted["accepted"]]
    cases = list(Application.objects.filter(number__in=numbers))
    assert len(cases) == count  # committed, although no broker took a single task
    assert "not enqueued" in run.stderr  # dispatch logged it; the applicant saw no error
    pending = OutboxMessage.objects.filter(delivered_at__isnull=True)
    assert pending.count() == 2 * count and not Message.objects.exists()

    redis = RedisServer(port, tmp_path).start()
    services.append(redis)
    redis_back = time.monotonic()
    worker = Worker(env, tmp_path, "relay", beat=True, concurrency=2).start()
    services.append(worker)
    wait_until(lambda: not pending.exists(), 90, interval=0.2, what="the relay to deliver every pending message")
    delivered_after = time.monotonic() - redis_back
    worker.kill()

    figures = assert_each_sent_once(cases, tmp_path)
    record_figures("redis_down", {
        "cases": count, "intake_seconds_per_case_without_broker": round(max(accepted["seconds"]), 2),
        "delivered_seconds_after_redis_returned": round(delivered_after, 1),
        "test_seconds": round(time.monotonic() - started, 1), **figures,
    })


HALF_WRITTEN_SQL = """
SELECT a.number FROM applications_application a
WHERE (SELECT count(*) FROM applications_consent c WHERE c.application_id = a.id) <> 3
   OR (SELECT count(*) FROM applications_familymember f WHERE f.application_id = a.id) <> 1
   OR NOT EXISTS (SELECT 1 FROM applications_caseevent e WHERE e.application_id = a.id AND e.action = 'accept')
   OR NOT EXISTS (SELECT 1 FROM documents_issueddocument d
                  WHERE d.application_id = a.id AND d.kind = 'acceptance_receipt'
                  AND EXISTS (SELECT 1 FROM audit_outboxmessage r WHERE r.dedupe_key = 'render:' || d.id))
   OR (a.queue_list_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM queues_queueentry q
                                                   WHERE q.application_id = a.id AND q.queue_seq = a.queue_seq))
   OR NOT EXISTS (SELECT 1 FROM audit_outboxmessage o WHERE o.dedupe_key = 'accepted:' || a.id)
"""
BLOCK_COUNTERS_SQL = """
SELECT b.queue_list_id, b.block_no FROM queues_queueblock b
LEFT JOIN (SELECT queue_list_id, block_no, count(*) AS total, count(*) FILTER (WHERE active) AS active
           FROM queues_queueentry GROUP BY 1, 2) q USING (queue_list_id, block_no)
WHERE b.total_count <> coalesce(q.total, 0) OR b.active_count <> coalesce(q.active, 0)
"""


def read_attempts(path: Path) -> list[dict]:
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.endswith("}")]


def test_postgres_restart_during_load_loses_no_acknowledged_application(department, users, tmp_path, services):
    """Intake threads keep accepting while a private PostgreSQL is restarted twice (fast, then immediate = crash).

    The load drives applications.services.intake.accept_application in 4 threads of one process, each with its
    own connection (not HTTP: the portal requires EDS signatures); `ok` means the service returned, so the
    transaction committed, which is when the web view would answer with the receipt."""
    import psycopg2

    reason = PrivateCluster.unavailable_reason()
    if reason:
        pytest.skip(reason)
    from tests.reliability.fault_support import postgres_bin_dir

    started = time.monotonic()
    cluster = PrivateCluster(postgres_bin_dir())
    services.append(cluster)
    cluster.init().start()
    # the test database as it stands (schema, triggers, sequences, reference data, department, users), copied
    cluster.psql("postgres", "CREATE DATABASE kezek_fault")
    dump = subprocess.run([str(cluster.bin_dir / "pg_dump"), "-Fc", "-d", database_url(connection.settings_dict)],
                          check=True, capture_output=True, timeout=120).stdout
    subprocess.run([str(cluster.bin_dir / "pg_restore"), "--no-owner", "--no-acl", "-d", cluster.url("kezek_fault")],
                   input=dump, check=True, capture_output=True, timeout=120)
    env = service_env(tmp_path, database_url=cluster.url("kezek_fault"), redis_url="", DATABASE_CONN_MAX_AGE=60)
    out, stop, load_log = tmp_path / "attempts.jsonl", tmp_path / "stop", open(tmp_path / "load.log", "w+")
    load = subprocess.Popen([sys.executable, str(SCRIPT), "load", "--threads", "4", "--out", str(out),
                             "--stop", str(stop), "--max-seconds", "90"], cwd=ROOT, env=env,
                            stdout=load_log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def acknowledged(after=0.0):
            return sum(1 for a in read_attempts(out) if a["ok"] and a["at"] > after)

        downtime, since = {}, 0.0
        for mode in ("fast", "immediate"):
            wait_until(lambda: acknowledged(since) >= 25, 60,
                       what=f"25 accepted applications before the {mode} restart")
            downtime[mode] = round(cluster.restart(mode), 2)
            since = time.time()
        wait_until(lambda: acknowledged(since) >= 25, 60, what="25 accepted applications after the last restart")
        stop.touch()
        load.wait(60)
    finally:
        if load.poll() is None:
            load.kill()
            load.wait(10)
    load_log.seek(0)
    assert load.returncode == 0, load_log.read()[-3000:]
    load_log.close()

    attempts = read_attempts(out)
    ok = [a for a in attempts if a["ok"]]
    failed = [a for a in attempts if not a["ok"]]
    with psycopg2.connect(cluster.url("kezek_fault")) as db, db.cursor() as cur:
        cur.execute("SELECT a.number, p.iin, a.queue_seq FROM applications_application a "
                    "JOIN applications_person p ON p.id = a.applicant_id")
        stored = cur.fetchall()
        cur.execute(HALF_WRITTEN_SQL)
        half_written = [row[0] for row in cur.fetchall()]
        cur.execute(BLOCK_COUNTERS_SQL)
        bad_blocks = cur.fetchall()
    db.close()
    numbers = {row[0] for row in stored}
    lost = [a["number"] for a in ok if a["number"] not in numbers]
    assert not lost, f"acknowledged but not in the database: {lost}"
    assert not half_written, f"half-written cases: {half_written}"
    assert not bad_blocks, f"queue block counters out of step: {bad_blocks}"
    assert len({row[2] for row in stored}) == len(stored)  # no duplicate queue keys
    assert failed, "the restarts should have failed some requests in flight"
    stored_iins = {row[1] for row in stored}
    committed_anyway = sum(synthetic_person(a["index"]).iin in stored_iins for a in failed)
    assert len(stored) == len(ok) + committed_anyway  # nothing in the database that nobody asked for
    record_figures("postgres_restart", {
        "acknowledged": len(ok), "failed_requests": len(failed), "failed_but_committed": committed_anyway,
        "cases_in_database": len(stored), "lost": len(lost), "half_written": len(half_written),
        "restart_seconds": downtime, "errors": dict(Counter(a["error"].split(":")[0] for a in failed)),
        "test_seconds": round(time.monotonic() - started, 1),
    })
