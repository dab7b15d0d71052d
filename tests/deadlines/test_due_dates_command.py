"""``manage.py due_dates`` end to end: JSON on stdout, clear errors without tracebacks."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]


def due_dates(*args):
    out = StringIO()
    call_command("due_dates", *args, stdout=out)
    return json.loads(out.getvalue())


def test_national_after_hours_utc_input():
    assert due_dates("--received", "2026-11-22T20:00:00Z", "--profile", "national-2025") == {
        "accepted_at": "2026-11-23T09:00:00+05:00",
        "steps": {
            "registration": "2026-11-23T18:30:00+05:00",
            "review": "2026-11-24T18:30:00+05:00",
            "signature": "2026-11-25T18:30:00+05:00",
            "dispatch": "2026-11-26T18:30:00+05:00",
        },
        "result_due": "2026-11-26T18:30:00+05:00",
    }


def test_national_emergency_over_a_moved_holiday():
    data = due_dates("--received", "2025-03-07T18:31", "--profile", "national-2025", "--emergency")
    assert data["accepted_at"] == "2025-03-11T09:00:00+05:00"
    assert data["steps"]["review"] == data["result_due"] == "2025-03-14T18:30:00+05:00"


def test_regional_naive_local_input():
    data = due_dates("--received", "2026-11-23T10:00:00", "--profile", "regional-30d")
    assert data["accepted_at"] == "2026-11-23T10:00:00+05:00"
    assert list(data["steps"]) == ["intake", "registration", "assignment", "review", "signature", "dispatch", "handout"]
    assert data["steps"]["intake"] == "2026-11-23T10:15:00+05:00"
    assert data["steps"]["handout"] == "2026-12-22T23:59:59+05:00"
    assert data["result_due"] == "2026-12-23T23:59:59+05:00"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--received", "23.11.2026 10:00", "--profile", "national-2025"], "not an ISO 8601 date-time"),
        (["--received", "2026-02-30T10:00", "--profile", "national-2025"], "not an ISO 8601 date-time"),
        (["--received", "2026-11-23T10:00", "--profile", "national-2030"], "known: national-2025, regional-30d"),
        (["--received", "9999-12-31T10:00", "--profile", "regional-30d"], "end of the calendar"),
        (["--profile", "national-2025"], "--received"),
    ],
)
def test_errors(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("due_dates", *args, stdout=StringIO())


def run_manage(*args):
    env = {**os.environ}
    env.setdefault("DJANGO_SETTINGS_MODULE", "housing_queue.settings.test")
    return subprocess.run(
        [sys.executable, "manage.py", "due_dates", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_command_line_success_and_failure():
    ok = run_manage("--received", "2026-11-23T08:59", "--profile", "national-2025")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["accepted_at"] == "2026-11-23T09:00:00+05:00"

    bad = run_manage("--received", "yesterday", "--profile", "national-2025")
    assert bad.returncode != 0
    assert "not an ISO 8601 date-time" in bad.stderr
    assert "Traceback" not in bad.stderr + bad.stdout
