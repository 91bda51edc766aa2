"""Health: /api/health (DB and cache round-trips with latencies, 503 when degraded), /live, /ready.

A load balancer or monitor may poll /api/health hundreds of times a second: each process checks PostgreSQL and
Redis at most once per HEALTH_CACHE_SECONDS (~1 s) and answers from that result in between. /live and /health
are also answered by `tutorcal.wsgi` before Django's middleware (see `fast_response`); these views serve the
same bodies under ASGI and describe them in the OpenAPI schema."""

import threading
import time
import uuid

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .timeutil import iso

STARTED = time.monotonic()


def _timed(check) -> dict:
    start = time.perf_counter()
    try:
        check()
    except Exception:  # noqa: BLE001 - any failure means "error", reported, never raised
        return {"status": "error", "latencyMs": None}
    return {"status": "connected", "latencyMs": round((time.perf_counter() - start) * 1000, 2)}


def _db_check() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache_check() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", 5)
    if cache.get(key) != "1":
        raise RuntimeError("cache round-trip failed")
    cache.delete(key)


_lock = threading.Lock()
_last: tuple[float, dict, dict] | None = None  # (monotonic time checked, database, cache)


def checks() -> tuple[dict, dict]:
    """(database, cache) check results, at most HEALTH_CACHE_SECONDS old. One thread checks at a time; the
    others answer with the previous result meanwhile instead of piling onto a slow store."""
    global _last
    ttl = settings.HEALTH_CACHE_SECONDS
    last = _last
    if last is not None and time.monotonic() - last[0] < ttl:
        return last[1], last[2]
    if not _lock.acquire(blocking=last is None):
        return last[1], last[2]  # type: ignore[index]  # (blocking when there is no result yet)
    try:
        database, cache_state = _timed(_db_check), _timed(_cache_check)
        _last = (time.monotonic(), database, cache_state)
        return database, cache_state
    finally:
        _lock.release()


def forget() -> None:
    """Drop the remembered result (tests that break a store on purpose)."""
    global _last
    _last = None


def health_body() -> tuple[int, dict]:
    database, cache_state = checks()
    ok = database["status"] == cache_state["status"] == "connected"
    body = {
        "status": "ok" if ok else "degraded",
        "timestamp": iso(timezone.now()),
        "uptime": round(time.monotonic() - STARTED, 3),
        "database": database,
        "cache": cache_state,
    }
    return (200 if ok else 503), body


LIVE_BODY = {"status": "ok"}
_JSON_HEADERS = [
    ("Content-Type", "application/json"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
]
_REASONS = {200: "200 OK", 503: "503 Service Unavailable"}


def fast_response(environ) -> tuple[str, list, bytes] | None:
    """The WSGI answer for GET/HEAD /api/health and /api/health/live without Django's request cycle, or None
    for any other request. Same bodies and statuses as the views below."""
    path = environ.get("PATH_INFO")
    if path not in ("/api/health", "/api/health/live") or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return None
    if path == "/api/health/live":
        status, body = 200, LIVE_BODY
    else:
        close_old_connections()  # what request_started/finished would do: drop a broken or expired connection
        try:
            status, body = health_body()
        finally:
            close_old_connections()
    data = b"" if environ["REQUEST_METHOD"] == "HEAD" else orjson.dumps(body)
    return _REASONS[status], [*_JSON_HEADERS, ("Content-Length", str(len(data)))], data


class CheckOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=["connected", "error"])
    latencyMs = serializers.FloatField(allow_null=True)


class HealthOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "degraded"])
    timestamp = serializers.DateTimeField()
    uptime = serializers.FloatField(help_text="seconds since the process started")
    database = CheckOut()
    cache = CheckOut()


class LiveOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok"])


class ReadyOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ready", "not_ready"])
    database = serializers.ChoiceField(choices=["connected", "error"])
    cache = serializers.ChoiceField(choices=["connected", "error"])


class _Public(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


@extend_schema(responses={200: HealthOut, 503: HealthOut}, tags=["health"])
class HealthView(_Public):
    def get(self, request):
        status, body = health_body()
        return Response(body, status=status)


@extend_schema(responses=LiveOut, tags=["health"])
class LiveView(_Public):
    def get(self, request):
        return Response(LIVE_BODY)


@extend_schema(responses={200: ReadyOut, 503: ReadyOut}, tags=["health"])
class ReadyView(_Public):
    def get(self, request):
        # Not ready when either store is unreachable, so the load balancer and compose stop sending traffic the
        # moment a store is gone: checked on every call (unlike /api/health), each bounded by the timeouts in settings.
        database, cache_state = _timed(_db_check)["status"], _timed(_cache_check)["status"]
        ready = database == cache_state == "connected"
        body = {"status": "ready" if ready else "not_ready", "database": database, "cache": cache_state}
        if ready:
            return Response(body)
        return Response(body, status=503, headers={"Retry-After": "5"})
