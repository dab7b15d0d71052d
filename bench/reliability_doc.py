"""Render docs/reliability.md from measured figures (never written by hand).

Reads bench/results.json (written by `make bench`, bench/run.py) and var/reliability/*.json (written by the tests
through tests/reliability_figures.py when they run: access, personal data, hostile input, accessibility, faults). Each
known figure gets a row: the test or benchmark, what it proved, the figure measured, the date it was measured. Unknown
keys are listed too, so a new figure cannot silently vanish. A test that did not run here (the fault tests outside CI)
keeps the figures and date of its row in the current docs/reliability.md. Stdlib only, so it runs anywhere:
`make reliability-doc` or `python bench/reliability_doc.py` (also after `make test` and `make bench`).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
FAULTS_DIR = ROOT / "var" / "reliability"
OUT = ROOT / "docs" / "reliability.md"

# Tests: file stem in var/reliability/ -> (test, what it proved, figures to show in this order). Keys starting with
# "_" are bookkeeping of tests/reliability_figures.py (run id, distinct values) and never shown.
TESTS = {
    "permission_matrix": (
        "tests/web/test_web_permission_matrix.py",
        "Every URL pattern × anonymous and every role × an object of their own and someone else's answers as the "
        "matrix says (GET, and an empty POST refused like GET); never a 500",
        ["url_patterns", "url_patterns_checked", "roles", "get_cases_checked", "get_mismatches", "post_cases_checked",
         "post_mismatches"],
    ),
    "personal_data": (
        "tests/security/test_security_personal_data.py",
        "Every staff read of a person's data leaves one audit event; lists show IINs masked; a citizen's own reads are "
        "not logged; published lists carry no IIN",
        ["pages_with_staff_reads_logged", "staff_roles_logged", "staff_reads_checked", "lists_masked",
         "list_views_masked", "citizen_own_reads_not_logged", "published_outputs_without_iin"],
    ),
    "client_ip": (
        "tests/security/test_security_client_ip.py",
        "A forged X-Forwarded-For buys no fresh lookup or login attempts, with or without the reverse proxy",
        ["spoofed_requests_over_the_limit", "spoofed_requests_refused",
         "rotated_header_login_failures_counted_as_one_client"],
    ),
    "escaping": (
        "tests/security/test_security_escaping.py",
        "Markup, template syntax and spreadsheet formulas typed by people come back inert in pages, PDFs and CSVs",
        ["payloads", "pages", "pdfs", "csv_exports", "csv_cells", "published_initials_examples"],
    ),
    "escaping_free_text": (
        "tests/security/test_security_escaping_free_text.py",
        "The same payload typed into every free-text field through the real forms is shown escaped on every page, "
        "printed literally in PDFs, and never starts a CSV formula",
        ["payloads", "pages", "page_checks", "pdfs", "csv_exports", "csv_cells_with_a_formula_neutralised"],
    ),
    "fuzz_forms": (
        "tests/security/test_security_fuzz_forms.py",
        "Hypothesis posts random values and raw bodies to every POST form found on the pages each role opens: "
        "never a 500, nothing half-saved behind an error answer",
        ["forms_discovered", "forms_posted", "field_examples", "raw_body_examples", "dwelling_csv_examples",
         "eligibility_json_examples", "case_parser_examples", "server_errors", "half_saved"],
    ),
    "fuzz_uploads": (
        "tests/security/test_security_fuzz_uploads.py",
        "Hostile files and file names posted to every place a scan comes in: never a 500, a refused file leaves no "
        "trace, an accepted one is stored under its hash and served only through the access check",
        ["upload_places", "upload_examples", "files_kept", "files_refused", "server_errors", "half_saved",
         "check_upload_examples"],
    ),
    "accessibility": (
        "tests/browser/test_browser_accessibility.py",
        "axe-core in Chromium on every page a person reaches, in Kazakh, Russian and English: no serious or critical "
        "violation; the main pages fit a 320 px screen",
        ["pages", "languages", "page_language_checks", "serious_or_critical_violations", "pages_checked_at_320px",
         "pages_wider_than_320px"],
    ),
    "outbox_kick": (
        "tests/reliability/test_reliability_outbox_kick.py",
        "A transaction's outbox messages go to the broker in one publish after commit, none from a rollback; a "
        "re-run of the delivery task sends nothing twice",
        ["transactions_tested", "messages_kept", "broker_publishes", "message_ids_published", "task_messages",
         "task_delivered", "task_sent_twice", "task_left_for_relay"],
    ),
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
    ("load_bench: intake", "Complete applications over HTTP (gunicorn + PostgreSQL), then checked in the database: "
     "none lost, no duplicate queue key or place", ["intake_*", "load_server"]),
    ("load_bench: browsing", "50 concurrent users on the cabinet, a bare view, the staff inbox over 10,000 open "
     "cases and the public lists", ["cabinet_*", "bare_view_*", "inbox_p*", "public_list_*", "browse_*"]),
    ("load_bench: queries per page", "Query counts do not grow with the number of cases (no N+1)",
     ["inbox_queries*", "inbox_small_provider_open_cases", "inbox_open_cases", "cabinet_queries", "cabinet_user",
      "cabinet_cases_shown", "public_list_queries"]),
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


def _shown(key: str) -> bool:
    return key != "measured_at" and not key.startswith("_")


def _previous_rows() -> dict[str, tuple[str, str]]:
    """Test -> (figures, date) from the current docs/reliability.md, for tests that did not run on this machine."""
    try:
        text = OUT.read_text(encoding="utf-8")
    except OSError:
        return {}
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 4 and cells[0].startswith("`") and cells[0].endswith("`") and cells[2] != "not measured yet":
            rows[cells[0][1:-1].replace("\\|", "|")] = (cells[2], cells[3])
    return rows


def render() -> str:
    lines = [
        "# Reliability: what is proved, and the figures measured",
        "",
        "Generated by `bench/reliability_doc.py` (`make reliability-doc`, also at the end of `make test` and",
        "`make bench`) from `bench/results.json` and `var/reliability/*.json`. Do not edit by hand: rerun the tests or",
        "benchmarks.",
        "",
        "## Tests (make test)",
        "",
        "Each test writes what it measured as it runs. The fault tests (tests/reliability, marker `faults`: a private",
        "Redis, Celery workers, a PostgreSQL restart) need a machine that can run `-m faults` and are skipped elsewhere;",
        "they run in CI. A test that did not run keeps the figures and date of its last measured row.",
        "",
        "| Test | What it proved | Figures measured | Date |",
        "|---|---|---|---|",
    ]
    previous = _previous_rows()
    seen = set()
    for stem, (test, proved, keys) in TESTS.items():
        data = _load(FAULTS_DIR / f"{stem}.json")
        seen.add(stem)
        if data is None:
            figures, date = previous.get(test, ("not measured yet", "—"))
            lines.append(f"| `{_cell(test)}` | {_cell(proved)} | {figures} | {date} |")
            continue
        shown, used = _figures(data, keys)
        rest = [f"{k} = {_fmt(v)}" for k, v in data.items() if k not in used and _shown(k)]
        lines.append(f"| `{_cell(test)}` | {_cell(proved)} | {_cell('; '.join(shown + rest))} | "
                     f"{_cell(data.get('measured_at', '—'))} |")
    for path in sorted(FAULTS_DIR.glob("*.json")) if FAULTS_DIR.is_dir() else []:
        if path.stem not in seen and (data := _load(path)) is not None:
            figures = "; ".join(f"{k} = {_fmt(v)}" for k, v in data.items() if _shown(k))
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
