"""Backups of the project database: create, verify, rotate and restore.

PostgreSQL: `pg_dump` custom format taken inside an exported REPEATABLE READ snapshot, so the row counts
recorded in the manifest are exactly the dump's; `pg_restore` into one transaction. SQLite: the sqlite3 online
backup API in both directions. Every backup file `tutorcal-<UTC stamp>.dump|.sqlite3` has a manifest beside it
(`<file>.json`: engine, sha256, size and the row count of every table) that `--verify` and `restore` check.
Connection secrets go to the client tools through the environment (PGPASSWORD), never on a command line.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db import connections

MANIFEST_FORMAT = "tutorcal-backup/1"
NAME_RE = re.compile(r"^tutorcal-(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<label>[a-z0-9-]+))?\.(?P<ext>dump|sqlite3)$")
PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
# Rows that `migrate` itself writes; a database holding only these counts as empty for `restore`.
BOOKKEEPING_TABLES = {"django_migrations", "django_content_type", "auth_permission"}
PG_RELKINDS = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE", "f": "FOREIGN TABLE"}


class BackupError(Exception):
    """An operator-facing failure (the message says what to do)."""


@dataclass
class Backup:
    path: Path
    manifest: dict

    @property
    def manifest_path(self) -> Path:
        return manifest_path(self.path)


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def is_postgres(alias: str = "default") -> bool:
    return connections[alias].vendor == "postgresql"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def file_engine(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(PG_MAGIC):
        return "postgresql"
    if head == SQLITE_MAGIC:
        return "sqlite"
    raise BackupError(f"{path} is neither a pg_dump custom-format archive nor an SQLite database")


# --- PostgreSQL plumbing -------------------------------------------------------------------------------------


def _require_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found on PATH (install the PostgreSQL client, e.g. postgresql-client)")
    return found


def pg_env(settings_dict: dict, dbname: str | None = None) -> dict:
    """libpq environment for the client tools: the password never appears in a process list."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values = {
        "PGHOST": settings_dict.get("HOST") or "",
        "PGPORT": str(settings_dict.get("PORT") or ""),
        "PGUSER": settings_dict.get("USER") or "",
        "PGPASSWORD": settings_dict.get("PASSWORD") or "",
        "PGDATABASE": dbname or settings_dict["NAME"],
    }
    options = settings_dict.get("OPTIONS") or {}
    for option, var in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ):
        if options.get(option):
            values[var] = str(options[option])
    env.update({k: v for k, v in values.items() if v})
    return env


def pg_connect(settings_dict: dict, dbname: str | None = None, autocommit: bool = True):
    import psycopg

    params = {
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "dbname": dbname or settings_dict["NAME"],
    }
    options = {k: v for k, v in (settings_dict.get("OPTIONS") or {}).items() if k in {"sslmode", "sslrootcert"}}
    return psycopg.connect(**{k: v for k, v in params.items() if v is not None}, **options, autocommit=autocommit)


_PG_RELATIONS_SQL = """
    SELECT n.nspname, c.relname, c.relkind
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = ANY(%s)
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
    ORDER BY n.nspname, c.relname
"""


def _pg_tables(conn) -> list[tuple[str, str]]:
    rows = conn.execute(_PG_RELATIONS_SQL, (["r", "p"],)).fetchall()
    return [(schema, name) for schema, name, _ in rows]


def _table_key(schema: str, name: str) -> str:
    return name if schema == "public" else f"{schema}.{name}"


def _pg_counts(conn) -> dict[str, int]:
    from psycopg import sql

    tables = _pg_tables(conn)
    if not tables:
        return {}
    parts = [
        sql.SQL("SELECT {}, count(*) FROM {}").format(sql.Literal(_table_key(s, n)), sql.Identifier(s, n))
        for s, n in tables
    ]
    return {name: count for name, count in conn.execute(sql.SQL(" UNION ALL ").join(parts)).fetchall()}


def _run(args: list[str], env: dict, what: str) -> None:
    # Fixed argv (a resolved client tool + our own options), no shell.
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}")


def _pg_dump(settings_dict: dict, target: Path) -> dict[str, int]:
    pg_dump = _require_tool("pg_dump")
    with pg_connect(settings_dict) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts = _pg_counts(conn)
        args = [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}"]
        _run([*args, f"--file={target}"], pg_env(settings_dict), "pg_dump")
        conn.execute("COMMIT")
    return counts


def _pg_restore(settings_dict: dict, source: Path, dbname: str | None = None) -> None:
    pg_restore = _require_tool("pg_restore")
    args = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    env = pg_env(settings_dict, dbname)
    _run([*args, f"--dbname={env['PGDATABASE']}", str(source)], env, "pg_restore")


def _pg_drop_everything(settings_dict: dict) -> None:
    from psycopg import sql

    with pg_connect(settings_dict, autocommit=False) as conn:
        rows = conn.execute(_PG_RELATIONS_SQL, (list(PG_RELKINDS),)).fetchall()
        for schema, name, kind in rows:
            conn.execute(
                sql.SQL("DROP {} IF EXISTS {} CASCADE").format(sql.SQL(PG_RELKINDS[kind]), sql.Identifier(schema, name))
            )
        # Our own functions too (the view-stamp triggers' bodies): the dump re-creates them.
        for (signature,) in conn.execute(_PG_FUNCTIONS_SQL).fetchall():
            conn.execute(sql.SQL("DROP FUNCTION IF EXISTS {} CASCADE").format(sql.SQL(signature)))
        conn.commit()


_PG_FUNCTIONS_SQL = """
    SELECT p.oid::regprocedure::text
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
"""


# --- SQLite plumbing -----------------------------------------------------------------------------------------


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    ]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}  # noqa: S608


def _regexp(pattern: str | None, value) -> bool | None:
    if pattern is None or value is None:
        return None
    return re.search(pattern, str(value)) is not None


def _django_sqlite(alias: str) -> sqlite3.Connection:
    connection = connections[alias]
    connection.ensure_connection()
    return connection.connection


# --- public API ----------------------------------------------------------------------------------------------


def current_counts(alias: str = "default") -> dict[str, int]:
    if is_postgres(alias):
        with pg_connect(connections[alias].settings_dict) as conn:
            return _pg_counts(conn)
    return _sqlite_counts(_django_sqlite(alias))


def tables_with_data(alias: str = "default") -> list[str]:
    """Tables holding rows, ignoring what `migrate` writes by itself."""
    return sorted(name for name, count in current_counts(alias).items() if count and name not in BOOKKEEPING_TABLES)


def backup_create(*, directory: Path, alias: str = "default", label: str = "", now: datetime | None = None) -> Backup:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = "postgresql" if is_postgres(alias) else "sqlite"
    suffix = f"-{label}" if label else ""
    final = (
        directory
        / f"tutorcal-{_stamp(now or datetime.now(UTC))}{suffix}.{'dump' if engine == 'postgresql' else 'sqlite3'}"
    )
    if final.exists():
        raise BackupError(f"{final} already exists")
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=".partial-", suffix=final.suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, 0o600)
        if engine == "postgresql":
            counts = _pg_dump(connections[alias].settings_dict, tmp)
        else:
            tmp.unlink()
            target = sqlite3.connect(tmp)
            try:
                _django_sqlite(alias).backup(target)
                counts = _sqlite_counts(target)
            finally:
                target.close()
            os.chmod(tmp, 0o600)
        manifest = {
            "format": MANIFEST_FORMAT,
            "engine": engine,
            "file": final.name,
            "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "bytes": tmp.stat().st_size,
            "sha256": _sha256(tmp),
            "tables": counts,
            "rows": sum(counts.values()),
        }
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    mpath = manifest_path(final)
    mpath.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    os.chmod(mpath, 0o600)
    return Backup(final, manifest)


def load_manifest(path: Path) -> dict | None:
    mpath = manifest_path(path)
    if not mpath.exists():
        return None
    try:
        manifest = json.loads(mpath.read_text())
    except ValueError as exc:
        raise BackupError(f"{mpath} is not valid JSON: {exc}")
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"{mpath} is not a {MANIFEST_FORMAT} manifest")
    return manifest


def _diff(expected: dict[str, int], actual: dict[str, int]) -> list[str]:
    problems = []
    for name in sorted(set(expected) | set(actual)):
        if expected.get(name) != actual.get(name):
            problems.append(f"{name}: expected {expected.get(name, 'no table')}, found {actual.get(name, 'no table')}")
    return problems


def check_checksum(path: Path, manifest: dict | None) -> None:
    if manifest and manifest.get("sha256") and manifest["sha256"] != _sha256(path):
        raise BackupError(f"{path}: checksum differs from its manifest (file damaged or replaced)")


def backup_verify(*, path: Path, alias: str = "default") -> dict[str, int]:
    """Restore into a scratch database and compare every table's row count with the manifest."""
    manifest = load_manifest(path)
    if manifest is None:
        raise BackupError(f"{path}: no manifest {manifest_path(path).name}; cannot verify row counts")
    check_checksum(path, manifest)
    engine = file_engine(path)
    if engine == "postgresql":
        if not is_postgres(alias):
            raise BackupError("verifying a PostgreSQL dump needs DATABASE_URL pointing at a PostgreSQL server")
        counts = _pg_scratch_counts(connections[alias].settings_dict, path)
    else:
        scratch = sqlite3.connect(":memory:")
        # Django's CHECK constraints may call REGEXP (Django registers it on its own connections only).
        scratch.create_function("REGEXP", 2, _regexp, deterministic=True)
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.backup(scratch)
            status = scratch.execute("PRAGMA integrity_check").fetchone()[0]
            if status != "ok":
                raise BackupError(f"{path}: integrity check failed: {status}")
            counts = _sqlite_counts(scratch)
        finally:
            source.close()
            scratch.close()
    problems = _diff(manifest["tables"], counts)
    if problems:
        raise BackupError(f"{path}: restored row counts differ from the manifest: " + "; ".join(problems))
    return counts


def _pg_scratch_counts(settings_dict: dict, path: Path) -> dict[str, int]:
    from psycopg import sql

    scratch = f"{settings_dict['NAME'][:40]}_verify_{secrets.token_hex(4)}"
    with pg_connect(settings_dict) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    try:
        _pg_restore(settings_dict, path, dbname=scratch)
        with pg_connect(settings_dict, dbname=scratch) as conn:
            return _pg_counts(conn)
    finally:
        with pg_connect(settings_dict) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))


def backup_rotate(
    *, directory: Path, keep_days: int, now: datetime | None = None, keep: Iterable[Path] = ()
) -> list[Path]:
    """Delete backups (and their manifests) older than keep_days; keep_days <= 0 keeps everything."""
    if keep_days <= 0 or not directory.exists():
        return []
    cutoff = (now or datetime.now(UTC)) - timedelta(days=keep_days)
    protected = {p.resolve() for p in keep}
    removed = []
    for path in sorted(directory.iterdir()):
        match = NAME_RE.match(path.name)
        if not match or path.resolve() in protected:
            continue
        taken = datetime.strptime(match["stamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if taken < cutoff:
            path.unlink()
            manifest_path(path).unlink(missing_ok=True)
            removed.append(path)
    return removed


def restore(*, path: Path, alias: str = "default") -> dict[str, int]:
    """Replace the database's content with the backup. Callers check emptiness/--force first."""
    manifest = load_manifest(path)
    check_checksum(path, manifest)
    engine = file_engine(path)
    target_engine = "postgresql" if is_postgres(alias) else "sqlite"
    if engine != target_engine:
        raise BackupError(f"{path} is a {engine} backup but the configured database is {target_engine}")
    if engine == "postgresql":
        settings_dict = connections[alias].settings_dict
        connections[alias].close()
        _pg_drop_everything(settings_dict)
        _pg_restore(settings_dict, path)
    else:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.backup(_django_sqlite(alias))
        finally:
            source.close()
    counts = current_counts(alias)
    if manifest is not None:
        problems = _diff(manifest["tables"], counts)
        if problems:
            raise BackupError("restored row counts differ from the manifest: " + "; ".join(problems))
    return counts
