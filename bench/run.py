#!/usr/bin/env python
"""`make bench`: run every benchmark module in bench/ (files named *_bench.py) and merge their figures.

Each module has `main() -> dict`; the figures are merged into bench/results.json, keeping every key that
other benchmarks wrote before (a module that fails records "<module>_error" instead of stopping the rest).

    python bench/run.py                 # every *_bench.py, in name order
    python bench/run.py queue_bench     # only the named ones
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import traceback
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results.json"


def machine() -> dict:
    """What the figures were measured on: cores, memory, CPU, and what else was running (load average)."""
    info = {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        meminfo = Path("/proc/meminfo").read_text()
        kib = int(next(line.split()[1] for line in meminfo.splitlines() if line.startswith("MemTotal:")))
        info["memory_gib"] = round(kib / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        pass
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        models = (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name"))
        info["cpu"] = next(models)
    except (OSError, StopIteration):
        pass
    try:
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    info["cpu_reference_ms"] = cpu_reference_ms()
    return info


def cpu_reference_ms() -> float:
    """CPU time of a fixed pure-Python workload (best of three): how fast this shared host is right now.

    The same code has measured ±30% apart on this host within an hour; a figure taken when this number is higher
    was taken on a slower host."""
    import time

    def once() -> float:
        started = time.process_time()
        total = 0
        for i in range(1_000_000):
            total += i * i % 7
        names = {str(i): i for i in range(100_000)}
        assert total and names
        return (time.process_time() - started) * 1000

    return round(min(once() for _ in range(3)), 1)


def merge(figures: dict, path: Path = RESULTS) -> dict:
    """Write `figures` over the existing results, keeping unknown keys; "machine" is merged key by key and a
    figure of None removes the key."""
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(results, dict):
            results = {}
    except (OSError, ValueError):
        results = {}
    for key, value in figures.items():
        if value is None:  # a part that ran clears its earlier error or skip note
            results.pop(key, None)
        elif key == "machine" and isinstance(value, dict) and isinstance(results.get("machine"), dict):
            results["machine"].update(value)
        else:
            results[key] = value
    results["measured_at"] = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)  # never a half-written results file
    return results


def modules(names: list[str]) -> list[str]:
    found = sorted(p.stem for p in BENCH_DIR.glob("*_bench.py"))
    if not names:
        return found
    unknown = [n for n in names if n not in found]
    if unknown:
        raise SystemExit(f"no benchmark module {', '.join(unknown)} in bench/ (have: {', '.join(found)})")
    return names


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    sys.path[:0] = [str(ROOT), str(BENCH_DIR)]
    failed = False
    for name in modules(argv):
        print(f"== {name}", flush=True)
        measured_on = machine()
        try:
            figures = importlib.import_module(name).main()
        except Exception as exc:  # noqa: BLE001  (one benchmark failing must not lose the others' figures)
            traceback.print_exc()
            figures = {f"{name}_error": f"{exc.__class__.__name__}: {exc}"}
            failed = True
        figures["machine"] = {**measured_on, **figures.get("machine", {})}
        merge(figures)
    print(f"results: {RESULTS.relative_to(ROOT)}")
    import reliability_doc  # docs/reliability.md is regenerated from the figures, never typed by hand

    reliability_doc.main()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
