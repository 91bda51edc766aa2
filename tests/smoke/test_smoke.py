"""Production-like smoke test (`make smoke`, run by .ci/run): on loopback it starts the real roles through
docker/entrypoint.sh — gunicorn (web), daphne (asgi), one worker — and nginx with the repo's site config rendered
for localhost, all with DJANGO_DEBUG=False against PostgreSQL + Redis (a fresh database of its own), then proves
everything through nginx. A fake Telegram Bot API on 127.0.0.1 answers the bot; nothing reaches the internet.

Every process is started in its own process group and killed on teardown, on SIGTERM/SIGHUP/SIGINT, at
interpreter exit, and (PR_SET_PDEATHSIG) if this process dies. Needs TUTORCAL_SMOKE=1, DATABASE_URL
(PostgreSQL), REDIS_URL, and nginx on PATH or in /usr/sbin (CI installs nginx-light).
"""

from __future__ import annotations

import asyncio
import atexit
import ctypes
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "nginx"))
import render as nginx_render  # noqa: E402

pytestmark = [
    pytest.mark.smoke,
    pytest.mark.skipif(os.environ.get("TUTORCAL_SMOKE") != "1", reason="smoke test: run with `make smoke`"),
]

BOT_TOKEN = "123456:SMOKE-fake-token"
APP_ORIGIN = "https://app.example.com"
START_TIMEOUT = 60


# --- process management --------------------------------------------------------------------------------------


try:
    _LIBC = ctypes.CDLL("libc.so.6", use_errno=True)  # loaded here: the child below only calls into it
except OSError:
    _LIBC = None


def _die_with_parent():  # runs in the child between fork and exec
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: killed if the test process dies


class Processes:
    """Children in their own process groups; stop() kills every group (idempotent, safe from signal handlers)."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}
        self.stopped = False
        self._previous = {}
        atexit.register(self.stop)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            self._previous[sig] = signal.signal(sig, self._on_signal)

    def _on_signal(self, signum, frame):
        self.stop()
        raise KeyboardInterrupt(f"signal {signum}")  # pytest aborts the session (exit 2) and runs teardowns

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = (self.log_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        log.close()
        self.procs[name] = proc
        return proc

    def alive(self, name: str) -> bool:
        return name in self.procs and self.procs[name].poll() is None

    def tail(self, name: str, lines: int = 40) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def tails(self) -> str:
        return "\n".join(f"----- {name}.log -----\n{self.tail(name)}" for name in self.procs)

    def stop(self):
        self.stopped = True
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:  # the whole group: workers that outlived their master too
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )


# --- a fake Telegram Bot API ---------------------------------------------------------------------------------


class FakeTelegram(BaseHTTPRequestHandler):
    calls: list[tuple[str, dict]] = []
    lock = threading.Lock()

    def do_POST(self):
        method = self.path.rsplit("/", 1)[-1]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            if raw.startswith(b"{"):
                params = json.loads(raw)
            else:  # python-telegram-bot posts form fields
                params = {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace")).items()}
        except ValueError:
            params = {}
        with FakeTelegram.lock:
            FakeTelegram.calls.append((method, params))
        if method == "getMe":
            result = {"id": 123456, "is_bot": True, "first_name": "Smoke", "username": "smoke_bot"}
        elif method in {"sendMessage", "editMessageText"}:
            chat_id = params.get("chat_id") or 1
            result = {
                "message_id": len(FakeTelegram.calls),
                "date": int(time.time()),
                "chat": {"id": int(chat_id), "type": "private"},
                "text": params.get("text", ""),
            }
        else:
            result = True
        body = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args):
        pass


# --- the stack -----------------------------------------------------------------------------------------------


class Stack:
    def __init__(self, base: str, env: dict, procs: Processes):
        self.base = base
        self.env = env
        self.procs = procs

    def request(self, method: str, path: str, body=None, headers: dict | None = None, timeout: float = 15):
        data = None
        headers = dict(headers or {})
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - loopback
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read()

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def token(self, telegram_id: int, role: str) -> str:
        return self.manage("issue_token", "--telegram-id", str(telegram_id), "--role", role).strip().splitlines()[-1]


def _pg_admin(database_url: str):
    import psycopg

    parts = urlsplit(database_url)
    return psycopg.connect(urlunsplit(parts._replace(scheme="postgresql", path="/postgres")), autocommit=True)


@pytest.fixture(scope="module")
def stack(request):
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not redis_url:
        pytest.fail("the smoke test needs DATABASE_URL (PostgreSQL) and REDIS_URL, as .ci/run provides")
    nginx = find_nginx()
    if nginx is None:
        pytest.fail("nginx is not installed: apt-get install -y nginx-light (.ci/run does this as root)")

    base_db = urlsplit(database_url).path.lstrip("/") or "tutorcal"
    smoke_db = os.environ.get("SMOKE_DATABASE_NAME", f"{base_db}_smoke")
    smoke_url = urlunsplit(urlsplit(database_url)._replace(path=f"/{smoke_db}"))
    with _pg_admin(database_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{smoke_db}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{smoke_db}"')

    work = Path(tempfile.mkdtemp(prefix="tutorcal-smoke-"))
    work.chmod(0o755)  # nginx workers (an unprivileged user when started as root) use its temp dirs
    (work / "logs").mkdir()
    procs = Processes(work / "logs")
    telegram = ThreadingHTTPServer(("127.0.0.1", 0), FakeTelegram)
    threading.Thread(target=telegram.serve_forever, daemon=True).start()

    web_port, asgi_port, nginx_port = free_port(), free_port(), free_port()
    prefix = f"smoke{os.getpid()}"
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_TESTING", "PYTEST_CURRENT_TEST"}}
    env.update(
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}",
        APP_DIR=str(ROOT),
        BIND_HOST="127.0.0.1",
        WEB_PORT=str(web_port),
        ASGI_PORT=str(asgi_port),
        WEB_CONCURRENCY="2",
        WEB_THREADS="2",
        DJANGO_DEBUG="False",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        JWT_SECRET=secrets.token_urlsafe(40),
        BOT_ADMIN_SECRET=secrets.token_urlsafe(24),
        TELEGRAM_WEBHOOK_SECRET=secrets.token_urlsafe(24),
        BOT_TOKEN=BOT_TOKEN,
        BOT_USERNAME="smoke_bot",
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{telegram.server_address[1]}/bot{{token}}",
        WEBAPP_URL=APP_ORIGIN,
        CORS_ALLOWED_ORIGINS=APP_ORIGIN,
        REALTIME_ALLOWED_ORIGINS=APP_ORIGIN,
        DJANGO_ALLOWED_HOSTS="localhost,127.0.0.1",
        SECURE_SSL_REDIRECT="False",  # plain HTTP on loopback; production terminates TLS in nginx
        DATABASE_URL=smoke_url,
        REDIS_URL=redis_url,
        CHANNEL_PREFIX=prefix,
        CACHE_KEY_PREFIX=prefix,
        BACKUP_DIR=str(work / "backups"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    stack = Stack(f"http://127.0.0.1:{nginx_port}", env, procs)
    failed_before = request.session.testsfailed
    try:
        stack.manage("migrate", "--noinput")
        stack.manage("collectstatic", "--noinput")

        site = work / "tutorcal.conf"
        site.write_text(
            nginx_render.render(
                domain="localhost",
                mode="plain",
                listen=f"127.0.0.1:{nginx_port}",
                web=f"127.0.0.1:{web_port}",
                asgi=f"127.0.0.1:{asgi_port}",
                log_dir=str(work / "logs"),
            )
        )
        mime = next((p for p in ("/etc/nginx/mime.types",) if Path(p).exists()), None)
        (work / "nginx.conf").write_text(
            "daemon off;\nworker_processes 1;\n"
            f"pid {work}/nginx.pid;\nerror_log {work}/logs/nginx-main.error.log warn;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            + (f"  include {mime};\n" if mime else "")
            + f"  client_body_temp_path {work}/tmp-body;\n  proxy_temp_path {work}/tmp-proxy;\n"
            f"  fastcgi_temp_path {work}/tmp-fcgi;\n  uwsgi_temp_path {work}/tmp-uwsgi;\n"
            f"  scgi_temp_path {work}/tmp-scgi;\n"
            f"  include {site};\n}}\n"
        )
        entrypoint = str(ROOT / "docker/entrypoint.sh")
        procs.start("web", ["sh", entrypoint, "web"], env)
        procs.start("asgi", ["sh", entrypoint, "asgi"], env)
        from django.core.management import get_commands

        if "run_worker" in get_commands():
            procs.start("worker", ["sh", entrypoint, "worker", "--idle-sleep", "0.5"], env)
        check = subprocess.run(
            [nginx, "-t", "-p", str(work), "-c", str(work / "nginx.conf"), "-e", str(work / "logs/nginx-t.log")],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, f"nginx -t failed:\n{check.stderr}"
        procs.start(
            "nginx", [nginx, "-p", str(work), "-c", str(work / "nginx.conf"), "-e", str(work / "logs/nginx.log")], env
        )

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            for name in procs.procs:
                assert procs.alive(name), f"{name} exited during start-up:\n{procs.tails()}"
            try:
                ready = _port_open(asgi_port) and stack.request("GET", "/api/health", timeout=3)[0] == 200
            except OSError:
                ready = False
            if ready:
                break
            assert time.monotonic() < deadline, f"stack not ready after {START_TIMEOUT}s:\n{procs.tails()}"
            time.sleep(0.3)
        yield stack
        if not procs.stopped:  # (a signal stops them early)
            for name in procs.procs:
                assert procs.alive(name), f"{name} died during the smoke run:\n{procs.tail(name)}"
    finally:
        if request.session.testsfailed > failed_before:
            sys.__stderr__.write(f"\nsmoke logs ({work}/logs):\n{procs.tails()}\n")
        procs.stop()
        telegram.shutdown()
        telegram.server_close()
        try:
            with _pg_admin(database_url) as admin:
                leftovers = admin.execute(
                    "SELECT datname FROM pg_database WHERE datname = %s OR datname LIKE %s",
                    [smoke_db, smoke_db[:40].replace("_", "\\_") + "\\_verify\\_%"],
                ).fetchall()
                for (name,) in leftovers:  # the smoke database and any scratch copy an interrupted --verify left
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception as exc:  # noqa: BLE001 - cleanup must not hide the real failure
            sys.__stderr__.write(f"could not drop {smoke_db}: {exc}\n")
        if request.session.testsfailed == failed_before:
            shutil.rmtree(work, ignore_errors=True)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# --- the checks ----------------------------------------------------------------------------------------------


def test_health_is_ok_through_nginx_with_database_and_redis(stack):
    status, headers, body = stack.request("GET", "/api/health")
    assert status == 200, body
    health = json.loads(body)
    assert health["status"] == "ok"
    assert health["database"]["status"] == "connected"
    assert health["cache"]["status"] == "connected"
    assert headers.get_all("X-Content-Type-Options") == ["nosniff"], "set once, by nginx"
    assert "nginx/" not in (headers.get("Server") or ""), "server_tokens off"


def test_rest_call_with_a_token_works_and_without_one_is_refused(stack):
    token = stack.token(900_001, "teacher")
    status, _, body = stack.request("GET", "/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert status == 200, body
    me = json.loads(body)
    assert me["currentRole"] == "teacher" and me["user"]["telegramId"] == 900_001
    assert stack.request("GET", "/api/auth/me")[0] == 401


def test_the_mini_app_and_its_hashed_modules_load_through_nginx(stack):
    status, headers, body = stack.request("GET", "/")  # redirected to /app/
    assert status == 200 and b'<main id="page">' in body
    assert "frame-ancestors 'self' https://web.telegram.org" in headers.get("Content-Security-Policy", "")
    main = re.search(r'src="(/static/app/js/main\.[0-9a-f]{12}\.js)"', body.decode())
    assert main, "the shell links the hashed entry module"
    status, _, js = stack.request("GET", main.group(1))
    assert status == 200
    imports = re.findall(r"from [\"']([^\"']+)[\"']", js.decode())
    assert imports and all(re.search(r"\.[0-9a-f]{12}\.js$", name) for name in imports), imports
    status, _, _ = stack.request("GET", "/static/app/js/" + imports[0].removeprefix("./"))
    assert status == 200
    assert stack.request("POST", "/app/dev-sign-in", {"role": "teacher"})[0] == 404  # never without DEBUG


def test_unknown_paths_stop_at_nginx(stack):
    assert stack.request("GET", "/wp-login.php")[0] == 404


def test_admin_login_page_and_its_static_css_load(stack):
    status, _, body = stack.request("GET", "/admin/login/")
    assert status == 200
    html = body.decode()
    css = re.findall(r'href="(/static/admin/css/[^"]+\.css)"', html)
    assert css, "the login page links the admin stylesheet"
    assert any(re.search(r"\.[0-9a-f]{12}\.css$", href) for href in css), "hashed names from collectstatic"
    status, headers, content = stack.request("GET", css[0])
    assert status == 200 and headers.get_content_type() == "text/css"
    assert len(content) > 100
    assert "max-age=" in (headers.get("Cache-Control") or ""), "long-lived caching from whitenoise"


def test_bot_webhook_accepts_an_update_with_the_secret_and_refuses_one_without(stack):
    update = {
        "update_id": 1001,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": 900_002, "type": "private", "first_name": "Smoke"},
            "from": {"id": 900_002, "is_bot": False, "first_name": "Smoke"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    secret = stack.env["TELEGRAM_WEBHOOK_SECRET"]
    status, _, body = stack.request("POST", "/api/bot/webhook", update)
    assert status == 403, body
    assert stack.request("POST", "/api/bot/webhook", update, {"X-Telegram-Bot-Api-Secret-Token": "wrong"})[0] == 403

    FakeTelegram.calls.clear()
    status, _, body = stack.request("POST", "/api/bot/webhook", update, {"X-Telegram-Bot-Api-Secret-Token": secret})
    assert status == 200, body
    assert json.loads(body)["ok"] is True
    replies = [p for m, p in FakeTelegram.calls if m == "sendMessage" and str(p.get("chat_id")) == "900002"]
    assert replies, f"the bot answered /start through the (fake) Bot API; calls: {FakeTelegram.calls}"
    assert stack.request("GET", "/api/bot/webhook", headers={})[0] == 403, "nginx lets only POST through"


async def test_websocket_receives_a_pushed_lesson_event(stack):
    import websockets

    token = stack.token(900_003, "teacher")
    auth = {"Authorization": f"Bearer {token}"}
    status, _, body = stack.request("POST", "/api/realtime/ticket", {}, auth)
    assert status == 201, body
    ticket = json.loads(body)["ticket"]
    ws_url = stack.base.replace("http://", "ws://") + f"/ws/?ticket={ticket}"

    async with websockets.connect(ws_url, origin=APP_ORIGIN, open_timeout=10) as ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert first["type"] == "ready"
        start = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        status, _, body = await asyncio.to_thread(
            stack.request, "POST", "/api/teachers/me/lessons", {"startAt": start, "durationMinutes": 60}, auth
        )
        assert status == 201, body
        created = json.loads(body)
        lesson_id = created.get("id") if isinstance(created, dict) else None

        deadline = time.monotonic() + 10
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "no lesson.created push within 10 s"
            frame = json.loads(await asyncio.wait_for(ws.recv(), remaining))
            if frame["type"] == "lesson.created":
                break
        if lesson_id:
            assert lesson_id in json.dumps(frame["data"])

    # A forged ticket is refused.
    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        async with websockets.connect(
            stack.base.replace("http://", "ws://") + "/ws/?ticket=forged", origin=APP_ORIGIN, open_timeout=10
        ) as ws:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def test_backup_and_verify_work_against_the_smoke_database(stack):
    out = stack.manage("backup", "--verify")
    path = Path(out.strip().splitlines()[-1])
    assert path.exists() and path.suffix == ".dump"


def test_worker_keeps_running(stack):
    assert "worker" in stack.procs.procs, "manage.py run_worker exists and was started"
    time.sleep(1)
    assert stack.procs.alive("worker"), stack.procs.tail("worker")
