"""Plumbing shared by the bench scripts: percentiles, a PostgreSQL database of the bench's own, and a gunicorn
serving the project, started and answering before the measurements begin."""

from __future__ import annotations

import http.client
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def production_env(tag: str) -> dict:
    """Production settings (DEBUG off, real-length secrets that are not secret) for a bench named `tag`."""
    return {
        "DJANGO_SETTINGS_MODULE": "tutorcal.settings",
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": f"bench-secret-key-{tag}-0123456789-abcdefghijklmnop",
        "JWT_SECRET": f"bench-jwt-secret-{tag}-0123456789-abcdefghijklmnop",
        "BOT_ADMIN_SECRET": "bench-admin-secret-not-for-production",
        "TELEGRAM_WEBHOOK_SECRET": "bench-webhook-secret-not-for-production",
        "SECURE_SSL_REDIRECT": "False",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def ensure_database(url: str) -> None:
    """Create the database named by a postgres:// URL if it does not exist (other URLs: nothing to do)."""
    if not url.startswith("postgres"):
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def start_gunicorn(
    *, port: int, workers: int, env: dict, cwd: Path = ROOT, extra_args: tuple[str, ...] = (), tries: int = 100
) -> subprocess.Popen:
    """gunicorn on 127.0.0.1:`port` with `env`, returned once /api/health/live answers 200. `cwd` is the tree it
    serves (another checkout of the project: the same venv's gunicorn imports that tree's code); `extra_args` go
    to gunicorn as they are."""
    proc = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn
        [str(ROOT / ".venv/bin/gunicorn"), "tutorcal.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
         "--log-level", "warning", *extra_args],
        cwd=cwd,
        env=env,
    )  # fmt: skip
    for _ in range(tries):
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode} before answering")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/health/live")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not start")
