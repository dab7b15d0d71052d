"""Accepting applications in a process of its own, as the web server would; driven by the fault tests.

    intake_script.py once --count N --out result.json
        N applications one after another (the broker may be down: dispatch only logs a warning).
    intake_script.py load --threads T --out result.jsonl --stop stopfile [--max-seconds S]
        T threads accept applications in a loop until the stop file appears, each through the intake service
        with its own database connection (the same code path as the operator's form, without HTTP and EDS).
        One JSON line per attempt: {"ok": true, "number", "id", "index"} once the service returned (the
        transaction committed), or {"ok": false, "error", "index"}. Outbox messages are left pending
        (dispatch is a no-op here): the load run is about the database, the worker tests cover delivery.

Run with the environment from fault_support.service_env (local settings, DATABASE_URL of the database to use);
the department, its lists and the operator come from tests.factories (`department` and `users` fixtures).
"""

import argparse
import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def setup():
    import django

    django.setup()


def department():
    from accounts.models import Provider, ServiceCentre, Settlement
    from tests.factories import Department

    provider, other = Provider.objects.get(code="almaty"), Provider.objects.get(code="aktobe")
    return Department(provider, Settlement.objects.get(provider=provider), ServiceCentre.objects.get(code="con-1"),
                      other, Settlement.objects.get(provider=other), ServiceCentre.objects.get(code="con-2"))


def request_for(dept, operator, index: int):
    from tests.factories import intake_request
    from tests.reliability.fault_support import child_of, synthetic_person

    return intake_request(dept, operator, person=synthetic_person(index), family=[child_of(index)])


def once(args) -> int:
    from accounts.models import User
    from applications.services.intake import accept_application

    dept, operator = department(), User.objects.get(username=args.operator)
    accepted, timings = [], []
    for index in range(args.first, args.first + args.count):
        started = time.monotonic()
        application = accept_application(request_for(dept, operator, index))
        timings.append(time.monotonic() - started)
        accepted.append({"number": application.number, "id": application.pk})
    Path(args.out).write_text(json.dumps({"accepted": accepted, "seconds": timings}))
    return 0


def load(args) -> int:
    from django.db import close_old_connections, connection

    import audit.relay
    from accounts.models import User
    from applications.services.intake import accept_application

    audit.relay.dispatch = lambda message_id: None  # outbox messages stay pending; counted by the test
    dept, operator = department(), User.objects.get(username=args.operator)
    stop = Path(args.stop)
    out = open(args.out, "a", buffering=1, encoding="utf-8")
    lock = threading.Lock()
    counter = iter(range(args.first, 10**9))
    deadline = time.monotonic() + args.max_seconds

    def write(record):
        with lock:
            out.write(json.dumps(record) + "\n")

    def run():
        while not stop.exists() and time.monotonic() < deadline:
            with lock:
                index = next(counter)
            close_old_connections()  # what Django does at the start of every request
            try:
                application = accept_application(request_for(dept, operator, index))
            except Exception as exc:  # the client saw an error: its request may or may not have committed
                write({"ok": False, "index": index, "error": f"{type(exc).__name__}: {exc}"[:300],
                       "at": time.time()})
                try:
                    connection.close()
                except Exception:
                    pass
                time.sleep(0.05)
                continue
            write({"ok": True, "index": index, "number": application.number, "id": application.pk,
                   "at": time.time()})
        connection.close()

    threads = [threading.Thread(target=run) for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["once", "load"])
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--first", type=int, default=0, help="index of the first synthetic applicant")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--stop", default="")
    parser.add_argument("--max-seconds", type=float, default=60)
    parser.add_argument("--operator", default="operator")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "housing_queue.settings.local")
    setup()
    try:
        return once(args) if args.mode == "once" else load(args)
    except Exception:
        traceback.print_exc()
        return 2


if __name__ == "__main__":
    sys.exit(main())
