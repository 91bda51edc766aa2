"""Hot paths benchmark (issue 18): month views, rosters, health and series creation, before and after, in one run.

One command, from the project root (PostgreSQL on 127.0.0.1 as user postgres, Redis db 5, `wrk` on PATH):

    .venv/bin/python bench/hot_paths.py --base cf47431

measures the base revision (checked out by `git worktree add --detach /tmp/hot_base_<rev> <rev>`, reused when it
is there) and this tree on the same seed. Without --base only this tree is measured (seeded by its own code).

Options: --base REV; --seconds N (each wrk run, default 10); --workers N (gunicorn sync workers, default one
per CPU as in production); --requests N (single-client and in-process samples per endpoint, after 20 warm-up
requests, 200); --series N (series creations, 40); --port P (8799); --keep-dbs (leave the tutorcal_hot_* databases).

What it does:
1. seeds the template database tutorcal_hot_seed, migrated and written by the base tree's code in a subprocess
   (this script again, `--seed-into URL --tree PATH`; ORM bulk inserts, bench/_hot_seed.py): tutor A with 30
   students and 2,080 lessons, tutor B with 300 students and 20,800 lessons (~1,700 a month); past lessons done,
   with attendance, payments, debts and packages; then ANALYZE;
2. per tree: CREATE DATABASE tutorcal_hot_<before|after|current> TEMPLATE tutorcal_hot_seed, that tree's
   `manage.py migrate` (its migrations may add columns and backfill), ANALYZE, tokens issued by that tree's code,
   Redis db 5 flushed and a key prefix of its own, and gunicorn from that tree (sync workers, --worker-tmp-dir
   /dev/shm, DJANGO_DEBUG=False with real secrets, the Redis cache), then
   * wrk -t2 -c16 for --seconds: A's month view, a student's month view, A's students, /api/health,
     /api/health/live and, when the month view carries an ETag, A's month view with If-None-Match (304s);
     every run is checked first with one request (status, bytes) and fails on errors or wrong statuses;
   * one keep-alive client, --requests each: month A (and its 304), month B, students B, students A;
   * POST /api/teachers/me/lessons: weekly 52-lesson series with 3 students (dates in 2040+), --series times;
   * the RSS of every gunicorn worker after all of that;
   * in-process (django.test.Client in a subprocess of that tree, Redis flushed first): medians for month A, its
     304, month B and students B, and SQL queries per request of every endpoint, the first (cold cache) and a
     repeated one;
   (the HTTP client and wrk side lives in bench/_hot_http.py)
3. prints a table per tree (and before / after / target with --base) and writes the raw results to
   bench/results/hot_paths-<timestamp>.json (not committed unless asked).
A full run with --base and the defaults takes 10-12 minutes on the 2-vCPU dev box while the before code answers
B's month and roster in ~250 ms (2 × 400 samples of each); `--seconds 2 --requests 20 --series 3` takes ~3.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _harness import start_gunicorn
from _hot_http import WARMUP, measure_http, series_body

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = str((ROOT / ".venv").resolve() / "bin/python")
PG = "postgres://postgres@127.0.0.1:5432"
SEED_DB = "tutorcal_hot_seed"
REDIS_URL = "redis://127.0.0.1:6379/5"

QUERIED = "month_a month_a_304 month_b student_month students_a students_b health live series_create".split()
# (label, where in a tree's results, target); targets are (">=" | "<=", value).
ROWS = [
    ("teacher month A, req/s (wrk 16 conn)", "http.wrk.month_a.rps", (">=", 350)),
    ("teacher month A 304, req/s", "http.wrk.month_a_304.rps", None),
    ("student month, req/s", "http.wrk.student_month.rps", (">=", 400)),
    ("students list A, req/s", "http.wrk.students_a.rps", (">=", 300)),
    ("/api/health, req/s", "http.wrk.health.rps", (">=", 1000)),
    ("/api/health/live, req/s", "http.wrk.live.rps", (">=", 2000)),
    ("month A single client, median ms", "http.single.month_a.median_ms", None),
    ("month A single client, p95 ms", "http.single.month_a.p95_ms", None),
    ("month A 304 single client, median ms", "http.single.month_a_304.median_ms", None),
    ("month B single client, median ms", "http.single.month_b.median_ms", ("<=", 40)),
    ("month B single client, p95 ms", "http.single.month_b.p95_ms", None),
    ("students list B single client, median ms", "http.single.students_b.median_ms", ("<=", 25)),
    ("students list A single client, median ms", "http.single.students_a.median_ms", None),
    ("series create (52 × 3), median ms", "http.series.median_ms", ("<=", 30)),
    ("series create (52 × 3), p95 ms", "http.series.p95_ms", None),
    ("in-process month A, median ms", "inprocess.timed.month_a", ("<=", 5)),
    ("in-process month A 304, median ms", "inprocess.timed.month_a_304", ("<=", 2)),
    ("in-process month B, median ms", "inprocess.timed.month_b", None),
    ("in-process students list B, median ms", "inprocess.timed.students_b", None),
    # Every request renders (the view cache off, as for the first view after a write): the cost of a cold view.
    ("in-process month A rendered (no cache), median ms", "inprocess.timed.month_a_cold", None),
    ("in-process month B rendered (no cache), median ms", "inprocess.timed.month_b_cold", ("<=", 40)),
    ("in-process students A rendered (no cache), median ms", "inprocess.timed.students_a_cold", None),
    ("in-process students B rendered (no cache), median ms", "inprocess.timed.students_b_cold", ("<=", 25)),
    *[(f"SQL queries {name} (repeat / first)", f"inprocess.queries.{name}", None) for name in QUERIED],
    ("gunicorn worker RSS max, MB", "rss.max_mb", ("<=", 120)),
    ("gunicorn worker RSS mean, MB", "rss.mean_mb", None),
    ("month A lessons / bytes", "http.probe.month_a.size", None),
    ("month B lessons / bytes", "http.probe.month_b.size", None),
    ("load average (1 min) start / end", "load", None),
]


# ------------------------------------------------------------------------------------------------ the children


def setup_tree(tree: str, db_url: str) -> None:
    """Django of `tree` (first on sys.path) against `db_url`; refuses to run another tree's code."""
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutorcal.settings")
    sys.path.insert(0, tree)
    os.chdir(tree)
    import django

    django.setup()
    import tutorcal

    if not Path(tutorcal.__file__).resolve().is_relative_to(Path(tree).resolve()):
        raise SystemExit(f"imported {tutorcal.__file__}, not the tree {tree}")


def child_seed(args) -> dict:
    from _hot_seed import seed
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return seed()


def child_prepare(args) -> dict:
    from _hot_seed import prepare

    return prepare()


def child_inprocess(args) -> dict:
    """Timed medians and SQL query counts with django.test.Client (no network, no gunicorn)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    spec = json.loads(Path(args.spec).read_text())
    eps, n = spec["endpoints"], spec["requests"]
    reads = {name: ep for name, ep in eps.items() if name != "series"}

    def call(ep, inm=None, body=None):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {ep['token']}") if ep["token"] else Client()
        if body is not None:
            return client.post(ep["path"], data=json.dumps(body), content_type="application/json")
        return client.get(ep["path"], **({"HTTP_IF_NONE_MATCH": inm} if inm else {}))

    def counted(ep, expect, **kw):
        with CaptureQueriesContext(connection) as ctx:
            response = call(ep, **kw)
        if response.status_code != expect:
            raise SystemExit(f"in-process {ep['path']}: {response.status_code} {response.content[:300]!r}")
        return len(ctx.captured_queries), response

    queries, timed = {}, {}
    first = {name: counted(ep, 200) for name, ep in reads.items()}  # cold cache: Redis was flushed
    etag = first["month_a"][1].get("ETag")
    for name, ep in reads.items():
        queries[name] = [counted(ep, 200)[0], first[name][0]]
    if etag:
        queries["month_a_304"] = [counted(eps["month_a"], 304, inm=etag)[0]] * 2
    body = spec["seriesBody"]
    queries["series_create"] = [counted(eps["series"], 201, body=body)[0]] * 2
    plan = [("month_a", eps["month_a"], None, 200), ("month_b", eps["month_b"], None, 200)]
    plan += [("students_b", eps["students_b"], None, 200)]
    if etag:
        plan.append(("month_a_304", eps["month_a"], etag, 304))
    for name, ep, inm, expect in plan:
        samples = []
        for i in range(WARMUP + n):
            t0 = time.perf_counter()
            response = call(ep, inm=inm)
            if i >= WARMUP:
                samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == expect, (name, response.status_code)
        timed[name] = round(statistics.median(samples), 2)
    from django.test import override_settings

    with override_settings(VIEW_CACHE_SECONDS=0):  # (a base tree without the cache renders every time anyway)
        for name in ("month_a", "month_b", "students_a", "students_b"):
            samples = []
            for i in range(3 + max(10, n // 4)):
                t0 = time.perf_counter()
                assert call(eps[name]).status_code == 200, name
                if i >= 3:
                    samples.append((time.perf_counter() - t0) * 1000)
            timed[f"{name}_cold"] = round(statistics.median(samples), 2)
    return {"etag": etag, "queries": queries, "timed": timed}


# ------------------------------------------------------------------------------------------------ orchestration


def psql(sql: str, db: str = "postgres") -> None:
    import psycopg

    with psycopg.connect(f"{PG}/{db}", autocommit=True) as conn:
        conn.execute(sql)


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def git(tree: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=tree, capture_output=True, text=True, check=True).stdout.strip()


def base_tree(rev: str) -> Path:
    """A detached worktree of `rev` in /tmp (reused; moved to `rev` if it was left elsewhere)."""
    commit = git(ROOT, "rev-parse", "--verify", f"{rev}^{{commit}}")
    path = Path("/tmp/hot_base_" + re.sub(r"[^\w.-]", "_", rev))
    if not path.exists():
        git(ROOT, "worktree", "add", "--detach", str(path), commit)
    elif git(path, "rev-parse", "HEAD") != commit:
        git(path, "checkout", "--detach", commit)
    return path


def tree_env(db: str, label: str, run_secrets: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")}
    env.update(run_secrets)
    env.update(
        DATABASE_URL=f"{PG}/{db}",
        REDIS_URL=REDIS_URL,
        CACHE_KEY_PREFIX=f"tutorcal_hot_{label}",
        CHANNEL_PREFIX=f"tutorcal_hot_{label}",
        DJANGO_DEBUG="False",
        DJANGO_TESTING="0",
        SECURE_SSL_REDIRECT="False",
        DJANGO_SETTINGS_MODULE="tutorcal.settings",
        PYTHONWARNINGS="ignore:No directory at",  # whitenoise: a dev checkout has no collected STATIC_ROOT
    )
    return env


def run_child(mode: str, tree: Path, env: dict, spec: dict | None = None) -> dict:
    """This script again, with `tree`'s code (cwd and first on sys.path); its answer comes back through a file."""
    with tempfile.TemporaryDirectory() as tmp:
        out, spec_file = Path(tmp, "out.json"), Path(tmp, "spec.json")
        spec_file.write_text(json.dumps(spec or {}))
        cmd = [PYTHON, str(Path(__file__).resolve()), f"--{mode}", env["DATABASE_URL"], "--tree", str(tree)]
        cmd += ["--out", str(out), "--spec", str(spec_file)]
        subprocess.run(cmd, cwd=tree, env={**env, "DB_STATEMENT_TIMEOUT_MS": "0"}, check=True)
        return json.loads(out.read_text())


def worker_rss(master: int, tree: Path) -> dict:
    pids = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    rss = []
    for pid in pids:
        if Path(os.readlink(f"/proc/{pid}/cwd")).resolve() != tree.resolve():
            raise SystemExit(f"gunicorn worker {pid} does not run in {tree}")
        status = Path(f"/proc/{pid}/status").read_text()
        rss.append(int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) / 1024)
    rss = [round(x, 1) for x in rss]
    return {"workers_mb": rss, "max_mb": max(rss), "mean_mb": round(statistics.mean(rss), 1)}


def endpoints(month: str, prep: dict) -> dict:
    a, b, student = prep["tokenA"], prep["tokenB"], prep["tokenStudent"]
    return {
        "month_a": {"path": f"/api/teachers/me/lessons?{month}", "token": a},
        "month_b": {"path": f"/api/teachers/me/lessons?{month}", "token": b},
        "student_month": {"path": f"/api/students/me/lessons?{month}", "token": student},
        "students_a": {"path": "/api/teachers/me/students", "token": a},
        "students_b": {"path": "/api/teachers/me/students", "token": b},
        "health": {"path": "/api/health", "token": None},
        "live": {"path": "/api/health/live", "token": None},
        "series": {"path": "/api/teachers/me/lessons", "token": a},
    }


def measure_tree(label: str, tree: Path, args, run_secrets: dict, month: str) -> dict:
    db = f"tutorcal_hot_{label}"
    print(f"== {label}: {tree} ({git(tree, 'rev-parse', '--short', 'HEAD')})", flush=True)
    result = {"tree": str(tree), "rev": git(tree, "rev-parse", "HEAD"), "load": [os.getloadavg()[0]]}
    psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{db}" TEMPLATE "{SEED_DB}"')
    env = tree_env(db, label, run_secrets)
    t0 = time.perf_counter()
    migrate = [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"]
    subprocess.run(migrate, cwd=tree, env={**env, "DB_STATEMENT_TIMEOUT_MS": "0"}, check=True)
    psql("ANALYZE", db)
    result["migrate_s"] = round(time.perf_counter() - t0, 1)
    prep = run_child("prepare", tree, env)
    eps = endpoints(month, prep)
    flush_redis()
    gunicorn_args = ("-k", "sync", "--worker-tmp-dir", "/dev/shm")
    server = start_gunicorn(
        port=args.port, workers=args.workers, env=env, cwd=tree, extra_args=gunicorn_args, tries=300
    )
    try:
        result["http"] = measure_http(args, eps, prep["studentIdsA"])
        result["rss"] = worker_rss(server.pid, tree)
    finally:
        server.terminate()
        server.wait(30)
    flush_redis()
    spec = {"endpoints": eps, "requests": args.requests, "seriesBody": series_body(20_000, prep["studentIdsA"])}
    result["inprocess"] = run_child("inprocess", tree, env, spec)
    result["load"].append(os.getloadavg()[0])
    print(table([label], {label: result}), flush=True)
    return result


def lookup(result: dict, key: str):
    value = result
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def cell(value, target) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return " / ".join(cell(x, None) for x in value) if value[:1] != value[1:] else cell(value[0], None)
    if isinstance(value, str):
        return value
    text = f"{value:.0f}" if isinstance(value, int) or value >= 100 else f"{value:.1f}"
    if target:
        ok = value >= target[1] if target[0] == ">=" else value <= target[1]
        text += " ✔" if ok else " ✘"
    return text


def table(labels: list[str], results: dict) -> str:
    names = {"before": "before", "after": "after", "current": "this tree"}
    lines = ["| measure | " + " | ".join(names[x] for x in labels) + " | target |"]
    lines.append("|---" * (len(labels) + 2) + "|")
    for label, key, target in ROWS:
        cells = [cell(lookup(results[x], key), target) for x in labels]
        goal = f"{target[0].replace('>=', '≥').replace('<=', '≤')} {target[1]:,}" if target else ""
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {goal} |")
    return "\n".join(lines)


def main(args) -> None:
    started, load = time.perf_counter(), os.getloadavg()
    try:
        http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).connect()
        raise SystemExit(f"something already listens on port {args.port}: pass --port")
    except OSError:
        pass
    trees = [("before", base_tree(args.base)), ("after", ROOT)] if args.base else [("current", ROOT)]
    run_secrets = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SECRET": secrets.token_urlsafe(48),
        "BOT_ADMIN_SECRET": secrets.token_urlsafe(24),
        "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(24),
    }
    psql(f'DROP DATABASE IF EXISTS "{SEED_DB}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{SEED_DB}"')
    seed_tree = trees[0][1]
    print(f"seeding {SEED_DB} with {seed_tree} …", flush=True)
    seed = run_child("seed-into", seed_tree, tree_env(SEED_DB, "seed", run_secrets))
    print(f"seeded: {json.dumps(seed, ensure_ascii=False)}", flush=True)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    month = "from={}&to={}".format(*(x.strftime("%Y-%m-%dT%H:%M:%SZ") for x in (today, today + timedelta(days=30))))
    results = {label: measure_tree(label, tree, args, run_secrets, month) for label, tree in trees}
    if args.base:
        print("\n## before / after\n")
        print(table(["before", "after"], results))
    record = {
        "args": vars(args),
        "started": datetime.now(UTC).isoformat(),
        "seconds": round(time.perf_counter() - started, 1),
        "loadavg": {"start": load, "end": os.getloadavg()},
        "dirty": bool(git(ROOT, "status", "--porcelain")),
        "month": month,
        "seed": seed,
        "trees": results,
    }
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"hot_paths-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False))
    if not args.keep_dbs:
        for db in [SEED_DB, *(f"tutorcal_hot_{label}" for label, _ in trees)]:
            psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    took, end = record["seconds"], os.getloadavg()[0]
    print(f"\nwrote {path.relative_to(ROOT)}; whole run {took:.0f} s, load {load[0]:.2f} → {end:.2f}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", help="git revision measured as 'before' (e.g. cf47431)")
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn sync workers (1/CPU)")
    parser.add_argument("--requests", type=int, default=200, help="single-client / in-process samples")
    parser.add_argument("--series", type=int, default=40, help="series creations")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--keep-dbs", action="store_true", help="leave the tutorcal_hot_* databases")
    for internal in ("--seed-into", "--prepare", "--inprocess"):  # the children: DATABASE_URL
        parser.add_argument(internal, metavar="URL", help=argparse.SUPPRESS)
    for internal in ("--tree", "--out", "--spec"):
        parser.add_argument(internal, help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    ARGS = parse_args()
    CHILDREN = {"seed_into": child_seed, "prepare": child_prepare, "inprocess": child_inprocess}
    mode = next((name for name in CHILDREN if getattr(ARGS, name)), None)
    if mode is None:
        main(ARGS)
    else:
        setup_tree(ARGS.tree, getattr(ARGS, mode))
        Path(ARGS.out).write_text(json.dumps(CHILDREN[mode](ARGS)))
