#!/usr/bin/env python3
"""`make backup`: the database and every stored file, in one timestamped directory with a checksummed manifest.

    var/backups/kezek-20260315T020000Z/        (KEZEK_BACKUP_DIR, default var/backups)
        database.dump      pg_dump --format=custom of the application's database (PostgreSQL)
        database.sqlite3   or, in the SQLite demo mode, an online copy of the database file
        media.tar.gz       MEDIA_ROOT: uploaded scans, issued PDFs, published queue lists
        manifest.json      sha256 and size of both, row counts to check a restore against, migration state

The database is dumped first, then the files are archived: files are written before the rows that point to
them commit and are never rewritten, so every file the dump refers to is already on disk when tar reads it.
The database and files are read with the application's own settings (DATABASE_URL, DJANGO_MEDIA_ROOT, ...).
"""

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tarfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backup_common import (  # noqa: E402
    COUNTED,
    DATABASE_DUMP,
    DATABASE_SQLITE,
    FORMAT,
    MANIFEST,
    MEDIA_TAR,
    ROOT,
    django_settings,
    fail,
    is_postgres,
    libpq_env,
    sha256_of,
)


def backup_directory(base: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for suffix in ["", *(f"-{n}" for n in range(1, 100))]:
        target = base / f"kezek-{stamp}{suffix}"
        try:
            target.mkdir(parents=True)
            return target
        except FileExistsError:
            continue
    fail(f"cannot create a backup directory under {base}")


def dump_postgres(db: dict, target: Path, snapshot: str) -> None:
    args, env = libpq_env(db)
    pg_dump = os.environ.get("KEZEK_PG_DUMP", "pg_dump")
    if not shutil.which(pg_dump):
        fail("pg_dump is not installed (Debian: apt-get install postgresql-client)")
    run = subprocess.run([pg_dump, "--format=custom", f"--snapshot={snapshot}",
                          "--file", str(target), *args, db["NAME"]], env=env, capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"pg_dump failed: {run.stderr.strip()}")


def copy_sqlite(db: dict, target: Path) -> None:
    """The sqlite3 backup API copies a consistent state even while the server writes."""
    if not Path(db["NAME"]).is_file():
        fail(f"there is no database file at {db['NAME']} (run `make migrate` first, or set DATABASE_URL)")
    source = sqlite3.connect(f"file:{db['NAME']}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    with copy:
        source.backup(copy)
    copy.close()
    source.close()


def archive_media(media_root: Path, target: Path) -> int:
    count = 0
    with tarfile.open(target, "w:gz") as tar:
        if media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    tar.add(path, arcname=path.relative_to(media_root).as_posix(), recursive=False)
                    count += 1
    return count


def row_counts(cursor, tables: set[str]) -> dict:
    counts = {}
    for name, table in COUNTED.items():
        if table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[name] = cursor.fetchone()[0]
    return counts


def migration_state(cursor) -> dict:
    cursor.execute("SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app")
    return dict(cursor.fetchall())


def backup_postgres(db: dict, target: Path) -> tuple[dict, dict]:
    """Counts and dump from one snapshot: the transaction below exports it and pg_dump reads exactly that state."""
    from django.db import connection, transaction

    tables = set(connection.introspection.table_names())
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts, migrations = row_counts(cursor, tables), migration_state(cursor)
            dump_postgres(db, target / DATABASE_DUMP, snapshot)
    return counts, migrations


def backup_sqlite(db: dict, target: Path) -> tuple[dict, dict]:
    copy_sqlite(db, target / DATABASE_SQLITE)
    copy = sqlite3.connect(target / DATABASE_SQLITE)
    try:
        cursor = copy.cursor()
        tables = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return row_counts(cursor, tables), migration_state(cursor)
    finally:
        copy.close()


def main() -> int:
    settings = django_settings()
    db = settings.DATABASES["default"]
    base = Path(os.environ.get("KEZEK_BACKUP_DIR") or settings.VAR_DIR / "backups")
    if not base.is_absolute():
        base = ROOT / base
    media_root = Path(settings.MEDIA_ROOT)
    started = time.monotonic()
    target = backup_directory(base)
    try:
        if is_postgres(db):
            database_file = DATABASE_DUMP
            counts, migrations = backup_postgres(db, target)
        elif "sqlite" in db["ENGINE"]:
            database_file = DATABASE_SQLITE
            counts, migrations = backup_sqlite(db, target)
        else:
            fail(f"no backup method for {db['ENGINE']}")
        media_files = archive_media(media_root, target / MEDIA_TAR)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # never leave a half backup that looks whole
        raise
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "engine": "postgresql" if is_postgres(db) else "sqlite",
        "database_name": Path(db["NAME"]).name if not is_postgres(db) else db["NAME"],
        "media_root": str(media_root),
        "files": {
            name: {"sha256": sha256_of(target / name), "bytes": (target / name).stat().st_size}
            for name in (database_file, MEDIA_TAR)
        },
        "media_files": media_files,
        "row_counts": counts,
        "migrations": migrations,
        "seconds": round(time.monotonic() - started, 2),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"backup written to {target} ({manifest['seconds']} s; {counts.get('applications', 0)} applications, "
          f"{media_files} files)")
    print(target)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # e.g. the database server is unreachable: one clear line, not a traceback
        from django.db import DatabaseError

        if isinstance(exc, DatabaseError):
            fail(f"database error: {str(exc).strip()}")
        raise
