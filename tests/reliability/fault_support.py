"""Private services for the fault tests: a Redis, Celery workers and a PostgreSQL cluster of their own.

Nothing here touches the shared Redis or PostgreSQL other tests use: every service listens on a free loopback
port, keeps its files in a temporary directory and is killed by the test that started it.
"""

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CELERY = str(VENV_BIN / "celery")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def database_url(settings_dict: dict) -> str:
    """The URL of the database pytest is using (xdist workers get their own test database names)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


def synthetic_person(index: int, *, family: bool = False):
    """A person the intake accepts: a valid IIN whose birth date is distinct for every index."""
    from eligibility.adapters.individuals import PersonRecord
    from eligibility.iin import make_iin

    birth = date(1960, 1, 1) + timedelta(days=index * 3)
    return PersonRecord(
        iin=make_iin(birth, "M", 7000 + index % 1000), surname="Сынақов", given_name=f"Тест{index}", patronymic="",
        birth_date=birth, sex="M", id_document_number=f"N{index:08d}", id_document_issued=date(2015, 1, 1),
        address="Алматы қ., Абай даңғ., 10", registered_since=date(2000, 1, 1),
    )


def child_of(index: int):
    """A family member for `synthetic_person(index)`: a child born 2010+ (distinct per index)."""
    from applications.services.intake import FamilyMemberData
    from eligibility.iin import make_iin

    birth = date(2010, 1, 1) + timedelta(days=index)
    return FamilyMemberData(iin=make_iin(birth, "F", 6000 + index % 1000), relation="child",
                            full_name=f"Бала {index}", birth_date=birth)


# --- Redis ------------------------------------------------------------------------------------------------------

class RedisServer:
    """redis-server on a loopback port, no persistence; `stop()` kills it, `start()` brings it back empty."""

    def __init__(self, port: int, workdir: Path):
        self.port = port
        self.workdir = workdir
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir), "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        wait_until(lambda: port_open(self.port), 10, what=f"redis on port {self.port}")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


# --- Celery workers ---------------------------------------------------------------------------------------------

def service_env(tmp: Path, *, database_url: str, redis_url: str, **extra) -> dict:
    """The environment of a worker or script: local settings, the test database, everything else in `tmp`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEZEK_", "DJANGO_", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="housing_queue.settings.local",
        DJANGO_DEBUG="0",
        DJANGO_LOG_LEVEL="WARNING",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        KEZEK_VAR_DIR=str(tmp / "var"),  # media, e-mail files, an empty trust directory (so no seal)
        KEZEK_SMS_SIMULATOR_LOG=str(tmp / "sms.jsonl"),
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Worker:
    """`celery worker` (solo, or prefork with `concurrency`; with `beat=True` also the embedded beat), in its own
    process group so a kill takes every process of it at once."""

    def __init__(self, env: dict, tmp: Path, name: str, *, beat: bool = False, concurrency: int = 0):
        self.env, self.tmp, self.name, self.beat = env, tmp, name, beat
        self.pool = ["--pool=prefork", "-c", str(concurrency)] if concurrency else ["--pool=solo"]
        self.log_path = tmp / f"{name}.log"
        self.proc = None

    def start(self) -> "Worker":
        args = [CELERY, "-A", "housing_queue", "worker", *self.pool, "-l", "info", "-n", f"{self.name}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat"]
        if self.beat:
            args += ["-B", "-s", str(self.tmp / f"{self.name}-beat-schedule")]
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        return self

    def kill(self, sig=signal.SIGKILL) -> None:
        """The whole process group (worker, embedded beat), at once."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self._log.close()
        self.proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


# --- a throw-away PostgreSQL cluster ----------------------------------------------------------------------------

def postgres_bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


class PrivateCluster:
    """initdb in a temporary directory, listening only on 127.0.0.1:<free port> and a socket in that directory.

    Run as root, the server programs run as the `postgres` system user (PostgreSQL refuses root)."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="kezek-pgfault-"))
        self.data = self.base / "data"
        self.log_file = self.base / "server.log"
        self.as_user = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.base, "postgres", "postgres")

    @staticmethod
    def unavailable_reason() -> str | None:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            return "no PostgreSQL server programs (initdb, pg_ctl) under /usr/lib/postgresql/*/bin"
        if os.geteuid() == 0:
            import pwd

            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no `postgres` system user to run a private cluster as"
            if not shutil.which("runuser"):
                return "running as root without runuser to start the private cluster as `postgres`"
        return None

    def _run(self, program: str, *args, check=True, timeout=60):
        return subprocess.run([*self.as_user, str(self.bin_dir / program), *args], cwd=self.base, check=check,
                              capture_output=True, text=True, timeout=timeout)

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def init(self) -> "PrivateCluster":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
                  "--no-sync")
        return self

    def _options(self) -> str:
        return f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c max_connections=50"

    def start(self) -> "PrivateCluster":
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_file), "-o", self._options(), "-w", "start")
        return self

    def restart(self, mode: str = "fast") -> float:
        """Returns the seconds the server was unavailable (stop + start)."""
        started = time.monotonic()
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_file), "-o", self._options(), "-m", mode, "-w",
                  "restart")
        return time.monotonic() - started

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def psql(self, dbname: str, sql: str) -> str:
        return subprocess.run([str(self.bin_dir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                               "-d", self.url(dbname), "-c", sql],
                              check=True, capture_output=True, text=True).stdout
