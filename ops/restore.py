#!/usr/bin/env python3
"""`make restore BACKUP=<dir> [TARGET_DATABASE_URL=...] [TARGET_MEDIA_ROOT=...] [FORCE=1]`.

Checks the manifest's sha256 of the backup's files, restores the database into TARGET_DATABASE_URL (default: the
application's own DATABASE_URL) and unpacks the stored files into TARGET_MEDIA_ROOT (default: MEDIA_ROOT), then
compares the restored row counts with the manifest.

PostgreSQL: a missing database is created; an existing empty one is used; an existing database with any table
is refused unless FORCE=1, which drops and recreates it (connections to it are closed). pg_restore runs with
--no-owner --no-acl, so the restored objects belong to the user of TARGET_DATABASE_URL.
SQLite (demo mode): the file is copied to the target path, refused over a non-empty file unless FORCE=1.
Files: refused into a non-empty directory unless FORCE=1 (which adds and overwrites, never deletes).
Nothing is changed until every check has passed; a database this script created is dropped again if the
restore fails, so a half restore never looks whole.
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backup_common import (  # noqa: E402
    COUNTED,
    DATABASE_DUMP,
    DATABASE_SQLITE,
    MANIFEST,
    MEDIA_TAR,
    database_from_url,
    django_settings,
    fail,
    is_postgres,
    libpq_env,
    sha256_of,
)


def read_manifest(backup: Path) -> dict:
    path = backup / MANIFEST
    if not path.is_file():
        fail(f"{backup} is not a Kezek backup (no {MANIFEST})")
    manifest = json.loads(path.read_text())
    for name, meta in manifest["files"].items():
        file = backup / name
        if not file.is_file():
            fail(f"{file} is missing")
        if sha256_of(file) != meta["sha256"]:
            fail(f"{file} does not match its sha256 in the manifest: the backup is damaged")
    return manifest


# --- PostgreSQL -------------------------------------------------------------------------------------------------

def _connect(db: dict, dbname: str):
    import psycopg2

    return psycopg2.connect(dbname=dbname, user=db.get("USER") or None, password=db.get("PASSWORD") or None,
                            host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432, connect_timeout=10)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def postgres_state(db: dict) -> int | None:
    """None when the database does not exist, else the number of tables, views and sequences in it."""
    admin = _connect(db, "postgres")
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
            if cur.fetchone() is None:
                return None
    finally:
        admin.close()
    conn = _connect(db, db["NAME"])
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
                        "AND n.nspname NOT LIKE 'pg_toast%%' "
                        "AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')")
            return cur.fetchone()[0]
    finally:
        conn.close()


def _admin(db: dict, sql: str) -> None:
    admin = _connect(db, "postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(sql)
    finally:
        admin.close()


def restore_postgres(db: dict, dump: Path, state: int | None, force: bool) -> None:
    created = False
    if state is None or (state and force):
        if state is not None:
            _admin(db, f"DROP DATABASE {_quote(db['NAME'])} WITH (FORCE)")
        _admin(db, f"CREATE DATABASE {_quote(db['NAME'])} TEMPLATE template0 ENCODING 'UTF8'")
        created = True
    args, env = libpq_env(db)
    pg_restore = os.environ.get("KEZEK_PG_RESTORE", "pg_restore")
    run = subprocess.run([pg_restore, "--no-owner", "--no-acl", "--exit-on-error", "--jobs", "2", *args,
                          "--dbname", db["NAME"], str(dump)], env=env, capture_output=True, text=True)
    if run.returncode != 0:
        if created:
            _admin(db, f"DROP DATABASE IF EXISTS {_quote(db['NAME'])} WITH (FORCE)")
        fail(f"pg_restore failed: {run.stderr.strip()}")


def postgres_counts(db: dict, tables: dict) -> dict:
    conn = _connect(db, db["NAME"])
    try:
        with conn.cursor() as cur:
            return {name: _count(cur, table) for name, table in tables.items()}
    finally:
        conn.close()


def _count(cur, table: str) -> int:
    cur.execute(f"SELECT count(*) FROM {_quote(table)}")
    return cur.fetchone()[0]


# --- SQLite -----------------------------------------------------------------------------------------------------

def sqlite_state(path: Path) -> int | None:
    if not path.exists():
        return None
    if path.stat().st_size == 0:
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view')").fetchone()[0]
    finally:
        conn.close()


def restore_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm"), Path(f"{target}-journal")):
        leftover.unlink(missing_ok=True)  # a stale log of the old file must not be replayed onto the new one
    partial = target.with_name(target.name + ".restoring")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


def sqlite_counts(path: Path, tables: dict) -> dict:
    conn = sqlite3.connect(path)
    try:
        return {name: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for name, table in tables.items()}
    finally:
        conn.close()


# --- files ------------------------------------------------------------------------------------------------------

def media_state(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.is_dir() else 0


def unpack_media(tar_path: Path, root: Path) -> int:
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tar_path, "r:gz") as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        tar.extractall(root, members=members, filter="data")  # no absolute paths, no "..", no links out
    return len(members)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("backup", nargs="?", default=os.environ.get("BACKUP", ""))
    parser.add_argument("--target-database-url", default=os.environ.get("TARGET_DATABASE_URL", ""))
    parser.add_argument("--target-media-root", default=os.environ.get("TARGET_MEDIA_ROOT", ""))
    parser.add_argument("--force", action="store_true", default=os.environ.get("FORCE", "") in ("1", "true", "yes"))
    args = parser.parse_args()
    if not args.backup:
        fail("name the backup directory: make restore BACKUP=var/backups/kezek-...")
    backup = Path(args.backup).resolve()
    started = time.monotonic()
    manifest = read_manifest(backup)
    settings = django_settings()
    if args.target_database_url:
        db = database_from_url(args.target_database_url)
    else:
        db = dict(settings.DATABASES["default"])
    media_root = Path(args.target_media_root or settings.MEDIA_ROOT).resolve()

    if manifest["engine"] == "postgresql":
        if not is_postgres(db):
            fail("this backup is of a PostgreSQL database; give a postgres:// TARGET_DATABASE_URL")
        state = postgres_state(db)
    else:
        if is_postgres(db):
            fail("this backup is of the SQLite demo database; give a sqlite:/// TARGET_DATABASE_URL")
        state = sqlite_state(Path(db["NAME"]))
    if state and not args.force:
        fail(f"refusing to restore over the non-empty database {db['NAME']!r} ({state} tables and sequences); "
             "name a new database in TARGET_DATABASE_URL, or FORCE=1 to replace it")
    existing_files = media_state(media_root)
    if existing_files and not args.force:
        fail(f"refusing to unpack into {media_root}, which already holds {existing_files} files; "
             "name an empty TARGET_MEDIA_ROOT, or FORCE=1")

    if manifest["engine"] == "postgresql":
        restore_postgres(db, backup / DATABASE_DUMP, state, args.force)
        counts = postgres_counts(db, {k: COUNTED[k] for k in manifest["row_counts"]})
    else:
        restore_sqlite(backup / DATABASE_SQLITE, Path(db["NAME"]))
        counts = sqlite_counts(Path(db["NAME"]), {k: COUNTED[k] for k in manifest["row_counts"]})
    unpacked = unpack_media(backup / MEDIA_TAR, media_root)

    if counts != manifest["row_counts"]:
        fail(f"restored row counts {counts} differ from the backup's {manifest['row_counts']}")
    if unpacked != manifest["media_files"]:
        fail(f"unpacked {unpacked} files, the backup lists {manifest['media_files']}")
    seconds = time.monotonic() - started
    print(f"restored {backup.name} into database {db['NAME']!r} and {media_root} in {seconds:.1f} s: "
          + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()) + f", {unpacked} files")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # e.g. the database server is unreachable: one clear line, not a traceback
        if type(exc).__module__.startswith("psycopg2"):
            fail(f"database error: {str(exc).strip()}")
        raise
