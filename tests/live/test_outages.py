"""Outages seen from the outside (issue 17 §2): a production-settings gunicorn (sync workers, as
docker/entrypoint.sh runs it) in front of the test's OWN redis-server and its OWN TCP proxy to PostgreSQL — never
the machine's services. With either store unreachable (refused, or a black hole that accepts and never answers)
every answer is a 503 with Retry-After and the contract's body within 5 s, /api/health/ready says 503, and
everything recovers by itself when the store is back (no restart)."""

from __future__ import annotations

import json
import shutil
import time
from urllib.parse import quote

import pytest
from django.db import connection

from .servers import Gunicorn, RedisServer, TCPProxy, production_env

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH"),
]

BOUND = 5.0  # seconds: the longest an outage may take to be answered
LESSONS = "/api/teachers/me/lessons?from=2030-01-01&to=2030-01-31"


# Signed-in reads do not need Redis: revocations are checked in the database when the cache is unreachable.
READ_STATUSES_WITHOUT_REDIS = (200,)
UNAVAILABLE = {"statusCode": 503, "message": "SERVICE_UNAVAILABLE", "error": "Service Unavailable"}


@pytest.fixture
def stack(tmp_path):
    db = connection.settings_dict
    redis = RedisServer().start()
    proxy = TCPProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)).start()
    user = quote(db["USER"] or "", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    database_url = f"postgres://{user}:{password}@127.0.0.1:{proxy.port}/{db['NAME']}"
    env = production_env(database_url=database_url, redis_url=redis.url, CACHE_KEY_PREFIX="outage")
    server = Gunicorn(env, log_path=tmp_path / "gunicorn.log")
    try:
        server.start()
        token = server.manage("issue_token", "--telegram-id", "424242", "--role", "teacher").strip().splitlines()[-1]
        yield server, redis, proxy, {"Authorization": f"Bearer {token}"}
    finally:
        server.stop()
        proxy.stop()
        redis.stop()


def assert_unavailable(server, method, path, headers=None, body=None):
    status, response_headers, content, took = server.request(method, path, body=body, headers=headers, timeout=30)
    assert status == 503, (status, content[:300])
    assert took < BOUND, f"{method} {path} took {took:.1f}s"
    assert int(response_headers["Retry-After"]) > 0
    print(f"outage answer: {method} {path} -> 503 in {took:.2f}s")
    if not path.startswith("/api/health"):
        assert json.loads(content) == UNAVAILABLE
    return took


def assert_recovers(server, path, headers=None, within=15.0):
    deadline = time.monotonic() + within
    while True:
        status = server.request("GET", path, headers=headers, timeout=10)[0]
        if status == 200:
            return
        assert time.monotonic() < deadline, f"{path} still {status} {within}s after the store came back"
        time.sleep(0.3)


def test_postgresql_unreachable_is_a_503_within_5_s_and_recovers_without_restart(stack):
    server, _redis, proxy, auth = stack
    assert server.request("GET", LESSONS, headers=auth)[0] == 200
    assert server.request("GET", "/api/health/ready")[0] == 200
    lesson = json.dumps({"startAt": "2030-01-02T10:00:00Z", "durationMinutes": 60}).encode()
    json_headers = {**auth, "Content-Type": "application/json"}

    for mode in ("blackhole", "refuse"):
        proxy.set_mode(mode)
        for _ in range(3):  # both workers, pooled connections and fresh ones
            assert_unavailable(server, "GET", LESSONS, auth)
            assert_unavailable(server, "POST", "/api/teachers/me/lessons", json_headers, lesson)
        assert_unavailable(server, "GET", "/api/health/ready")
        # Outside DRF too: the admin looks the session up in the database (middleware mapping, not the DRF handler).
        assert_unavailable(server, "GET", "/admin/", {"Cookie": "sessionid=" + "x" * 32})
        proxy.set_mode("up")
        assert_recovers(server, "/api/health/ready")
        assert_recovers(server, LESSONS, auth)
    assert server.proc.poll() is None  # the same gunicorn throughout


def test_redis_unreachable_is_a_503_within_5_s_and_recovers_without_restart(stack):
    server, redis, _proxy, auth = stack
    assert server.request("GET", LESSONS, headers=auth)[0] == 200

    redis.pause()  # a black hole: connections accepted, nothing answered
    assert_unavailable(server, "GET", "/api/health/ready")
    status, _, content, took = server.request("GET", LESSONS, headers=auth, timeout=30)
    assert took < BOUND and status in READ_STATUSES_WITHOUT_REDIS, (status, content[:200])
    print(f"signed-in read without Redis: {status} in {took:.2f}s")
    redis.resume()
    assert_recovers(server, "/api/health/ready")
    assert_recovers(server, LESSONS, auth)

    redis.stop()  # refused
    assert_unavailable(server, "GET", "/api/health/ready")
    status, _, content, took = server.request("GET", LESSONS, headers=auth, timeout=30)
    assert took < BOUND and status in READ_STATUSES_WITHOUT_REDIS, (status, content[:200])
    print(f"signed-in read without Redis: {status} in {took:.2f}s")
    redis.start()
    assert_recovers(server, "/api/health/ready")
    assert_recovers(server, LESSONS, auth)
