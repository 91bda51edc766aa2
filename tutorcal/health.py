"""Health: /api/health (DB and cache round-trips with latencies, 503 when degraded), /live, /ready."""

import time
import uuid

from django.core.cache import cache
from django.db import connection
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
        database, cache_state = _timed(_db_check), _timed(_cache_check)
        ok = database["status"] == cache_state["status"] == "connected"
        body = {
            "status": "ok" if ok else "degraded",
            "timestamp": iso(timezone.now()),
            "uptime": round(time.monotonic() - STARTED, 3),
            "database": database,
            "cache": cache_state,
        }
        return Response(body, status=200 if ok else 503)


@extend_schema(responses=LiveOut, tags=["health"])
class LiveView(_Public):
    def get(self, request):
        return Response({"status": "ok"})


@extend_schema(responses={200: ReadyOut, 503: ReadyOut}, tags=["health"])
class ReadyView(_Public):
    def get(self, request):
        # Not ready when either store is unreachable, so the load balancer and compose stop sending traffic;
        # each check is bounded by the connect/socket timeouts in settings.
        database, cache_state = _timed(_db_check)["status"], _timed(_cache_check)["status"]
        ready = database == cache_state == "connected"
        body = {"status": "ready" if ready else "not_ready", "database": database, "cache": cache_state}
        if ready:
            return Response(body)
        return Response(body, status=503, headers={"Retry-After": "5"})
