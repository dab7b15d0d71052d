"""The demo database (SQLite, `make run`) keeps every protective trigger after all migrations.

Django rebuilds a table on SQLite for most field changes, and a rebuilt table has lost its triggers: a migration
that alters a protected table must change only the state there (see applications/0008, queues/0006, audit/0003).
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRIGGERS = {
    "application_queue_key_immutable": "applications_application",
    "queue_entry_key_immutable": "queues_queueentry",
    "queue_event_no_update": "queues_queueevent",
    "audit_event_no_update": "audit_auditevent",
    "deadlines_profile_version_no_update": "deadlines_regulationprofileversion",
}


def test_every_trigger_survives_all_migrations_on_sqlite(tmp_path):
    database = tmp_path / "demo.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "housing_queue.settings.local",
           "REDIS_URL": ""}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    with sqlite3.connect(database) as db:
        found = dict(db.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'").fetchall())
        assert {name: found.get(name) for name in TRIGGERS} == TRIGGERS
        # and they still refuse what they are for
        db.execute("INSERT INTO audit_auditevent (at, actor_role, action, object_type, object_id, data) "
                   "VALUES ('2026-01-01', '', 'test', 't', '1', '{}')")
        try:
            db.execute("UPDATE audit_auditevent SET action = 'changed'")
        except sqlite3.DatabaseError as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError("the audit log accepted an UPDATE")
