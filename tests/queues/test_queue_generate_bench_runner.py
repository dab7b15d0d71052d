"""The benchmark runner (bench/run.py): figures merge into results.json without losing other benchmarks' keys.

The benchmarks themselves run with `make bench` on the million-place database, never in the test suite.
"""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"kezek_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_merge_keeps_unknown_keys_and_updates_machine(tmp_path):
    run = _load("run")
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"intake_per_second": 120, "machine": {"cores": 2, "note": "kept"}}))
    merged = run.merge({"queue_entries": 1000000, "machine": {"cores": 4, "memory_gib": 8.0}}, results)
    assert merged == json.loads(results.read_text())
    assert merged["intake_per_second"] == 120 and merged["queue_entries"] == 1000000
    assert merged["machine"] == {"cores": 4, "note": "kept", "memory_gib": 8.0}
    assert merged["measured_at"].endswith("+00:00")
    assert not (tmp_path / "results.json.tmp").exists()


def test_merge_starts_over_from_a_broken_file(tmp_path):
    run = _load("run")
    results = tmp_path / "results.json"
    results.write_text("{not json")
    assert run.merge({"queue_entries": 5}, results)["queue_entries"] == 5


def test_machine_reports_cores_and_memory():
    info = _load("run").machine()
    assert info["cores"] >= 1 and info["memory_gib"] > 0


def test_the_queue_benchmark_skips_without_postgresql(monkeypatch):
    monkeypatch.setenv("BENCH_DATABASE_URL", "sqlite:///nowhere.sqlite3")
    assert "queue_bench_skipped" in _load("queue_bench").main()


def test_the_runner_names_unknown_modules():
    run = _load("run")
    assert "queue_bench" in run.modules([])
    with pytest.raises(SystemExit, match="no benchmark module"):
        run.modules(["nope_bench"])


def test_percentiles_are_nearest_rank():
    bench = _load("queue_bench")
    values = [float(n) for n in range(1, 101)]
    assert bench.percentile(values, 95) == 95.0 and bench.percentile(values, 50) == 50.0
    assert bench.percentile([3.0], 95) == 3.0
    assert sys.modules.get("kezek_bench_queue_bench") is None  # loaded without touching the import system


def test_a_part_that_runs_again_clears_its_old_error(tmp_path):
    run = _load("run")
    results = tmp_path / "results.json"
    run.merge({"removal_error": "RuntimeError: boom", "removal_at_head_ms": 1.0}, results)
    merged = run.merge({"removal_error": None, "removal_at_head_ms": 0.9}, results)
    assert "removal_error" not in merged and merged["removal_at_head_ms"] == 0.9
