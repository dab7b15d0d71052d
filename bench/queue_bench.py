#!/usr/bin/env python
"""Queue benchmarks at a million places (CONTRACT.md "Benchmark results"; bench/README.md says what each means).

Runs against the real stack: PostgreSQL (BENCH_DATABASE_URL, default the kezek_bench database, created if
missing), gunicorn with the production settings for the HTTP lookup, and the project's own services for the
rest. The data is `generate_queue --entries 1000000 --lists 20 --long-list 100000`, made once; a re-run finds
it and starts measuring at once. Every part that cannot run (a module not there yet, no PostgreSQL) records
"<part>_skipped" with the reason instead of a figure; a part that fails records "<part>_error".

    python bench/queue_bench.py            # measure and merge into bench/results.json
    python bench/queue_bench.py removal    # only some parts: position_lookup, publication, removal
    python bench/run.py queue_bench        # the same, through the runner `make bench` uses
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/kezek_bench"
# the contract's sizes; smaller ones only for a quick try of the benchmark itself (figures then not comparable)
ENTRIES = int(os.environ.get("BENCH_QUEUE_ENTRIES", "1000000"))
LISTS = int(os.environ.get("BENCH_QUEUE_LISTS", "20"))
LONG_LIST = int(os.environ.get("BENCH_QUEUE_LONG_LIST", "100000"))
SAMPLES = 1000  # position lookups measured (plus WARMUP not measured)
WARMUP = 100
REMOVAL_REPEATS = 20
CSV_REPEATS = 3
GUNICORN_WORKERS = 2


def log(message: str) -> None:
    print(f"[queue_bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


# --- the database and Django ---------------------------------------------------------------------------------

def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DB


def ensure_database(url: str) -> None:
    """CREATE DATABASE when it does not exist yet (a fresh machine), through the maintenance database."""
    import psycopg2

    parts = urllib.parse.urlparse(url)
    name = parts.path.lstrip("/")
    maintenance = parts._replace(path="/postgres").geturl()
    conn = psycopg2.connect(maintenance)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                log(f"creating database {name}")
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "housing_queue.settings.local")
    os.environ.setdefault("DJANGO_DEBUG", "0")  # with DEBUG on, every query of a million would be kept in memory
    name = urllib.parse.urlparse(url).path.lstrip("/") or "db"
    os.environ.setdefault("DJANGO_MEDIA_ROOT", str(ROOT / "var" / "bench" / name / "media"))  # published files
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def raw_connection():
    import psycopg2

    conn = psycopg2.connect(database_url())
    conn.autocommit = True
    return conn


# --- the data --------------------------------------------------------------------------------------------------

def bench_lists():
    from queues.models import QueueList
    from queues.services.synthetic import PROVIDER_CODE

    return list(QueueList.objects.filter(provider__code=PROVIDER_CODE).order_by("ordering", "code"))


def active_counts() -> dict[int, int]:
    from django.db.models import Count

    from queues.models import QueueEntry
    from queues.services.synthetic import PROVIDER_CODE

    return dict(QueueEntry.objects.filter(queue_list__provider__code=PROVIDER_CODE, active=True)
                .values_list("queue_list_id").annotate(n=Count("id")).values_list("queue_list_id", "n"))


def ensure_data(figures: dict) -> None:
    """Migrate, and generate the million places unless they are already there (re-runs are cheap)."""
    from django.core.management import call_command

    from queues.services.synthetic import generate

    log("migrate")
    call_command("migrate", interactive=False, verbosity=0)
    counts = active_counts()
    if not counts:
        log(f"generating {ENTRIES} places over {LISTS} lists (one of {LONG_LIST})")
        summary = generate(ENTRIES, LISTS, long_list=LONG_LIST, log=log)
        figures.update(generate_queue_seconds=summary.seconds, generate_queue_entries=summary.entries,
                       generate_queue_housed=summary.housed, generate_queue_timings=summary.timings)
    else:
        if LONG_LIST not in counts.values():
            log(f"adding a list of exactly {LONG_LIST} places")
            generate(LONG_LIST, 1, long_list=LONG_LIST, append=True, log=log)
        missing = ENTRIES - sum(active_counts().values())
        if missing > 0:
            lists = max(1, min(missing, LISTS - len(counts)))
            log(f"adding {missing} places over {lists} lists")
            generate(missing, lists, append=True, log=log)
        log("synthetic places already there")
    from queues.models import QueueEntry

    figures["queue_entries"] = QueueEntry.objects.filter(active=True).count()
    figures["queue_lists"] = len(bench_lists())


def long_list():
    counts = active_counts()
    return next(q for q in bench_lists() if counts.get(q.pk) == LONG_LIST)


# --- position lookup: raw SQL and over HTTP --------------------------------------------------------------------

SAMPLE_SQL = (
    "SELECT a.number, p.iin, e.queue_list_id, e.block_no, e.accepted_at, e.queue_seq "
    "FROM queues_queueentry e JOIN applications_application a ON a.id = e.application_id "
    "JOIN applications_person p ON p.id = e.holder_id "
    "WHERE e.id = ANY(%s) AND e.active AND e.status = 'registered'"
)


def sample_places(count: int, *, seed: int = 4) -> list[tuple]:
    """`count` random registered places of the synthetic lists (random ids, then the ones that exist)."""
    import random

    rng = random.Random(seed)
    conn = raw_connection()
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT MIN(e.id), MAX(e.id) FROM queues_queueentry e "
                           "JOIN queues_queuelist q ON q.id = e.queue_list_id "
                           "JOIN accounts_provider pr ON pr.id = q.provider_id WHERE pr.code = 'bench'")
            low, high = cursor.fetchone()
            found: dict = {}
            while len(found) < count:
                cursor.execute(SAMPLE_SQL, [[rng.randint(low, high) for _ in range(count * 2)]])
                for row in cursor.fetchall():
                    found.setdefault(row[0], row)
    finally:
        conn.close()
    return list(found.values())[:count]


def time_sql(places: list[tuple]) -> dict:
    """Each place's rank with the plain indexed count (RANK_SQL) and with the block counters (POSITION_SQL)."""
    from queues.selectors import POSITION_SQL, RANK_SQL

    conn = raw_connection()
    rank_times, position_times, ranks, mismatches = [], [], {}, 0
    try:
        with conn.cursor() as cursor:
            for number, _iin, list_id, block_no, at, seq in places:
                t = time.perf_counter()
                cursor.execute(RANK_SQL, [list_id, at, seq])
                rank = cursor.fetchone()[0] + 1
                rank_times.append(time.perf_counter() - t)
                t = time.perf_counter()
                cursor.execute(POSITION_SQL, [list_id, block_no, list_id, block_no, at, seq])
                position = cursor.fetchone()[0] + 1
                position_times.append(time.perf_counter() - t)
                ranks[number] = rank
                mismatches += rank != position
    finally:
        conn.close()
    return {"rank_times": rank_times, "position_times": position_times, "ranks": ranks, "mismatches": mismatches}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_url() -> str:
    """The local Redis for the rate-limit cache when one answers (as in production), else none (per-process cache)."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    parts = urllib.parse.urlparse(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return url
    except OSError:
        pass
    return ""


class Gunicorn:
    """gunicorn with the production settings on a free loopback port; stopped by its own pid."""

    def __init__(self, workers: int = GUNICORN_WORKERS):
        self.port = free_port()
        self.redis = redis_url()
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="housing_queue.settings.production",
                   DJANGO_SECRET_KEY=secrets.token_urlsafe(64), DJANGO_SECURE_SSL_REDIRECT="0",
                   DJANGO_ALLOWED_HOSTS="127.0.0.1", DATABASE_URL=database_url(),
                   KEZEK_LOOKUP_RATE="100000000/60", REDIS_URL=self.redis, DJANGO_LOG_LEVEL="WARNING")
        self.log = tempfile.NamedTemporaryFile(prefix="kezek-bench-gunicorn-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "housing_queue.wsgi:application",
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                status, _headers, _body = self.request("GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


POSITION_RE = re.compile(r'id="lookup-position">\s*([0-9][0-9\s\u00a0\u202f,.]*)<')
TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def http_lookups(server: Gunicorn, places: list[tuple], ranks: dict, path: str = "/queue/lookup/") -> dict:
    """POST number + IIN for each place, as a browser does after opening the form once.

    path "/queue/lookup/" is the HTML page; "/queue/lookup.json" the same lookup answered as JSON."""
    status, headers, body = server.request("GET", "/queue/lookup/")
    if status != 200:
        raise RuntimeError(f"GET /queue/lookup/ answered {status}")
    cookies = [v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie"]
    cookie = next((c for c in cookies if c.startswith("csrftoken=")), "")
    token = TOKEN_RE.search(body)
    if not cookie or not token:
        raise RuntimeError("the lookup form has no CSRF cookie or token")
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    times, wrong, errors = [], 0, 0
    for number, iin, *_rest in places:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), "number": number, "iin": iin})
        t = time.perf_counter()
        status, _headers, page = server.request("POST", path, body, headers)
        times.append(time.perf_counter() - t)
        if status != 200:
            errors += 1
            continue
        if path.endswith(".json"):
            shown = json.loads(page).get("number")
        else:
            match = POSITION_RE.search(page)
            shown = int(re.sub(r"\D", "", match.group(1))) if match else None
        wrong += shown != ranks.get(number)
    return {"times": times, "wrong": wrong, "errors": errors}


def selector_medians(places: list[tuple]) -> dict:
    """Where a lookup's time goes: each selector the page calls, in this process, median ms per place."""
    from queues import selectors
    from queues.models import QueueEntry

    numbers = [number for number, *_rest in places]
    entries = {e.application.number: e for e in QueueEntry.objects.filter(application__number__in=numbers)
               .select_related("application")}
    parts = {"position": selectors.position, "housed_per_year": lambda e: selectors.housed_per_year(e.queue_list_id),
             "position_history": selectors.position_history}
    times = {name: [] for name in parts}
    for number in numbers:
        for name, part in parts.items():
            t = time.perf_counter()
            part(entries[number])
            times[name].append(time.perf_counter() - t)
    return {name: ms(statistics.median(values)) for name, values in times.items()}


def bench_position_lookup(figures: dict) -> None:
    figures["position_lookup_skipped"] = None
    try:
        from queues import views_public

        if not hasattr(views_public, "lookup"):
            raise ImportError("queues.views_public.lookup")
    except ImportError as exc:
        figures["position_lookup_skipped"] = f"public lookup view not available ({exc})"
        return
    log(f"sampling {SAMPLES + WARMUP} registered places")
    places = sample_places(SAMPLES + WARMUP)
    warm, measured = places[:WARMUP], places[WARMUP:]
    time_sql(warm)
    sql = time_sql(measured)
    rank_median = statistics.median(sql["rank_times"])
    position_median = statistics.median(sql["position_times"])
    figures.update(
        position_sql_rank_median_ms=ms(rank_median),
        position_sql_rank_p95_ms=ms(percentile(sql["rank_times"], 95)),
        position_sql_blocks_median_ms=ms(position_median),
        position_sql_blocks_p95_ms=ms(percentile(sql["position_times"], 95)),
        position_sql_mismatches=sql["mismatches"],
    )
    log(f"raw SQL: RANK_SQL median {ms(rank_median)} ms, POSITION_SQL median {ms(position_median)} ms")
    server = Gunicorn()
    try:
        ranks = dict(sql["ranks"])
        ranks.update(time_sql(warm)["ranks"])
        http_lookups(server, warm, ranks)
        result = http_lookups(server, measured, ranks)
        http_lookups(server, warm, ranks, "/queue/lookup.json")
        api = http_lookups(server, measured, ranks, "/queue/lookup.json")
        baseline = []
        for _ in range(200):  # the same server rendering the empty form: what any page costs here
            t = time.perf_counter()
            server.request("GET", "/queue/lookup/")
            baseline.append(time.perf_counter() - t)
    finally:
        server.stop()
    # The contract keys measure the lookup itself (/queue/lookup.json: one query, the answer as JSON); the full
    # HTML page (history, housing per year, estimate, the site's layout) is measured beside it as *_page_*.
    times = api["times"]
    http_median = statistics.median(times)
    page_times = result["times"]
    page_median = statistics.median(page_times)
    figures.update(
        position_lookup_endpoint="POST /queue/lookup.json",
        position_lookup_samples=len(times),
        position_lookup_p50_ms=ms(http_median),
        position_lookup_p95_ms=ms(percentile(times, 95)),
        position_lookup_max_ms=ms(max(times)),
        position_lookup_ratio_to_sql=round(http_median / rank_median, 3),
        position_lookup_ratio_to_position_sql=round(http_median / position_median, 3),
        position_lookup_wrong_numbers=api["wrong"] + result["wrong"],
        position_lookup_http_errors=api["errors"] + result["errors"],
        position_lookup_page_p50_ms=ms(page_median),
        position_lookup_page_p95_ms=ms(percentile(page_times, 95)),
        position_lookup_page_ratio_to_sql=round(page_median / rank_median, 3),
        position_lookup_form_p50_ms=ms(statistics.median(baseline[20:])),
        position_lookup_server=f"gunicorn {GUNICORN_WORKERS} sync workers, production settings, "
                               f"rate-limit cache {'Redis' if server.redis else 'local memory'}",
    )
    figures["position_lookup_selectors_median_ms"] = selector_medians(measured[:200])
    log(f"HTTP: p50 {figures['position_lookup_p50_ms']} ms, p95 {figures['position_lookup_p95_ms']} ms, "
        f"{result['wrong']} wrong, {result['errors']} errors")


# --- publication: CSV export vs COPY, and the PDF of the long list -------------------------------------------

def latest_snapshots(publication) -> tuple[list, float | None]:
    """The newest published snapshot of every synthetic list that still matches its log; publish where none does."""
    from queues.models import LedgerHead, PublishedSnapshot, SnapshotKind, SnapshotStatus

    snapshots, started, published = [], time.monotonic(), 0
    for queue_list in bench_lists():
        head = LedgerHead.objects.filter(queue_list=queue_list).values_list("seq", flat=True).first()
        snapshot = (PublishedSnapshot.objects.filter(queue_list=queue_list, status=SnapshotStatus.PUBLISHED,
                                                     as_of_seq=head, rows_pruned=False)
                    .order_by("-published_at", "-pk").first())
        if snapshot is None:
            log(f"publishing {queue_list.code}")
            snapshot = publication.publish_list(queue_list, kind=SnapshotKind.ON_DEMAND, name=None)
            if snapshot.status != SnapshotStatus.PUBLISHED:
                raise RuntimeError(f"publishing {queue_list.code} failed: {snapshot.error}")
            published += 1
        snapshots.append(snapshot)
    return snapshots, (round(time.monotonic() - started, 2) if published == len(snapshots) else None)


COPY_SQL = (
    "COPY (SELECT ordinal, application_number, initials, registered_on, category_code, status "
    "FROM queues_publishedrow WHERE snapshot_id IN ({ids}) ORDER BY snapshot_id, ordinal) "
    "TO STDOUT WITH (FORMAT csv, HEADER)"
)


def bench_csv_export(figures: dict, publication, snapshots: list) -> None:
    from django.db import connection

    ids = ",".join(str(int(s.pk)) for s in snapshots)
    exports, copies, rows = [], [], 0
    with tempfile.TemporaryDirectory(prefix="kezek-bench-csv-") as tmp:
        for _repeat in range(CSV_REPEATS):
            t = time.perf_counter()
            rows = sum(publication.export_csv(s, Path(tmp) / f"{s.pk}.csv") for s in snapshots)
            exports.append(time.perf_counter() - t)
            t = time.perf_counter()
            with open(Path(tmp) / "copy.csv", "wb") as f, connection.cursor() as cursor:
                cursor.copy_expert(COPY_SQL.format(ids=ids), f)
            copies.append(time.perf_counter() - t)
    export, copy = statistics.median(exports), statistics.median(copies)
    figures.update(csv_export_seconds=round(export, 3), csv_copy_seconds=round(copy, 3),
                   csv_export_ratio_to_copy=round(export / copy, 3), csv_export_rows=rows,
                   csv_export_lists=len(snapshots))
    log(f"CSV: export {export:.2f} s, COPY {copy:.2f} s for {rows} rows")


def render_child(snapshot_id: int, out: str) -> None:
    """In the subprocess: render the snapshot's PDF and print what it took (the parent reads its RSS)."""
    setup_django(database_url())
    from queues.models import PublishedSnapshot
    from queues.services.publication import render_pdf

    snapshot = PublishedSnapshot.objects.select_related("queue_list__provider").get(pk=snapshot_id)
    t = time.perf_counter()
    pages = render_pdf(snapshot, out)
    print(json.dumps({"pages": pages, "render_seconds": round(time.perf_counter() - t, 3),
                      "rows": snapshot.row_count, "bytes": Path(out).stat().st_size}))


def bench_list_pdf(figures: dict, snapshots: list) -> None:
    target = long_list()
    snapshot = next(s for s in snapshots if s.queue_list_id == target.pk)
    with tempfile.TemporaryDirectory(prefix="kezek-bench-pdf-") as tmp:
        out = Path(tmp) / "list.pdf"
        t = time.perf_counter()
        child = subprocess.Popen([sys.executable, __file__, "--render-pdf", str(snapshot.pk), str(out)],
                                 cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        stdout = child.stdout.read()
        stderr = child.stderr.read()
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"PDF subprocess failed: {stderr.decode(errors='replace')[-2000:]}")
    report = json.loads(stdout.decode().strip().splitlines()[-1])
    figures.update(list_pdf_rows=report["rows"], list_pdf_seconds=round(wall, 2),
                   list_pdf_render_seconds=report["render_seconds"], list_pdf_pages=report["pages"],
                   list_pdf_bytes=report["bytes"], list_pdf_peak_rss_mb=round(usage.ru_maxrss / 1024, 1))
    log(f"PDF: {report['rows']} rows, {wall:.1f} s, peak RSS {usage.ru_maxrss / 1024:.0f} MB")


def bench_publication(figures: dict) -> None:
    figures["csv_export_skipped"] = figures["list_pdf_skipped"] = None
    try:
        from queues.services import publication

        for name in ("publish_list", "export_csv", "render_pdf"):
            getattr(publication, name)
    except (ImportError, AttributeError) as exc:
        figures["csv_export_skipped"] = figures["list_pdf_skipped"] = f"publication not available ({exc})"
        return
    snapshots, publish_seconds = latest_snapshots(publication)
    if publish_seconds is not None:
        figures["publish_all_lists_seconds"] = publish_seconds
    for name, part in (("csv_export", lambda: bench_csv_export(figures, publication, snapshots)),
                       ("list_pdf", lambda: bench_list_pdf(figures, snapshots))):
        run_part(figures, name, part)


# --- removal at the head and at the tail ------------------------------------------------------------------------

def bench_removal(figures: dict) -> None:
    from django.db import transaction

    from queues.models import EntryStatus, QueueEntry
    from queues.services.entries import remove_entry

    target = long_list()
    registered = QueueEntry.objects.filter(queue_list=target, active=True, status=EntryStatus.REGISTERED)
    ends = {"head": registered.order_by("accepted_at", "queue_seq").first(),
            "tail": registered.order_by("-accepted_at", "-queue_seq").first()}
    times = {"head": [], "tail": []}
    for repeat in range(REMOVAL_REPEATS + 2):
        for which in ("head", "tail") if repeat % 2 == 0 else ("tail", "head"):
            with transaction.atomic():
                t = time.perf_counter()
                remove_entry(ends[which], ground="OWN_REQUEST", legal_basis="benchmark (rolled back)", request_id=0)
                elapsed = time.perf_counter() - t
                transaction.set_rollback(True)  # nothing is really removed
            if repeat >= 2:  # the first two rounds warm up
                times[which].append(elapsed)
    head, tail = statistics.median(times["head"]), statistics.median(times["tail"])
    figures.update(removal_at_head_ms=ms(head), removal_at_tail_ms=ms(tail),
                   removal_head_to_tail_ratio=round(head / tail, 3), removal_list_size=LONG_LIST,
                   removal_repeats=REMOVAL_REPEATS)
    log(f"removal: head {ms(head)} ms, tail {ms(tail)} ms")


# --- the run ------------------------------------------------------------------------------------------------

def run_part(figures: dict, name: str, part) -> None:
    """Run one part; its error (or None, which clears an earlier run's error in results.json) is recorded."""
    try:
        part()
    except Exception as exc:  # noqa: BLE001  (one part failing must not lose the others' figures)
        traceback.print_exc()
        figures[f"{name}_error"] = f"{exc.__class__.__name__}: {exc}"
    else:
        figures.setdefault(f"{name}_error", None)


PARTS = ("position_lookup", "publication", "removal")


def main(parts: tuple[str, ...] = PARTS) -> dict:
    figures: dict = {}
    url = database_url()
    if not url.startswith(("postgres://", "postgresql://")):
        return {"queue_bench_skipped": "the queue benchmarks need PostgreSQL (BENCH_DATABASE_URL)"}
    ensure_database(url)
    setup_django(url)
    started = time.monotonic()
    ensure_data(figures)
    for name, part in (("position_lookup", bench_position_lookup), ("publication", bench_publication),
                       ("removal", bench_removal)):
        if name in parts:
            run_part(figures, name, lambda part=part: part(figures))
    figures["queue_bench_seconds"] = round(time.monotonic() - started, 1)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        figures.setdefault("machine", {})["postgresql"] = cursor.fetchone()[0]
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--render-pdf":
        render_child(int(sys.argv[2]), sys.argv[3])
        sys.exit(0)
    sys.path.insert(0, str(BENCH_DIR))
    from run import machine, merge

    unknown = [p for p in sys.argv[1:] if p not in PARTS]
    if unknown:
        sys.exit(f"unknown part {', '.join(unknown)}; parts: {', '.join(PARTS)}")
    measured_on = machine()
    result = main(tuple(sys.argv[1:]) or PARTS)
    result["machine"] = {**measured_on, **result.get("machine", {})}
    merge(result)
    print(json.dumps(result, indent=2, ensure_ascii=False))
