"""WebSocket routing: /ws/ → the realtime consumer, behind an Origin check.

Allowed origins: REALTIME_ALLOWED_ORIGINS, else CORS_ALLOWED_ORIGINS, else the Mini App's WEBAPP_URL; with
DEBUG also http(s)://localhost and 127.0.0.1 on any port. A browser always sends Origin on a WebSocket
handshake, so a foreign page is refused before the consumer runs (handshake answered 403). A frame without
Origin comes from a non-browser client, which could forge the header anyway: it is let through and, like
everyone, must present a single-use ticket.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.routing import URLRouter
from django.conf import settings
from django.urls import path, re_path

from .consumers import RealtimeConsumer


def _origin(value: str) -> str | None:
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{parts.hostname.lower()}:{port or default}"


def allowed_origins() -> set[str]:
    configured = settings.REALTIME_ALLOWED_ORIGINS or settings.CORS_ALLOWED_ORIGINS or [settings.WEBAPP_URL]
    return {o for o in (_origin(v) for v in configured) if o}


def origin_allowed(origin: str | None) -> bool:
    if origin is None:
        return True
    if "*" in settings.REALTIME_ALLOWED_ORIGINS:
        return True
    normalized = _origin(origin)
    if normalized is None:
        return False
    if settings.DEBUG and urlsplit(normalized).hostname in ("localhost", "127.0.0.1", "::1"):
        return True
    return normalized in allowed_origins()


class OriginCheck:
    """ASGI middleware: refuse a WebSocket whose Origin header is not allowed (before accept → HTTP 403)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            origin = None
            for name, value in scope.get("headers", []):
                if name == b"origin":
                    origin = value.decode("latin-1")
                    break
            if not origin_allowed(origin):
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 4403})
                return
        return await self.app(scope, receive, send)


async def not_found(scope, receive, send):
    """Any other WebSocket path: refused at the handshake (no 'No route found' error in the logs)."""
    await receive()
    await send({"type": "websocket.close", "code": 4404})


websocket_urlpatterns = [path("ws/", RealtimeConsumer.as_asgi()), re_path(r"", not_found)]
websocket_application = OriginCheck(URLRouter(websocket_urlpatterns))
