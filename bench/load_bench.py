#!/usr/bin/env python
"""Load benchmarks (issue 8 "Load"; CONTRACT.md "Benchmark results"; bench/README.md says what each key means).

Intake: complete paper applications over HTTP (the ЦОН operator's form, POST /operator/new/?iin=…) from a
bounded pool of client threads, as fast as the server takes them, then checked in the database (lost cases,
duplicate queue keys). Browsing: 50 concurrent clients on the citizen cabinet, a bare page of the same server
and the staff inbox over 10,000 open cases; p50/p95 each. Query counts of one inbox and one cabinet page are
measured in-process.

Runs against its own PostgreSQL database LOAD_DATABASE_URL (default kezek_load: created, migrated and filled
with seed_demo plus 10,000 open cases on the first run), gunicorn with the production settings on loopback.
Everything Django runs in a child process (`load_bench.py --child`): `bench/run.py` imports every benchmark
into one process, and Django can be set up only once per process, with one database.

    python bench/load_bench.py            # measure and merge into bench/results.json
    python bench/run.py load_bench        # the same, through the runner `make bench` uses
"""

from __future__ import annotations

import json
import os
import queue
import random
import re
import secrets
import string
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import date, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/kezek_load"
INTAKE_SECONDS = float(os.environ.get("LOAD_INTAKE_SECONDS", "25"))
INTAKE_CLIENTS = int(os.environ.get("LOAD_INTAKE_CLIENTS", "8"))
INTAKE_RUNS = int(os.environ.get("LOAD_INTAKE_RUNS", "3"))
BROWSE_SECONDS = float(os.environ.get("LOAD_BROWSE_SECONDS", "20"))
BROWSE_CLIENTS = int(os.environ.get("LOAD_BROWSE_CLIENTS", "50"))
OPEN_CASES = int(os.environ.get("LOAD_OPEN_CASES", "10000"))
# sync workers are CPU-bound and share the cores with PostgreSQL: one per core measured best here
# (2 workers 115/s, 3 workers 102/s on the same host minutes apart)
GUNICORN_WORKERS = int(os.environ.get("LOAD_GUNICORN_WORKERS", str(os.cpu_count() or 2)))
BARE_PATH = "/queue/lookup/"  # the empty lookup form: middleware + layout template, no session, no query
CASE_RE = re.compile(r"/operator/cases/([^/]+)/$")


def log(message: str) -> None:
    print(f"[load_bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def database_url() -> str:
    return os.environ.get("LOAD_DATABASE_URL") or DEFAULT_DB


# --- the data ----------------------------------------------------------------------------------------------------

def ensure_data() -> dict:
    """Migrate; seed_demo once; top the demo provider up to OPEN_CASES open cases (registered / in review)."""
    from django.core.management import call_command

    from accounts.models import User

    log("migrate")
    call_command("migrate", interactive=False, verbosity=0)
    if not User.objects.filter(username="operator").exists():
        log("seed_demo")
        call_command("seed_demo", force=True, verbosity=0, stdout=open(os.devnull, "w"))
    clerk = User.objects.get(username="clerk")
    from applications.selectors import inbox_cases

    missing = OPEN_CASES - inbox_cases(clerk).count()
    if missing > 0:
        log(f"adding {missing} open cases")
        t = time.monotonic()
        bulk_open_cases(clerk.provider_id, missing)
        log(f"added in {time.monotonic() - t:.1f} s")
    from django.db import connection

    from applications.selectors import cabinet_cases

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE applications_application")  # as autovacuum would after a bulk load
    citizen = cabinet_citizen()
    return {"inbox_open_cases": inbox_cases(clerk).count(), "cabinet_user": citizen.username,
            "cabinet_cases_shown": cabinet_cases(citizen).count(), **published_list()}


def published_list() -> dict:
    """The longest list, published once (as the monthly job does); the browsed page is its middle one."""
    from django.db.models import Count

    from queues.models import QueueList, SnapshotKind, SnapshotStatus
    from queues.services.publication import publish_list

    queue_list = (QueueList.objects.annotate(n=Count("entries")).order_by("-n", "pk").select_related("provider")
                  .first())
    snapshot = queue_list.snapshots.filter(status=SnapshotStatus.PUBLISHED).order_by("-pk").first()
    if snapshot is None or snapshot.row_count < 100:
        log(f"publishing {queue_list.code}")
        snapshot = publish_list(queue_list, kind=SnapshotKind.ON_DEMAND)
    page = max(1, snapshot.row_count // 100)  # 50 rows a page: the middle page
    return {"public_list_path": f"/queue/{queue_list.provider.code}/{queue_list.code}/?page={page}",
            "public_list_rows": snapshot.row_count}


def cabinet_citizen():
    """The demo applicant with the most cases (a place in the queue among them): a cabinet with something in it.

    The demo `citizen` starts with an empty cabinet (so that they can apply), which would flatter the page."""
    from accounts.models import Role, User
    from applications.models import CaseState
    from applications.selectors import cabinet_cases

    best, best_key = None, None
    for user in User.objects.filter(role=Role.APPLICANT, username__startswith="demo-").order_by("pk"):
        cases = cabinet_cases(user)
        key = (cases.count(), cases.filter(state=CaseState.QUEUED).exists())
        if best_key is None or key > best_key:
            best, best_key = user, key
    if best is None or best_key[0] == 0:
        raise RuntimeError("seed_demo made no portal applicant with a case")
    return best


def fresh_iins(count: int, *, seed: int) -> list[str]:
    """Distinct valid IINs the individuals simulator answers as living residents (serial 9xxx), not yet in the DB."""
    from applications.models import Person
    from eligibility.iin import make_iin

    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < count:
        batch = set()
        while len(batch) < (count - len(found)) * 2:
            birth = date(1950, 1, 1) + timedelta(days=rng.randrange(40 * 365))
            iin = make_iin(birth, rng.choice("MF"), rng.randrange(9000, 9900))
            if iin[7] == "9":
                batch.add(iin)
        batch -= found
        batch -= set(Person.objects.filter(iin__in=batch).values_list("iin", flat=True))
        found |= set(list(batch)[: count - len(found)])
    return sorted(found, key=lambda _x: rng.random())


def bulk_open_cases(provider_id: int, count: int) -> None:
    """Clone one demo case `count` times in two INSERT … SELECT statements: new person, number and queue key each,
    half registered, half in review (the inbox reads only the case row and what it select_related)."""
    from django.db import connection, transaction

    from applications.models import Application, CaseState

    template = (Application.objects.filter(provider_id=provider_id, state__in=[CaseState.REGISTERED, CaseState.IN_REVIEW])
                .order_by("pk").first())
    if template is None:
        raise RuntimeError("seed_demo made no registered or in-review case to clone")
    iins = fresh_iins(count, seed=time.time_ns())

    def columns(table: str, skip: set[str]) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                           "ORDER BY ordinal_position", [table])
            return [row[0] for row in cursor.fetchall() if row[0] not in skip]

    person_cols = columns("applications_person", {"id", "iin"})
    app_cols = columns("applications_application", {"id", "number", "applicant_id", "queue_seq", "state", "accepted_at"})
    q = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO applications_person (iin, {', '.join(map(q, person_cols))}) "
            f"SELECT n.iin, {', '.join('t.' + q(c) for c in person_cols)} "
            "FROM applications_person t, unnest(%s::text[]) AS n(iin) WHERE t.id = %s",
            [iins, template.applicant_id],
        )
        cursor.execute(
            f"INSERT INTO applications_application (number, applicant_id, queue_seq, state, accepted_at, "
            f"{', '.join(map(q, app_cols))}) "
            "SELECT 'LOAD-' || s.seq, p.id, s.seq, "
            "CASE WHEN s.seq %% 2 = 0 THEN %s ELSE %s END, now() - (s.ord || ' seconds')::interval, "
            f"{', '.join('t.' + q(c) for c in app_cols)} "
            "FROM applications_application t, "
            "(SELECT iin, ord, nextval('applications_queue_seq') AS seq FROM unnest(%s::text[]) WITH ORDINALITY AS u(iin, ord)) s "
            "JOIN applications_person p ON p.iin = s.iin WHERE t.id = %s",
            [CaseState.REGISTERED.value, CaseState.IN_REVIEW.value, iins, template.pk],
        )


def http_login(server, username: str) -> tuple[str, str]:
    """Log in through the login form as a browser does: (Cookie header value, CSRF token for later POSTs)."""
    from applications.management.commands.seed_demo import PASSWORD

    csrf_cookie, token = csrf_pair()
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD})
    status, headers, _page = server.request("POST", "/accounts/login/", body, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": csrf_cookie})
    cookies = dict(v.split(";", 1)[0].split("=", 1) for k, v in headers if k.lower() == "set-cookie")
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"login of {username} answered {status}")
    token = cookies.get("csrftoken", token)  # rotated at login
    return f"sessionid={cookies['sessionid']}; csrftoken={token}", token


# --- intake -----------------------------------------------------------------------------------------------------

def intake_form() -> dict:
    """The operator's form for a complete LARGE_FAMILY application at the operator's branch (documents all there)."""
    from django.db.models import Q

    from accounts.models import Settlement, User
    from applications.models import Category, DocumentType

    operator = User.objects.get(username="operator")
    settlement = (Settlement.objects.filter(provider__service_centres=operator.service_centre)
                  .order_by("pk").first())
    category = Category.objects.get(code="LARGE_FAMILY")
    documents = (DocumentType.objects.for_intake()
                 .filter(Q(required_for_all=True) | Q(pk__in=category.required_documents.values("pk"))).distinct())
    return {
        "settlement": settlement.pk, "fund": "communal", "category": category.pk, "phone": "+77017654321",
        "email": "", "documents_received": [d.pk for d in documents], "property_check": "on", "personal_data": "on",
        "publication": "on", "family-TOTAL_FORMS": "0", "family-INITIAL_FORMS": "0", "family-MIN_NUM_FORMS": "0",
        "family-MAX_NUM_FORMS": "15",
    }


def csrf_pair() -> tuple[str, str]:
    """A CSRF cookie and the same secret as the form token (Django accepts the unmasked 32-character secret)."""
    secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    return f"csrftoken={secret}", secret


def operator_session(server, iin_count: int) -> tuple[dict, str, queue.SimpleQueue]:
    """The operator logged in: request headers, the complete form's body, and `iin_count` fresh people to file for."""
    cookie, token = http_login(server, "operator")
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    body = urllib.parse.urlencode({**intake_form(), "csrfmiddlewaretoken": token}, doseq=True)
    iins = queue.SimpleQueue()
    for iin in fresh_iins(iin_count, seed=time.time_ns()):
        iins.put(iin)
    return headers, body, iins


def accepted_case(status: int, headers) -> str | None:
    """The case number an accepted application redirects to (/operator/cases/<number>/), else None."""
    location = dict((k.lower(), v) for k, v in headers).get("location", "")
    match = CASE_RE.search(urllib.parse.urlparse(location).path) if status == 302 else None
    return urllib.parse.unquote(match.group(1)) if match else None


def run_clients(file_one, iins: queue.SimpleQueue, count: int, seconds: float) -> float:
    """`count` threads call `file_one(iin)` for the next fresh person until `seconds` have passed or the people run
    out; returns the wall time."""
    stop_at = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < stop_at:
            try:
                iin = iins.get_nowait()
            except queue.Empty:
                return
            file_one(iin)

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


def duplicate_queue_keys() -> int:
    """Queue keys used twice in the whole database: duplicates of (accepted_at, queue_seq) plus of queue_seq."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM applications_application "
                       "GROUP BY accepted_at, queue_seq HAVING COUNT(*) > 1) d")
        duplicates = int(cursor.fetchone()[0])
        cursor.execute("SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM applications_application "
                       "GROUP BY queue_seq HAVING COUNT(*) > 1) d")
        return duplicates + int(cursor.fetchone()[0])


def bench_intake(server, figures: dict) -> None:
    from django.db import connection

    from applications.models import Application
    from audit.models import OutboxMessage

    headers, body, iins = operator_session(server, INTAKE_RUNS * (int(INTAKE_SECONDS * 400) + 1000))
    outbox_before = OutboxMessage.objects.filter(delivered_at__isnull=True).count()
    lock = threading.Lock()
    numbers: list[str] = []
    errors: dict[str, int] = {}
    times: list[float] = []

    def file_one(iin: str) -> None:
        t = time.perf_counter()
        try:
            status, answer_headers, _page = server.request("POST", f"/operator/new/?iin={iin}", body, headers)
            number = accepted_case(status, answer_headers)
            outcome = number or f"HTTP {status}"
        except OSError as exc:
            number, outcome = None, exc.__class__.__name__
        elapsed = time.perf_counter() - t
        with lock:
            times.append(elapsed)
            if number:
                numbers.append(number)
            else:
                errors[outcome] = errors.get(outcome, 0) + 1

    from run import cpu_reference_ms

    rates, wall, reference = [], 0.0, []
    for run in range(INTAKE_RUNS):
        reference.append(cpu_reference_ms())  # the median of several runs: the shared host's speed drifts between runs
        accepted_before = len(numbers)
        log(f"intake run {run + 1}/{INTAKE_RUNS}: {INTAKE_CLIENTS} clients for {INTAKE_SECONDS:.0f} s")
        run_wall = run_clients(file_one, iins, INTAKE_CLIENTS, INTAKE_SECONDS)
        rates.append(round((len(numbers) - accepted_before) / run_wall, 1))
        wall += run_wall
    found = set(Application.objects.filter(number__in=numbers).values_list("number", flat=True))
    duplicate_keys = duplicate_queue_keys()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM queues_queueentry "
                       "GROUP BY queue_list_id, accepted_at, queue_seq HAVING COUNT(*) > 1) d")
        duplicate_places = int(cursor.fetchone()[0])
        cursor.execute("SELECT COUNT(*) FROM queues_queueentry e JOIN applications_application a "
                       "ON a.id = e.application_id WHERE a.number = ANY(%s)", [numbers])
        places = cursor.fetchone()[0]
    from queue_bench import ms, percentile

    figures.update(
        intake_per_second=sorted(rates)[len(rates) // 2],
        intake_runs_per_second=rates,
        intake_runs_cpu_reference_ms=reference,  # bench/run.py cpu_reference_ms before each run: the host's speed
        intake_accepted=len(numbers),
        intake_seconds=round(wall, 1),
        intake_clients=INTAKE_CLIENTS,
        intake_errors=sum(errors.values()),
        intake_error_kinds=errors or None,
        intake_lost=len(set(numbers) - found),
        intake_duplicate_numbers=len(numbers) - len(set(numbers)),
        intake_duplicate_keys=duplicate_keys,
        intake_duplicate_queue_places=duplicate_places,
        intake_places_opened=places,
        intake_p50_ms=ms(percentile(times, 50)) if times else None,
        intake_p95_ms=ms(percentile(times, 95)) if times else None,
        intake_outbox_pending_added=OutboxMessage.objects.filter(delivered_at__isnull=True).count() - outbox_before,
        intake_eds="off",
        intake_path="POST /operator/new/?iin=… (ЦОН operator's paper application, complete package)",
    )
    log(f"intake: {figures['intake_per_second']}/s, {figures['intake_errors']} errors, {figures['intake_lost']} lost, "
        f"{duplicate_keys} duplicate keys")


# --- browsing ---------------------------------------------------------------------------------------------------

def browse(server, path: str, cookie: str, expect: int = 200) -> dict:
    """BROWSE_CLIENTS threads GET `path` back to back for BROWSE_SECONDS; the first 2 s are warm-up."""
    lock = threading.Lock()
    times: list[float] = []
    errors = [0]
    started = time.monotonic()
    warm_until, stop_at = started + 2, started + 2 + BROWSE_SECONDS
    headers = {"Cookie": cookie} if cookie else {}

    def client() -> None:
        while (now := time.monotonic()) < stop_at:
            t = time.perf_counter()
            try:
                status, _headers, _page = server.request("GET", path, headers=headers)
            except OSError:
                status = 0
            elapsed = time.perf_counter() - t
            if now >= warm_until:
                with lock:
                    times.append(elapsed)
                    errors[0] += status != expect

    threads = [threading.Thread(target=client) for _ in range(BROWSE_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    from queue_bench import ms, percentile

    return {"p50_ms": ms(percentile(times, 50)), "p95_ms": ms(percentile(times, 95)), "requests": len(times),
            "per_second": round(len(times) / BROWSE_SECONDS, 1), "errors": errors[0]}


def bench_browsing(server, figures: dict) -> None:
    pages = {
        "cabinet": ("/cabinet/", http_login(server, figures["cabinet_user"])[0]),
        "bare_view": (BARE_PATH, ""),
        "inbox": ("/staff/inbox/", http_login(server, "clerk")[0]),
        "public_list": (figures["public_list_path"], ""),
    }
    results = {}
    for name, (path, cookie) in pages.items():
        log(f"browsing {path}: {BROWSE_CLIENTS} clients for {BROWSE_SECONDS:.0f} s")
        results[name] = browse(server, path, cookie)
        log(f"  {results[name]}")
    cabinet, bare, inbox, public = results["cabinet"], results["bare_view"], results["inbox"], results["public_list"]
    figures.update(
        cabinet_p50_ms=cabinet["p50_ms"], cabinet_p95_ms=cabinet["p95_ms"],
        cabinet_ratio_to_bare_view=round(cabinet["p95_ms"] / bare["p95_ms"], 2),
        cabinet_ratio_to_bare_view_p50=round(cabinet["p50_ms"] / bare["p50_ms"], 2),
        bare_view_path=f"GET {BARE_PATH}", bare_view_p50_ms=bare["p50_ms"], bare_view_p95_ms=bare["p95_ms"],
        inbox_p50_ms=inbox["p50_ms"], inbox_p95_ms=inbox["p95_ms"],
        public_list_p50_ms=public["p50_ms"], public_list_p95_ms=public["p95_ms"],
        browse_clients=BROWSE_CLIENTS, browse_seconds=BROWSE_SECONDS,
        browse_requests={k: v["requests"] for k, v in results.items()},
        browse_per_second={k: v["per_second"] for k, v in results.items()},
        browse_errors=sum(v["errors"] for v in results.values()),
    )


def page_queries(username: str, path: str) -> tuple[int, int]:
    """(SQL queries, status) of one GET of `path` as `username`, in this process over the same database."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client(HTTP_HOST="localhost")
    if username:  # None: an anonymous visitor
        client.force_login(User.objects.get(username=username), backend="accounts.backends.IinOrUsernameBackend")
    client.get(path)  # warm caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return len(captured.captured_queries), response.status_code


def bench_query_counts(figures: dict) -> None:
    from accounts.models import User
    from applications.selectors import inbox_cases

    small = User.objects.get(username="aktobe-clerk")
    inbox, status = page_queries("clerk", "/staff/inbox/")
    small_inbox, small_status = page_queries("aktobe-clerk", "/staff/inbox/")
    cabinet, cabinet_status = page_queries(figures["cabinet_user"], "/cabinet/")
    public, public_status = page_queries(None, figures["public_list_path"])
    if {status, small_status, cabinet_status, public_status} != {200}:
        raise RuntimeError(f"query count pages answered {status}, {small_status}, {cabinet_status}, {public_status}")
    figures.update(
        inbox_queries=inbox,
        inbox_queries_small_provider=small_inbox,
        inbox_small_provider_open_cases=inbox_cases(small).count(),
        cabinet_queries=cabinet,
        public_list_queries=public,
    )


# --- the run ----------------------------------------------------------------------------------------------------

def child() -> dict:
    """Everything that needs Django, in its own process; prints the figures as JSON on the last line."""
    import queue_bench

    url = database_url()
    queue_bench.ensure_database(url)
    queue_bench.setup_django(url)
    queue_bench.database_url = database_url  # queue_bench.Gunicorn serves this benchmark's database
    started = time.monotonic()
    figures = ensure_data()
    os.environ["KEZEK_REQUIRE_EDS"] = "0"  # the server takes unsigned applications (see intake_eds)
    for name, part in (("query_counts", lambda: bench_query_counts(figures)),):
        queue_bench.run_part(figures, name, part)
    server = queue_bench.Gunicorn(workers=GUNICORN_WORKERS)
    try:
        figures["load_server"] = (f"gunicorn {GUNICORN_WORKERS} sync workers, production settings, "
                                  f"KEZEK_REQUIRE_EDS=0, cache {'Redis' if server.redis else 'local memory'}")
        queue_bench.run_part(figures, "intake", lambda: bench_intake(server, figures))
        queue_bench.run_part(figures, "browsing", lambda: bench_browsing(server, figures))
    finally:
        server.stop()
    import signed_intake  # the same intake signed with the operator's demo key, on a server that requires EDS

    queue_bench.run_part(figures, "intake_signed", lambda: signed_intake.run(
        figures, seconds=INTAKE_SECONDS, clients=INTAKE_CLIENTS, workers=GUNICORN_WORKERS))
    figures["load_bench_seconds"] = round(time.monotonic() - started, 1)
    # the clients and the server share the machine's cores: other work during the run shows up here
    figures["load_bench_load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        figures.setdefault("machine", {})["postgresql"] = cursor.fetchone()[0]
    return figures


def main() -> dict:
    url = database_url()
    if not url.startswith(("postgres://", "postgresql://")):
        return {"load_bench_skipped": "the load benchmarks need PostgreSQL (LOAD_DATABASE_URL)"}
    env = dict(os.environ, LOAD_DATABASE_URL=url, DJANGO_SETTINGS_MODULE="housing_queue.settings.local",
               DJANGO_DEBUG="0")
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, __file__, "--child"], cwd=ROOT, env=env, stdout=subprocess.PIPE)
    lines = result.stdout.decode().strip().splitlines()
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"load benchmark child failed (exit {result.returncode})")
    return json.loads(lines[-1])


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT), str(BENCH_DIR)]
    if sys.argv[1:] == ["--child"]:
        print(json.dumps(child(), ensure_ascii=False))
        sys.exit(0)
    from run import machine, merge

    measured_on = machine()
    figures = main()
    figures["machine"] = {**measured_on, **figures.get("machine", {})}
    merge(figures)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
