"""What ops/backup.py and ops/restore.py share: the Django settings they read, hashing, connection details."""

import hashlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "manifest.json"
DATABASE_DUMP = "database.dump"  # pg_dump --format=custom
DATABASE_SQLITE = "database.sqlite3"  # the demo mode's SQLite file (an online copy, sqlite3 backup API)
MEDIA_TAR = "media.tar.gz"  # MEDIA_ROOT: uploaded scans, issued PDFs, published lists
FORMAT = 1
COUNTED = {  # a restore is checked against the number of rows of these tables at backup time
    "applications": "applications_application",
    "attachments": "applications_attachment",
    "issued_documents": "documents_issueddocument",
    "queue_entries": "queues_queueentry",
    "outbox_messages": "audit_outboxmessage",
}


def django_settings():
    """The settings the application itself runs with (DATABASE_URL, DJANGO_MEDIA_ROOT, KEZEK_VAR_DIR...).

    Only settings and raw database connections are used, so the apps are not loaded (faster, fewer imports)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "housing_queue.settings.local")
    import warnings

    from django.conf import settings

    # raw SQL without the app registry is deliberate here (no models are used)
    warnings.filterwarnings("ignore", message="Accessing the database during app initialization")
    settings.DATABASES  # noqa: B018  (loads the settings module now, so a broken one fails here)
    return settings


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def libpq_env(db: dict) -> tuple[list[str], dict]:
    """pg_dump / pg_restore / psql arguments for a Django database dict; the password goes in the environment."""
    env = dict(os.environ)
    args = ["--host", db.get("HOST") or "127.0.0.1", "--port", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return args, env


def database_from_url(url: str) -> dict:
    """A Django database dict from a URL (postgres://user:pass@host:port/name or sqlite:////abs/path)."""
    import dj_database_url

    try:
        return dj_database_url.parse(url)
    except Exception as exc:
        fail(f"cannot read the database URL: {exc}")


def is_postgres(db: dict) -> bool:
    return "postgresql" in db["ENGINE"] or "postgis" in db["ENGINE"]


def fail(message: str, code: int = 2):
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(code)
