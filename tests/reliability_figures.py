"""Figures tests measured, for docs/reliability.md (bench/reliability_doc.py renders var/reliability/*.json after
`make test` and `make bench`): what a test proved is written down by the test itself, never typed by hand."""

import fcntl
import json
import os
import time
import uuid
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent.parent / "var" / "reliability"
# One id per pytest run: xdist gives its workers a shared one; a plain run is one process.
RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex


def record_figures(name: str, figures: dict) -> None:
    """One file per proof, replaced atomically (two xdist workers never write the same name)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    tmp = path.with_name(f".{name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({**figures, "measured_at": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=2,
                              ensure_ascii=False))
    tmp.replace(path)


def tally_figures(name: str, add: dict | None = None, distinct: dict | None = None, fixed: dict | None = None) -> None:
    """Add to this run's figures for `name`, for proofs spread over parametrized cases, hypothesis examples and xdist
    workers: `add` sums counts, `distinct` counts different values seen (kept under "_distinct"), `fixed` is set as
    given. A file left by an earlier run starts again from zero. Keys starting with "_" are not shown in the doc."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    with open(RESULTS_DIR / f".{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # workers add to one file in turn
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if data.get("_run") != RUN:
            data = {}
        seen = data.setdefault("_distinct", {})
        for key, value in (add or {}).items():
            data[key] = data.get(key, 0) + value
        for key, values in (distinct or {}).items():
            values = [values] if isinstance(values, str) else list(values)
            seen[key] = sorted(set(seen.get(key, [])) | {str(v) for v in values})
            data[key] = len(seen[key])
        data.update(fixed or {})
        data["_run"] = RUN
        data.pop("measured_at", None)
        record_figures(name, data)
