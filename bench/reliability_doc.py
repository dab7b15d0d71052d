"""Render docs/reliability.md from measured figures (never written by hand).

Reads bench/results.json (written by `make bench`, bench/run.py) and var/reliability/*.json (written by the fault
tests in tests/reliability/ when they run). Each known figure gets a row: the test or benchmark, what it proved, the
figure measured, the date it was measured. Unknown keys are listed too, so a new figure cannot silently vanish.
Stdlib only, so it runs anywhere: `make reliability-doc` or `python bench/reliability_doc.py`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
FAULTS_DIR = ROOT / "var" / "reliability"
OUT = ROOT / "docs" / "reliability.md"

# Fault tests: file stem in var/reliability/ -> (test, what it proved, figures to show in this order).
FAULTS = {
    "worker_killed": (
        "tests/reliability/test_reliability_outbox_faults.py::test_worker_killed_mid_sending_then_each_notification_goes_out_once",
        "Celery worker killed (SIGKILL) mid-sending: after restart every notification reaches the person exactly once",
        ["cases", "outbox_messages", "sms_sent", "sms_in_flight_at_kill", "sms_duplicates_answered",
         "emails_distinct", "unacked_tasks_redelivered_by_broker", "recovery_seconds"],
    ),
    "redis_down": (
        "tests/reliability/test_reliability_outbox_faults.py::test_redis_down_during_intake_then_messages_go_out_when_it_returns",
        "Redis stopped during intake: applications still accepted; messages delivered once Redis returns",
        ["cases", "intake_seconds_per_case_without_broker", "delivered_seconds_after_redis_returned", "sms_sent",
         "emails_distinct"],
    ),
    "postgres_restart": (
        "tests/reliability/test_reliability_outbox_faults.py::test_postgres_restart_during_load_loses_no_acknowledged_application",
        "PostgreSQL restarted during a load run: every acknowledged application is in the database, none half-written",
        ["acknowledged", "cases_in_database", "lost", "half_written", "failed_requests", "failed_but_committed",
         "restart_seconds"],
    ),
    "backup_restore": (
        "tests/reliability/test_reliability_backup.py::test_backup_restores_into_a_fresh_database_with_every_case_and_file",
        "make backup / make restore into a fresh database finds every case and uploaded file",
        ["cases", "files", "backup_seconds", "restore_seconds", "dump_bytes"],
    ),
}

# Benchmarks: (name, what it proved, keys of bench/results.json). A key prefix ending in "*" takes every key with it.
BENCHES = [
    ("queue_bench: generate", "A million synthetic queue places loaded into PostgreSQL",
     ["generate_queue_entries", "generate_queue_housed", "generate_queue_seconds", "queue_entries", "queue_lists"]),
    ("queue_bench: publish", "Every list published (snapshot, CSV, PDF) at a million places",
     ["publish_all_lists_seconds"]),
    ("queue_bench: CSV export", "Published-list CSV export close to a bare COPY",
     ["csv_export_rows", "csv_export_lists", "csv_export_seconds", "csv_copy_seconds", "csv_export_ratio_to_copy"]),
    ("queue_bench: list PDF", "A 100,000-row list PDF renders in bounded memory",
     ["list_pdf_rows", "list_pdf_pages", "list_pdf_seconds", "list_pdf_render_seconds", "list_pdf_bytes",
      "list_pdf_peak_rss_mb"]),
    ("queue_bench: removal", "Removing a place costs the same at the head and the tail of a list",
     ["removal_list_size", "removal_repeats", "removal_at_head_ms", "removal_at_tail_ms", "removal_head_to_tail_ratio"]),
    ("queue_bench: position SQL", "Position by blocks agrees with RANK() and is faster",
     ["position_sql_*"]),
    ("queue_bench: position lookup", "Public position lookup over HTTP: right numbers, no errors, bounded latency",
     ["position_lookup_*"]),
]


def _fmt(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_fmt(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _figures(data: dict, keys: list[str]) -> tuple[list[str], set[str]]:
    shown, used = [], set()
    for key in keys:
        matched = [k for k in data if k.startswith(key[:-1])] if key.endswith("*") else [key] if key in data else []
        for k in matched:
            if k not in used:
                used.add(k)
                shown.append(f"{k} = {_fmt(data[k])}")
    return shown, used


def _load(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def render() -> str:
    lines = [
        "# Reliability: what is proved, and the figures measured",
        "",
        "Generated by `bench/reliability_doc.py` (`make reliability-doc`, also at the end of `make bench`) from",
        "`bench/results.json` and `var/reliability/*.json`. Do not edit by hand: rerun the tests or benchmarks.",
        "",
        "## Fault tests (tests/reliability)",
        "",
        "| Test | What it proved | Figures measured | Date |",
        "|---|---|---|---|",
    ]
    seen = set()
    for stem, (test, proved, keys) in FAULTS.items():
        data = _load(FAULTS_DIR / f"{stem}.json")
        seen.add(stem)
        if data is None:
            lines.append(f"| `{_cell(test)}` | {_cell(proved)} | not measured yet | — |")
            continue
        shown, used = _figures(data, keys)
        rest = [f"{k} = {_fmt(v)}" for k, v in data.items() if k not in used and k != "measured_at"]
        lines.append(f"| `{_cell(test)}` | {_cell(proved)} | {_cell('; '.join(shown + rest))} | "
                     f"{_cell(data.get('measured_at', '—'))} |")
    for path in sorted(FAULTS_DIR.glob("*.json")) if FAULTS_DIR.is_dir() else []:
        if path.stem not in seen and (data := _load(path)) is not None:
            figures = "; ".join(f"{k} = {_fmt(v)}" for k, v in data.items() if k != "measured_at")
            lines.append(f"| `{path.name}` | (no description yet) | {_cell(figures)} | "
                         f"{_cell(data.get('measured_at', '—'))} |")

    lines += ["", "## Benchmarks (make bench, bench/results.json)", ""]
    results = _load(RESULTS)
    if results is None:
        lines.append("No bench/results.json yet: run `make bench`.")
    else:
        date = results.get("measured_at", "—")
        lines += ["| Benchmark | What it proved | Figures measured | Date |", "|---|---|---|---|"]
        used_all = {"machine", "measured_at"}
        for name, proved, keys in BENCHES:
            shown, used = _figures(results, keys)
            used_all |= used
            if shown:
                lines.append(f"| {_cell(name)} | {_cell(proved)} | {_cell('; '.join(shown))} | {_cell(date)} |")
        rest = [f"{k} = {_fmt(v)}" for k, v in results.items() if k not in used_all]
        if rest:
            lines.append(f"| other figures | (no description yet) | {_cell('; '.join(rest))} | {_cell(date)} |")
        machine = results.get("machine")
        if machine:
            lines += ["", f"Machine: {_cell(_fmt(machine))}."]
    return "\n".join(lines) + "\n"


def main() -> int:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_name(OUT.name + ".tmp")
    tmp.write_text(render(), encoding="utf-8")
    tmp.replace(OUT)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
