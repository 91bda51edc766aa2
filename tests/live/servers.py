"""Real processes for tests that need them, all on 127.0.0.1 and free ports, started and stopped by the test itself
(never the machine's own services): gunicorn serving the project, a private redis-server, and an asyncio TCP proxy
in front of PostgreSQL that a test can switch to refusing or black-holing connections."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {port} after {timeout}s")


def _new_group():
    os.setsid()


def stop_group(proc: subprocess.Popen, sig=signal.SIGTERM, wait: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(wait)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(5)


class RedisServer:
    """redis-server on a free port, no persistence. stop()/kill() make it refuse; pause() (SIGSTOP) makes it a
    black hole: the kernel still accepts connections and data, nothing ever answers."""

    def __init__(self):
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_new_group,
        )
        wait_port(self.port, proc=self.proc)
        return self

    def pause(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
            stop_group(self.proc)


class TCPProxy:
    """Forwards 127.0.0.1:<port> to an upstream. Modes: "up"; "refuse" (connections closed at once, existing ones
    cut); "blackhole" (existing connections cut, new ones accepted and never answered — a dropped route)."""

    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.mode = "up"
        self._loop = asyncio.new_event_loop()
        self._writers: set[asyncio.StreamWriter] = set()
        self._hold = False
        self.commit_seen = threading.Event()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="tcp-proxy")

    def start(self) -> TCPProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        return self

    async def _serve(self):
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader, writer):
        if self.mode == "refuse":
            writer.transport.abort()
            return
        if self.mode == "blackhole":
            self._writers.add(writer)  # held open, never read, never answered
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update({writer, up_writer})
        held = {"now": False}

        async def client_to_server():
            try:
                while data := await reader.read(65536):
                    if self._hold and b"COMMIT" in data:
                        held["now"] = True  # set before forwarding: the answer must not slip through
                        self.commit_seen.set()
                    up_writer.write(data)
                    await up_writer.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                up_writer.close()

        async def server_to_client():
            try:
                while data := await up_reader.read(65536):
                    if held["now"]:
                        continue  # PostgreSQL committed; the client never hears it
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                writer.close()

        await asyncio.gather(client_to_server(), server_to_client())
        self._writers.discard(writer)
        self._writers.discard(up_writer)

    def hold_after_commit(self, on: bool) -> None:
        """While on, a connection that sends COMMIT gets no more answers (the commit happens, the reply is lost)."""
        self.commit_seen.clear()
        self._hold = on

    def set_mode(self, mode: str) -> None:
        def apply():
            self.mode = mode
            if mode != "up":
                for w in list(self._writers):
                    w.transport.abort()
                self._writers.clear()

        self._loop.call_soon_threadsafe(apply)
        time.sleep(0.1)

    def stop(self) -> None:
        self.set_mode("refuse")
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()  # warnings are errors: an unclosed loop would fail the next test


def production_env(*, database_url: str, redis_url: str | None, **extra) -> dict:
    """Environment for a production-settings (DJANGO_DEBUG=False) process of this project."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_TESTING", "DATABASE_URL", "REDIS_URL"} and not k.startswith("PYTEST")
    }
    env.update(
        DJANGO_DEBUG="False",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
        JWT_SECRET=secrets.token_urlsafe(40),
        BOT_ADMIN_SECRET=secrets.token_urlsafe(30),
        TELEGRAM_WEBHOOK_SECRET=secrets.token_urlsafe(30),
        SECURE_SSL_REDIRECT="False",
        DATABASE_URL=database_url,
        PYTHONPATH=str(ROOT),
        **extra,
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


class Gunicorn:
    """`gunicorn tutorcal.wsgi` the way docker/entrypoint.sh runs the web role (sync workers)."""

    def __init__(self, env: dict, *, workers: int = 2, timeout: int = 30, log_path: Path | None = None):
        self.env = env
        self.port = free_port()
        self.workers = workers
        self.timeout = timeout
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self._log = log if self.log_path else None
        self.proc = subprocess.Popen(
            [
                str(PYTHON_BIN / "gunicorn"),
                "tutorcal.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--worker-class",
                "sync",
                "--workers",
                str(self.workers),
                "--timeout",
                str(self.timeout),
                "--graceful-timeout",
                "2",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=log,
            preexec_fn=_new_group,
        )
        wait_port(self.port, timeout=60, proc=self.proc)
        return self

    def manage(self, *args: str) -> str:
        """Run manage.py with the server's environment; returns stdout."""
        done = subprocess.run(
            [str(PYTHON_BIN / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None, timeout=30):
        """(status, headers, body bytes, seconds)."""
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        start = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - loopback test server
                return resp.status, dict(resp.headers), resp.read(), time.monotonic() - start
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read(), time.monotonic() - start

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc)
        if getattr(self, "_log", None) is not None:
            self._log.close()  # the child has its own copy of the descriptor; ours must not leak
            self._log = None
