"""Backups: `make backup` / `make restore` (ops/backup.py, ops/restore.py) bring back every case and every file.

The scripts run as separate processes against the committed rows of the test database, exactly as `make` runs
them; the restore goes into a fresh database on the same server, which the test drops at the end.
"""

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from applications.models import Application, Attachment, DocumentType
from applications.services.drafts import store_scan
from applications.uploads import CheckedUpload
from documents.models import IssuedDocument
from queues.models import QueueEntry
from tests.factories import file_case
from tests.reliability.fault_support import ROOT, database_url, synthetic_person
from tests.reliability_figures import record_figures

BACKUP, RESTORE = ROOT / "ops" / "backup.py", ROOT / "ops" / "restore.py"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


def ops_env(tmp_path: Path, **values) -> dict:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEZEK_", "DJANGO_", "TARGET_", "FORCE", "BACKUP"))}
    env.update(DJANGO_SETTINGS_MODULE="housing_queue.settings.local", KEZEK_VAR_DIR=str(tmp_path / "var"),
               KEZEK_BACKUP_DIR=str(tmp_path / "backups"), REDIS_URL="", PYTHONPATH=str(ROOT))
    env.update({k: str(v) for k, v in values.items()})
    return env


def run(script: Path, env: dict, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(script), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="pg_dump/pg_restore need PostgreSQL; CI runs it with DATABASE_URL")
@pytest.mark.skipif(shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
                    reason="pg_dump and pg_restore (postgresql-client) are not installed")
def test_backup_restores_into_a_fresh_database_with_every_case_and_file(department, users, settings, tmp_path):
    import psycopg2

    started = time.monotonic()
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    operator = users["operator"]
    cases = [file_case(department, operator, person=synthetic_person(i)) for i in range(4)]  # receipts rendered
    scan_type = DocumentType.objects.for_intake().first()
    for i, case in enumerate(cases):
        content = b"%PDF-1.4\n% scan " + str(i).encode() * 64
        upload = CheckedUpload(content=content, content_type="application/pdf",
                               sha256=hashlib.sha256(content).hexdigest(), original_name=f"scan-{i}.pdf")
        store_scan(upload, operator, document_type=scan_type, application=case)
    from queues.models import SnapshotKind
    from queues.services.publication import publish_list

    snapshot = publish_list(cases[0].queue_list, kind=SnapshotKind.ON_DEMAND)  # the published list's files
    assert snapshot.status == "published", snapshot.error
    original_files = tree(media)
    assert any(name.startswith("issued/") for name in original_files)
    assert any(name.startswith("documents/") for name in original_files)

    source = connection.settings_dict
    env = ops_env(tmp_path, DATABASE_URL=database_url(source), DJANGO_MEDIA_ROOT=media)
    backup_started = time.monotonic()
    made = run(BACKUP, env)
    backup_seconds = time.monotonic() - backup_started
    assert made.returncode == 0, made.stderr[-3000:]
    backup_dir = Path(made.stdout.strip().splitlines()[-1])
    assert backup_dir.parent == tmp_path / "backups" and backup_dir.name.startswith("kezek-")
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["engine"] == "postgresql" and manifest["row_counts"]["applications"] == len(cases)
    for name, meta in manifest["files"].items():
        assert sha256_file(backup_dir / name) == meta["sha256"]

    target_name = source["NAME"].removeprefix("test_") + "_restore"
    target = dict(source, NAME=target_name)
    admin = psycopg2.connect(database_url(dict(source, NAME="postgres")))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')  # left over by an interrupted run
    restored_media = tmp_path / "restored-media"
    restore_env = dict(env, TARGET_DATABASE_URL=database_url(target), TARGET_MEDIA_ROOT=restored_media)
    try:
        restore_started = time.monotonic()
        restored = run(RESTORE, restore_env, str(backup_dir))
        restore_seconds = time.monotonic() - restore_started
        assert restored.returncode == 0, restored.stderr[-3000:]

        with psycopg2.connect(database_url(target)) as db, db.cursor() as cur:
            cur.execute("SELECT number, queue_seq, accepted_at, state FROM applications_application ORDER BY number")
            assert cur.fetchall() == list(Application.objects.order_by("number")
                                          .values_list("number", "queue_seq", "accepted_at", "state"))
            cur.execute("SELECT a.number, q.accepted_at, q.queue_seq, q.status, q.block_no FROM queues_queueentry q "
                        "JOIN applications_application a ON a.id = q.application_id ORDER BY a.number")
            assert cur.fetchall() == list(QueueEntry.objects.order_by("application__number").values_list(
                "application__number", "accepted_at", "queue_seq", "status", "block_no"))
            cur.execute("SELECT file, sha256 FROM applications_attachment UNION ALL "
                        "SELECT file, sha256 FROM documents_issueddocument WHERE file <> ''")
            stored_files = cur.fetchall()
            cur.execute("SELECT nextval('applications_queue_seq')")  # the sequence continues, no key reused
            next_seq = cur.fetchone()[0]
        db.close()
        assert len(stored_files) == Attachment.objects.count() + IssuedDocument.objects.exclude(file="").count()
        for relative, sha256 in stored_files:
            assert sha256_file(restored_media / relative) == sha256, relative
        assert tree(restored_media) == original_files
        assert next_seq > max(c.queue_seq for c in cases)

        refused = run(RESTORE, restore_env, str(backup_dir))  # the restored copy is not empty any more
        assert refused.returncode == 2 and "refusing to restore over the non-empty database" in refused.stderr
        forced = run(RESTORE, dict(restore_env, FORCE="1"), str(backup_dir))
        assert forced.returncode == 0, forced.stderr[-3000:]

        damaged = tmp_path / "damaged"
        shutil.copytree(backup_dir, damaged)
        with open(damaged / "media.tar.gz", "r+b") as tar:
            tar.seek(40)
            tar.write(b"\0\0\0\0")
        rejected = run(RESTORE, dict(restore_env, FORCE="1"), str(damaged))
        assert rejected.returncode == 2 and "does not match its sha256" in rejected.stderr
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')
        admin.close()
    record_figures("backup_restore", {
        "cases": len(cases), "files": len(original_files), "backup_seconds": round(backup_seconds, 2),
        "restore_seconds": round(restore_seconds, 2), "dump_bytes": manifest["files"]["database.dump"]["bytes"],
        "test_seconds": round(time.monotonic() - started, 1),
    })


def test_sqlite_demo_database_is_copied_and_restored(tmp_path):
    """The bare-machine mode (`make run` without DATABASE_URL): the SQLite file is copied, not dumped."""
    source = tmp_path / "kezek.sqlite3"
    db = sqlite3.connect(source)
    db.executescript("""
        CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app TEXT, name TEXT, applied TEXT);
        INSERT INTO django_migrations (app, name, applied) VALUES ('applications', '0001_initial', '2026-01-01');
        CREATE TABLE applications_application (id INTEGER PRIMARY KEY, number TEXT UNIQUE);
        INSERT INTO applications_application (number) VALUES ('ALMATY-2026-0000001'), ('ALMATY-2026-0000002');
    """)
    db.commit()
    db.close()
    media = tmp_path / "media"
    (media / "issued" / "2026" / "01").mkdir(parents=True)
    (media / "issued" / "2026" / "01" / "QH-2026-00000001.pdf").write_bytes(b"%PDF-1.4 receipt")
    env = ops_env(tmp_path, DATABASE_URL=f"sqlite:///{source}", DJANGO_MEDIA_ROOT=media)
    made = run(BACKUP, env)
    assert made.returncode == 0, made.stderr[-3000:]
    backup_dir = Path(made.stdout.strip().splitlines()[-1])
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["engine"] == "sqlite" and manifest["row_counts"] == {"applications": 2}

    target = tmp_path / "restored" / "kezek.sqlite3"
    restore_env = dict(env, TARGET_DATABASE_URL=f"sqlite:///{target}",
                       TARGET_MEDIA_ROOT=tmp_path / "restored" / "media")
    restored = run(RESTORE, restore_env, str(backup_dir))
    assert restored.returncode == 0, restored.stderr[-3000:]
    rows = sqlite3.connect(target).execute("SELECT number FROM applications_application ORDER BY id").fetchall()
    assert rows == [("ALMATY-2026-0000001",), ("ALMATY-2026-0000002",)]
    assert tree(tmp_path / "restored" / "media") == tree(media)
    refused = run(RESTORE, restore_env, str(backup_dir))
    assert refused.returncode == 2 and "refusing" in refused.stderr
