"""The standing fuzz gate (`make fuzz`, run by .ci/run after `make test`; issue 17 §7).

Against a live production-settings gunicorn on a fresh PostgreSQL database of its own (cloned from DATABASE_URL's
server) and a private redis-server: first the hostile-body corpus (charsets incl. the bz2/zlib codec bomb, nesting,
lone surrogates, NULs, numbers beyond 64 bits, NaN, oversized bodies) on every route class, then schemathesis over
the whole OpenAPI schema as a tutor, a student, a parent and anonymous — each bounded in time. Fails on any 5xx
(and on a traceback in the server log). Schemathesis budget: FUZZ_SECONDS (default 120) shared by the
identities; the whole gate stays under 4 minutes.

Usage: DATABASE_URL=postgres://… .venv/bin/python tests/fuzz/run_fuzz.py
"""

from __future__ import annotations

import bz2
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import zlib
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from botapp.tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.live.servers import PYTHON_BIN, Gunicorn, RedisServer, production_env  # noqa: E402

FAKE_BOT_TOKEN = "123456:FUZZ-fake-token"

FUZZ_SECONDS = int(os.environ.get("FUZZ_SECONDS", "120"))  # schemathesis budget, shared by the identities
# Who fuzzes what: each token on its own area (plus the shared ones), anonymous on the public auth routes.
AREAS = {
    "teacher": (0.45, r"^/api/(teachers|bot|realtime)/"),
    "student": (0.2, r"^/api/(students|auth|realtime)/"),
    "parent": (0.15, r"^/api/(parents|auth)/"),
    "anonymous": (0.2, r"^/api/(auth|health)"),
}
# Operations that end the fuzzing identity's own session or account: everything after them would be a 401.
SELF_DESTRUCT = r"^/api/auth/(logout|delete-account)"


def fresh_database(url: str) -> str:
    """A new empty database beside the one in DATABASE_URL: <name>_fuzz, dropped and recreated."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_fuzz"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path="/" + name))


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def corpus() -> list[tuple[str, bytes, str]]:
    """(name, body, content type) — every one must be answered 4xx, never 5xx."""
    plain = b'{"startAt": "2030-01-01T10:00:00Z", "durationMinutes": 60, "name": "x", "initData": "x"}'
    bodies = [
        ("bz2 codec bomb", bz2.compress(b"[" + b" " * 20_000_000 + b"]"), "application/json; charset=bz2_codec"),
        ("zlib codec bomb", zlib.compress(b"[" + b" " * 20_000_000 + b"]", 9), "application/json; charset=zlib"),
        ("plain body, compressed charset", plain, "application/json; charset=zlib_codec"),
        ("rot13", plain, "application/json; charset=rot13"),
        ("unknown charset", plain, "application/json; charset=x-nonexistent"),
        ("utf-16", plain.decode().encode("utf-16"), "application/json; charset=utf-16"),
        ("form in a codec", b"a=%78%9c", "application/x-www-form-urlencoded; charset=zlib_codec"),
        ("depth 33", nested(33), "application/json"),
        ("depth 1000", nested(1000), "application/json"),
        ("depth 100000 arrays", b"[" * 100_000 + b"]" * 100_000, "application/json"),
        ("lone surrogate", b'{"name": "\\ud800", "customFields": {"a": "\\udfff"}}', "application/json"),
        ("raw surrogate bytes", b'{"name": "\xed\xa0\x80"}', "application/json"),
        ("invalid utf-8", b'{"name": "\xff\xfe"}', "application/json"),
        ("NUL in value", b'{"name": "a\\u0000b", "customFields": {"k": "\\u0000"}}', "application/json"),
        ("NUL in key", b'{"a\\u0000": 1}', "application/json"),
        ("int 2^63", b'{"durationMinutes": 9223372036854775808, "priceRub": 9223372036854775808}', "application/json"),
        ("int -2^63-1", b'{"durationMinutes": -9223372036854775809}', "application/json"),
        ("int 10^40", b'{"telegramId": 10000000000000000000000000000000000000000}', "application/json"),
        ("float telegramId", b'{"telegramId": 1.5, "text": "x"}', "application/json"),
        ("NaN", b'{"durationMinutes": NaN}', "application/json"),
        ("Infinity", b'{"priceRub": Infinity}', "application/json"),
        ("1e999", b'{"priceRub": 1e999}', "application/json"),
        ("oversized", b'{"name": "' + b"x" * (2 * 1024 * 1024 + 10) + b'"}', "application/json"),
        ("BOM", b"\xef\xbb\xbf" + plain, "application/json"),
        ("empty", b"", "application/json"),
        ("not json", b"{not json", "application/json"),
        ("xml", b"<a/>", "application/xml"),
    ]
    return bodies


def routes(tokens: dict[str, str]) -> list[tuple[str, str, dict]]:
    """(method, path, headers): public, per role, the operator and webhook routes."""
    teacher = {"Authorization": f"Bearer {tokens['teacher']}"}
    student = {"Authorization": f"Bearer {tokens['student']}"}
    parent = {"Authorization": f"Bearer {tokens['parent']}"}
    return [
        ("POST", "/api/auth/init", {}),
        ("POST", "/api/auth/register", {}),
        ("POST", "/api/auth/refresh", teacher),
        ("POST", "/api/teachers/me/lessons", teacher),
        ("POST", "/api/teachers/me/subjects", teacher),
        ("PATCH", "/api/teachers/me", teacher),
        ("PATCH", "/api/students/me", student),
        ("PATCH", "/api/parents/me", parent),
        ("POST", "/api/bot/test-send", {"X-Admin-Secret": tokens["admin_secret"]}),
        ("POST", "/api/bot/webhook", {"X-Telegram-Bot-Api-Secret-Token": tokens["webhook_secret"]}),
        ("POST", "/admin/login/", {}),
    ]


MAX_BODY = 2 * 1024 * 1024  # the server's body cap (DATA_UPLOAD_MAX_MEMORY_SIZE)


def hostile_corpus(server: Gunicorn, tokens: dict) -> list[str]:
    failures = []
    total = 0
    bodies = corpus()
    for method, path, headers in routes(tokens):
        for name, body, content_type in bodies:
            try:
                status, _, content, took = server.request(
                    method, path, body=body, headers={**headers, "Content-Type": content_type}, timeout=30
                )
            except (urllib.error.URLError, ConnectionError) as exc:
                total += 1
                # Refusing an oversized upload before it is all sent (413, then close) is the defence working;
                # a dropped connection for a body within the cap is a failure.
                if len(body or b"") <= MAX_BODY:
                    failures.append(f"{method} {path} [{name}] -> connection dropped: {exc}")
                continue
            total += 1
            if status >= 500 or took > 5:
                failures.append(f"{method} {path} [{name}] -> {status} in {took:.1f}s: {content[:200]!r}")
    # NUL and odd bytes in paths and queries
    for path in ("/api/teachers/me/lessons?from=2030-01-01%00&to=2030-01-31", "/api/teachers/me/lessons/%00"):
        status, _, content, _ = server.request("GET", path, headers=routes(tokens)[3][2])
        total += 1
        if status >= 500:
            failures.append(f"GET {path} -> {status}: {content[:200]!r}")
    print(f"hostile corpus: {total} requests, {len(failures)} server errors or slow answers")
    return failures


def schemathesis(server: Gunicorn, name: str, headers: dict, report_dir: Path) -> bool:
    share, area = AREAS[name]
    seconds = max(10, int(FUZZ_SECONDS * share))
    args = [
        str(PYTHON_BIN / "schemathesis"),
        "run",
        f"{server.base}/api/schema/",
        "--checks",
        "not_a_server_error",
        "--max-time",
        str(seconds),
        "--include-path-regex",
        area,
        "--exclude-path-regex",
        SELF_DESTRUCT,
        "--request-timeout",
        "10",
        "--workers",
        "2",
        "--seed",
        os.environ.get("FUZZ_SEED", "17"),
        "--suppress-health-check",
        "all",
        "--generation-allow-x00",
        "true",
        "--max-examples",
        "30",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(report_dir / name),
    ]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    print(f"schemathesis as {name} on {area} (≤{seconds}s)", flush=True)
    done = subprocess.run(args, cwd=report_dir, timeout=seconds + 120)
    return done.returncode == 0


PEOPLE = """
from django.core.management import call_command
from accounts.models import ParentProfile, ParentStudentRelation, StudentProfile, TeacherProfile, TeacherStudentLink
for i, role in enumerate(["teacher", "student", "parent"]):
    call_command("issue_token", telegram_id=900000 + i, role=role)
t = TeacherProfile.objects.get(user__telegram_id=900000)
s = StudentProfile.objects.get(user__telegram_id=900001)
p = ParentProfile.objects.get(user__telegram_id=900002)
TeacherStudentLink.objects.get_or_create(teacher=t, student=s)
ParentStudentRelation.objects.get_or_create(parent=p, student=s, teacher=t)
"""


def people(server: Gunicorn) -> dict[str, str]:
    """A tutor, their student and the student's parent (one Django start), with a token each."""
    lines = [line for line in server.manage("shell", "-c", PEOPLE).split() if line.count(".") == 2]
    return dict(zip(("teacher", "student", "parent"), lines, strict=True))


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        print("make fuzz needs DATABASE_URL pointing at PostgreSQL", file=sys.stderr)
        return 2
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="tutorcal-fuzz-"))
    redis = RedisServer().start()
    telegram = FakeTelegram(FAKE_BOT_TOKEN).start()  # the operator routes talk to it; nothing leaves the machine
    url = fresh_database(database_url)
    env = production_env(
        database_url=url,
        redis_url=redis.url,
        AUTH_THROTTLE_RATE="100000/minute",
        BOT_TOKEN=FAKE_BOT_TOKEN,
        TELEGRAM_API_BASE_URL=telegram.base_url,
    )
    server = Gunicorn(env, workers=2, timeout=30, log_path=work / "gunicorn.log")
    try:
        server.manage("migrate", "--noinput")
        server.start()
        tokens = people(server)
        tokens |= {"admin_secret": env["BOT_ADMIN_SECRET"], "webhook_secret": env["TELEGRAM_WEBHOOK_SECRET"]}
        failures = hostile_corpus(server, tokens)
        ok = True
        for name in ("teacher", "student", "parent"):
            ok &= schemathesis(server, name, {"Authorization": f"Bearer {tokens[name]}"}, work)
        ok &= schemathesis(server, "anonymous", {}, work)
    finally:
        server.stop()
        redis.stop()
        telegram.stop()
    log = (work / "gunicorn.log").read_text(errors="replace")
    if "Traceback" in log:
        failures.append("the server logged a traceback (see below)")
        print(log[-5000:])
    took = time.monotonic() - started
    print(f"fuzz gate: {'PASS' if ok and not failures else 'FAIL'} in {took:.0f}s; reports in {work}")
    for failure in failures:
        print("  " + failure)
    return 0 if ok and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
