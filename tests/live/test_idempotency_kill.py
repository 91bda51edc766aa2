"""Ghost writes (issue 17 §4): the web worker is SIGKILLed after its transaction committed but before the client
got the answer (the test's proxy in front of PostgreSQL forwards COMMIT and holds back the reply, then the test kills
the worker). Without a key, the client's retry creates the lesson twice; with `Idempotency-Key`, the retry gets the
first response replayed from the database and nothing new is created."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from lessons.models import Lesson

from .servers import Gunicorn, RedisServer, TCPProxy, production_env

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH"),
]


@pytest.fixture
def stack(tmp_path):
    db = connection.settings_dict
    redis = RedisServer().start()
    proxy = TCPProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)).start()
    user, password = quote(db["USER"] or "", safe=""), quote(db["PASSWORD"] or "", safe="")
    url = f"postgres://{user}:{password}@127.0.0.1:{proxy.port}/{db['NAME']}"
    server = Gunicorn(production_env(database_url=url, redis_url=redis.url), workers=1, log_path=tmp_path / "g.log")
    try:
        server.start()
        token = server.manage("issue_token", "--telegram-id", "515151", "--role", "teacher").split()[-1]
        yield server, proxy, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    finally:
        server.stop()
        proxy.stop()
        redis.stop()


def workers_of(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def post_and_kill_after_commit(server: Gunicorn, proxy: TCPProxy, headers: dict, body: bytes) -> str:
    """POST, let PostgreSQL commit, kill the worker before the answer leaves. Returns what the client saw."""
    seen: dict = {}

    def call():
        try:
            seen["status"] = server.request("POST", "/api/teachers/me/lessons", body=body, headers=headers)[0]
        except Exception as exc:  # the connection dies with the worker
            seen["error"] = type(exc).__name__

    proxy.hold_after_commit(True)
    client = threading.Thread(target=call)
    client.start()
    assert proxy.commit_seen.wait(20), "the request never committed"
    time.sleep(0.3)  # COMMIT is at PostgreSQL; its answer is held by the proxy
    for pid in workers_of(server.proc.pid):
        os.kill(pid, signal.SIGKILL)
    client.join(20)
    proxy.hold_after_commit(False)
    assert "status" not in seen, seen  # the client never got an answer
    return seen["error"]


def wait_for_worker(server: Gunicorn, headers: dict) -> None:
    """gunicorn's master starts a new worker for the killed one (slow on a loaded machine)."""
    deadline = time.monotonic() + 90
    while True:
        try:
            if server.request("GET", "/api/health/live", timeout=10)[0] == 200:
                return
        except OSError:  # refused or timed out while the new worker boots
            pass
        assert time.monotonic() < deadline, "no worker answered after the kill"
        time.sleep(0.3)


def test_a_retry_after_the_worker_died_post_commit_replays_instead_of_creating_twice(stack):
    server, proxy, headers = stack
    body = json.dumps({"startAt": "2030-02-03T10:00:00Z", "durationMinutes": 45}).encode()

    # Without a key: the ghost write the probe found — the retry creates a second lesson.
    post_and_kill_after_commit(server, proxy, headers, body)
    assert Lesson.objects.count() == 1  # committed although the client saw only a dead connection
    wait_for_worker(server, headers)
    assert server.request("POST", "/api/teachers/me/lessons", body=body, headers=headers)[0] == 201
    assert Lesson.objects.count() == 2
    Lesson.objects.all().delete()

    # With a key: the retry is answered from the stored first response.
    keyed = {**headers, "Idempotency-Key": "9b0c1c3e-retry-test"}
    post_and_kill_after_commit(server, proxy, keyed, body)
    created = list(Lesson.objects.values_list("id", flat=True))
    assert len(created) == 1
    wait_for_worker(server, headers)
    status, response_headers, content, _ = server.request("POST", "/api/teachers/me/lessons", body=body, headers=keyed)
    assert status == 201
    assert response_headers.get("Idempotent-Replayed") == "true"
    assert json.loads(content)["id"] == str(created[0])
    assert Lesson.objects.count() == 1
