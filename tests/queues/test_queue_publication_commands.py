"""publish_queue_lists and verify_queue_log (CONTRACT.md), the scheduled publications through the outbox."""

import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import TestCase

from audit.models import OutboxMessage
from audit.relay import deliver
from queues.models import PublishedSnapshot, QueueEvent, QueueList, SnapshotKind, SnapshotStatus
from queues.services import entries, publication
from tests.queue_places import new_list, new_place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def small_list(department, users):
    queue_list = new_list(department.provider)
    places = [new_place(queue_list, users["operator"], surname="Құнанбаев", given_name="Абай") for _ in range(5)]
    entries.register_entry(places[0].application)
    entries.register_entry(places[1].application)
    entries.remove_entry(fresh(places[1]), ground="OWN_REQUEST", legal_basis="art. 73", request_id=1)
    return queue_list


def fresh(entry):
    from queues.models import QueueEntry

    return QueueEntry.objects.select_related("application", "queue_list").get(pk=entry.pk)


def run(*argv):
    """The command as `manage.py` runs it: (exit code, stdout, stderr). manage.py turns a CommandError into its
    message on stderr and the exit code; anything else would be a traceback (and fails the test)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*argv, stdout=out, stderr=err)
    except CommandError as exc:
        err.write(f"CommandError: {exc}\n")
        return exc.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


# --- publish_queue_lists ------------------------------------------------------------------------------------------

def test_publish_command_prints_rows_and_paths_per_list(small_list):
    code, out, err = run("publish_queue_lists", "--list", small_list.code)
    assert code == 0, err
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"{small_list.provider.code}/{small_list.code}: 4 rows")
    snapshot = PublishedSnapshot.objects.get(queue_list=small_list)
    assert snapshot.kind == SnapshotKind.ON_DEMAND and snapshot.status == SnapshotStatus.PUBLISHED
    for kind, relative in publication.snapshot_files(snapshot).items():
        path = Path(django_settings.MEDIA_ROOT) / relative
        assert f"{kind}={path}" in lines[0] and path.exists()
    code, out, _ = run("publish_queue_lists", "--list", f"{small_list.provider.code}/{small_list.code}", "--kind", "annual")
    assert code == 0 and PublishedSnapshot.objects.get(queue_list=small_list, kind="annual").name.endswith(" Q1")


def test_publish_command_publishes_every_active_list(department, small_list):
    inactive = new_list(department.provider)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    code, out, _ = run("publish_queue_lists")
    assert code == 0
    active = QueueList.objects.filter(is_active=True).count()
    assert len(out.splitlines()) == active == PublishedSnapshot.objects.filter(status="published").count()
    assert not PublishedSnapshot.objects.filter(queue_list=inactive).exists()


def test_publish_command_refuses_an_unknown_or_ambiguous_list(department, small_list):
    code, _out, err = run("publish_queue_lists", "--list", "no-such-list")
    assert code == 1 and "no-such-list" in err and not PublishedSnapshot.objects.exists()
    QueueList.objects.create(provider=department.other_provider, settlement=department.other_settlement,
                             code=small_list.code, fund="state_enterprise", category_group="GENERAL",
                             name_kk="x", name_ru="x", name_en="x")
    code, _out, err = run("publish_queue_lists", "--list", small_list.code)
    assert code == 1 and f"{department.provider.code}/{small_list.code}" in err
    code, _out, err = run("publish_queue_lists", "--kind", "weekly")
    assert code != 0 and "weekly" in err


# --- verify_queue_log ---------------------------------------------------------------------------------------------

def test_verify_command_passes_on_good_data(small_list, department):
    empty = new_list(department.provider)
    publication.publish_list(small_list, kind=SnapshotKind.MONTHLY)
    code, out, err = run("verify_queue_log", "--list", small_list.code)
    assert code == 0, out + err
    assert "FAILED" not in out and "chain of 8 events intact" in out and "4 rows follow from 8 events" in out
    assert "NOT SEALED" in out
    code, out, _ = run("verify_queue_log", "--list", empty.code)
    assert code == 0 and "no published snapshot yet" in out
    code, out, _ = run("verify_queue_log")
    assert code == 0


def test_the_database_refuses_to_alter_the_log_and_the_command_catches_an_altered_event(small_list):
    publication.publish_list(small_list, kind=SnapshotKind.MONTHLY)
    event = QueueEvent.objects.filter(queue_list=small_list).order_by("seq")[2]
    with pytest.raises(DatabaseError), transaction.atomic():
        QueueEvent.objects.filter(pk=event.pk).update(application_number="T-9999999")
    # someone with the power to switch the trigger off (inside this test's transaction only)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks on the table
            cursor.execute("ALTER TABLE queues_queueevent DISABLE TRIGGER queue_event_append_only")
        else:
            cursor.execute("DROP TRIGGER queue_event_no_update")
    QueueEvent.objects.filter(pk=event.pk).update(application_number="T-9999999")
    code, out, err = run("verify_queue_log", "--list", small_list.code)
    assert code == 1
    assert f"event {event.seq}: hash does not match its content (altered event)" in out
    assert "FAILED" in out and "check(s) FAILED" in err


def test_verify_command_catches_altered_files_of_a_snapshot(small_list):
    snapshot = publication.publish_list(small_list, kind=SnapshotKind.MONTHLY)
    files = {k: publication.media_path(p) for k, p in publication.snapshot_files(snapshot).items()}
    files["pdf"].write_bytes(files["pdf"].read_bytes() + b"\n% appended")
    code, out, _ = run("verify_queue_log", "--snapshot", str(snapshot.pk))
    assert code == 1 and "the pdf file does not match the digest in the manifest" in out
    code, out, err = run("verify_queue_log", "--snapshot", "999999")
    assert code == 1 and "999999" in err


def test_verify_command_checks_downloaded_files(small_list, tmp_path):
    snapshot = publication.publish_list(small_list, kind=SnapshotKind.MONTHLY)
    files = {k: publication.media_path(p) for k, p in publication.snapshot_files(snapshot).items()}
    args = ["verify_queue_log", "--log", str(files["log"]), "--csv", str(files["csv"])]
    code, out, _ = run(*args, "--manifest", str(files["manifest"]))
    assert code == 0 and out.startswith("OK")
    lines = files["csv"].read_text(encoding="utf-8").splitlines(True)
    lines[1], lines[2] = lines[2], lines[1]
    altered = tmp_path / "altered.csv"
    altered.write_text("".join(lines), encoding="utf-8")
    code, out, _ = run("verify_queue_log", "--log", str(files["log"]), "--csv", str(altered))
    assert code == 1 and "published row 1" in out
    log_lines = files["log"].read_text(encoding="utf-8").splitlines(True)
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(log_lines[:2] + log_lines[3:]), encoding="utf-8")
    code, out, _ = run("verify_queue_log", "--log", str(cut), "--csv", str(files["csv"]))
    assert code == 1 and "expected sequence number 2" in out
    code, out, _ = run("verify_queue_log", "--log", str(tmp_path / "missing.jsonl"), "--csv", str(files["csv"]))
    assert code == 1 and "cannot read" in out
    code, out, _ = run("verify_queue_log", "--log", str(files["csv"]), "--csv", str(files["csv"]))  # not a log
    assert code == 1 and "FAILED" in out
    code, _, err = run("verify_queue_log", "--csv", str(files["csv"]))
    assert code == 1 and "--log" in err


def test_verify_command_checks_the_seal(small_list, trust, tmp_path, settings):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    from signatures.pki import SIGNING

    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SEAL"),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "BIN990140000016")])
    (tmp_path / "seal.p12").write_bytes(trust.nca.issue(subject, usage=SIGNING).p12("x"))
    settings.KEZEK_PROVIDER_SEAL_P12, settings.KEZEK_PROVIDER_SEAL_PASSWORD = str(tmp_path / "seal.p12"), "x"
    snapshot = publication.publish_list(small_list, kind=SnapshotKind.MONTHLY)
    code, out, _ = run("verify_queue_log", "--list", small_list.code)
    assert code == 0 and "sealed by CN=SEAL" in out
    files = {k: publication.media_path(p) for k, p in publication.snapshot_files(snapshot).items()}
    code, out, _ = run("verify_queue_log", "--log", str(files["log"]), "--csv", str(files["csv"]),
                       "--manifest", str(files["manifest"]))  # the .p7s next to the manifest is found
    assert code == 0 and "sealed by CN=SEAL" in out
    # a seal over another manifest
    PublishedSnapshot.objects.filter(pk=snapshot.pk).update(manifest_signature=publication.seal(b"{}"))
    code, out, _ = run("verify_queue_log", "--list", small_list.code)
    assert code == 1 and "seal:" in out


# --- scheduled publications through the outbox ----------------------------------------------------------------------

def test_the_monthly_job_enqueues_one_message_per_active_list_once(department, small_list):
    from queues.tasks import publish_annual, publish_monthly

    active = QueueList.objects.filter(is_active=True).count()
    assert publish_monthly() == active
    assert publish_monthly() == active  # the same month again: deduplicated
    assert OutboxMessage.objects.filter(topic="queues.publish").count() == active
    publish_annual()
    assert OutboxMessage.objects.filter(topic="queues.publish").count() == 2 * active
    message = OutboxMessage.objects.get(topic="queues.publish", payload__list_id=small_list.pk, payload__kind="monthly")
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert deliver(message.pk)
    snapshot = PublishedSnapshot.objects.get(queue_list=small_list)
    assert snapshot.status == SnapshotStatus.PUBLISHED and snapshot.kind == "monthly"
    assert snapshot.name == message.payload["name"] and snapshot.row_count == 4
    assert not deliver(message.pk)  # delivered once


def test_a_scheduled_message_waits_while_the_list_is_busy_and_is_a_no_op_once_published(small_list):
    from queues.handlers import ListBusy, publish

    busy, _ = publication.start_publication(small_list, kind=SnapshotKind.ON_DEMAND)
    with pytest.raises(ListBusy):
        publish(list_id=small_list.pk, kind="monthly", name="2030-01")
    publication.generate(busy)
    with TestCase.captureOnCommitCallbacks(execute=True):
        publish(list_id=small_list.pk, kind="monthly", name="2030-01")
    assert PublishedSnapshot.objects.get(queue_list=small_list, name="2030-01").status == "published"
    with TestCase.captureOnCommitCallbacks(execute=True):
        publish(list_id=small_list.pk, kind="monthly", name="2030-01")  # already published: nothing new
    assert PublishedSnapshot.objects.filter(queue_list=small_list).count() == 2


def test_beat_schedule_and_tasks():
    from celery.schedules import crontab

    from housing_queue.celery import app

    schedule = django_settings.CELERY_BEAT_SCHEDULE
    monthly = schedule["publish-queue-lists-monthly"]
    annual = schedule["publish-queue-lists-annual"]
    assert monthly["task"] == "queues.publish_monthly" and isinstance(monthly["schedule"], crontab)
    assert monthly["schedule"].hour == {2} and monthly["schedule"].day_of_month == {1}
    assert annual["schedule"].month_of_year == {3} and annual["schedule"].day_of_month == {20}
    assert annual["schedule"].hour == {3} and django_settings.CELERY_TIMEZONE == "Asia/Almaty"
    app.loader.import_default_modules()
    for name in ("queues.publish_monthly", "queues.publish_annual", "queues.resume_publications"):
        assert name in app.tasks
