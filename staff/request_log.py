"""Request insight without slowing requests. The middleware only appends a tuple to an in-process buffer; a
background thread (one per process) turns the tuples into rows — route normalised, bodies masked, client
address resolved — and bulk-inserts them every REQUEST_LOG_FLUSH_SECONDS or REQUEST_LOG_BATCH rows. If the
database is down the rows are dropped (counted in /metrics), never the request."""

from __future__ import annotations

import atexit
import logging
import os
import re
import threading
import time
from collections import deque
from datetime import UTC, datetime

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.db import close_old_connections
from django.utils.decorators import sync_and_async_middleware
from django.utils.functional import SimpleLazyObject, empty

from .masking import masked_body
from .netaddr import client_ip

logger = logging.getLogger(__name__)

SKIP_PREFIXES = ("/api/health", "/api/admin/", "/admin/", "/static/", "/assets", "/favicon", "/metrics", "/ws/")
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
BODY_READ_MAX = 64 * 1024
ROUTE_PARAM = re.compile(r"<(?:[^>:]+:)?([^>]+)>")
PLAIN_SEGMENT = re.compile(r"^[a-z][a-z-]{0,39}$")


def normalise(route: str | None, path: str) -> str:
    """The URL pattern with its parameters as :name; unmatched paths keep only plain word segments."""
    if route is not None:
        return ("/" + ROUTE_PARAM.sub(r":\1", route).lstrip("^").rstrip("$"))[:500]
    parts = [p if PLAIN_SEGMENT.match(p) else ":x" for p in path.split("/")[1:]]
    return ("/" + "/".join(parts))[:500]


class Buffer:
    def __init__(self):
        self.items: deque = deque(maxlen=int(getattr(settings, "REQUEST_LOG_BUFFER_MAX", 20000)))
        self.dropped = 0
        self.written = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pid = None

    def add(self, item: tuple) -> None:
        if len(self.items) == self.items.maxlen:
            self.dropped += 1  # the oldest falls out of the deque
        self.items.append(item)
        if self._pid != os.getpid() and settings.REQUEST_LOG_BACKGROUND:
            self._start()
        if len(self.items) >= settings.REQUEST_LOG_BATCH:
            self._wake.set()

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()  # a forked worker starts its own thread
            threading.Thread(target=self._run, name="request-log-flusher", daemon=True).start()

    def _run(self) -> None:
        while True:
            self._wake.wait(settings.REQUEST_LOG_FLUSH_SECONDS)
            self._wake.clear()
            close_old_connections()  # this thread's own connection: drop it when broken or too old
            self.flush()

    def flush(self) -> int:
        """Write everything buffered so far; returns the number of rows written."""
        from .models import RequestLog

        with self._lock:
            taken = []
            while self.items:
                taken.append(self.items.popleft())
        if not taken:
            return 0
        rows = [to_row(item) for item in taken]
        try:
            RequestLog.objects.bulk_create(rows, batch_size=settings.REQUEST_LOG_BATCH)
        except Exception:
            self.dropped += len(rows)
            logger.exception("request log: %d rows dropped", len(rows))
            return 0
        self.written += len(rows)
        return len(rows)


buffer = Buffer()


@atexit.register
def _flush_at_exit() -> None:
    """A server process writes what it still holds when it stops (tests flush explicitly)."""
    if buffer._pid == os.getpid():
        buffer.flush()


def to_row(item: tuple):
    from .models import RequestLog

    (at, method, route, path, status, duration, user_id, role, meta, ua, body, ctype, response) = item
    return RequestLog(
        created_at=datetime.fromtimestamp(at, tz=UTC),
        method=method[:10],
        path=normalise(route, path),
        status_code=status,
        duration_ms=duration,
        user_id=user_id,
        user_role=role[:20],
        client_ip=client_ip(meta),
        user_agent=ua[:300],
        request_body=masked_body(body, ctype),
        response_body=masked_body(response, "application/json")[:2000] if response else "",
    )


def _capture_body(request) -> bytes | None:
    if request.method not in BODY_METHODS:
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not length or length > BODY_READ_MAX or "json" not in (request.content_type or ""):
        return None
    try:
        return request.body  # cached on the request; DRF then parses the same bytes
    except Exception:
        return None


def _user(request) -> tuple:
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None, ""  # nobody verified a token on this request
    if not getattr(user, "is_authenticated", False):
        return None, ""
    auth = request.__dict__.get("auth")
    role = auth.get("role", "") if hasattr(auth, "get") else ""
    return user.pk, str(role or "")


def _record(request, response, started: float, body) -> None:
    path = request.path
    match = getattr(request, "resolver_match", None)
    user_id, role = _user(request)
    error = None
    if response.status_code >= 400 and not response.streaming:
        error = bytes(response.content[:2000])
    meta = request.META
    buffer.add(
        (
            time.time(),
            request.method,
            match.route if match is not None else None,
            path,
            response.status_code,
            int((time.perf_counter() - started) * 1000),
            user_id,
            role,
            {"REMOTE_ADDR": meta.get("REMOTE_ADDR"), "HTTP_X_FORWARDED_FOR": meta.get("HTTP_X_FORWARDED_FOR", "")},
            meta.get("HTTP_USER_AGENT", ""),
            body,
            request.content_type or "",
            error,
        )
    )


@sync_and_async_middleware
def RequestLogMiddleware(get_response):  # noqa: N802  (a middleware path reads like a class)
    enabled = getattr(settings, "REQUEST_LOG_ENABLED", True)
    if iscoroutinefunction(get_response):

        async def amiddleware(request):
            if not enabled or request.path.startswith(SKIP_PREFIXES):
                return await get_response(request)
            started = time.perf_counter()
            body = _capture_body(request)
            response = await get_response(request)
            _record(request, response, started, body)
            return response

        return amiddleware

    def middleware(request):
        if not enabled or request.path.startswith(SKIP_PREFIXES):
            return get_response(request)
        started = time.perf_counter()
        body = _capture_body(request)
        response = get_response(request)
        _record(request, response, started, body)
        return response

    return middleware
