"""Rendered JSON views cached per profile, with ETag / If-None-Match.

A cached body lives in the "views" cache (its own evicting Redis in production) under a key made of the view,
the profile, the profile's *stamp* (a version that every committed write changing what the profile's views show
moves on: lessons.selectors.stamps) and the view's resolved parameters. A write never has to find and delete
cache entries, and a cached body is never older than the stamp it is filed under, so it is never stale. Bodies
whose content also changes with time alone (the next lesson becomes the last one) are rendered with a
`valid_until` and expire then.

The ETag is a hash of the body: a client holding a body gets 304 for as long as the body would be the same,
even across writes that did not change it. Without stamps (SQLite) every request renders, ETags still work.
In tests VIEW_CACHE_VERIFY renders again on every hit and fails the request if the cached body differs."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import parse_etags

from . import cache_guard
from .renderers import FastJSONRenderer

logger = logging.getLogger(__name__)

# Bump when a cached view's output shape changes (with RELEASE, old entries are then never read again).
SHAPE_VERSION = 1
CACHE_CONTROL = "private, no-cache"  # the client may keep it, and must ask (If-None-Match) before reusing it
_renderer = FastJSONRenderer()

Render = Callable[[], tuple[Any, "datetime | None"]]


class StaleCachedView(AssertionError):
    """VIEW_CACHE_VERIFY: a cached body differs from a fresh render (an invalidation is missing)."""


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _matches(request, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    tags = parse_etags(header)
    return "*" in tags or etag in tags or f"W/{etag}" in tags


def _respond(request, body: bytes, etag: str) -> HttpResponse:
    if _matches(request, etag):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return response


def _render(render: Render) -> tuple[bytes, datetime | None]:
    data, valid_until = render()
    return _renderer.render(data), valid_until


def _key(scope: str, profile_id, stamp: str, params: dict) -> str:
    digest = hashlib.blake2b(repr(sorted(params.items())).encode(), digest_size=12).hexdigest()
    return f"view:{SHAPE_VERSION}:{settings.RELEASE}:{scope}:{profile_id}:{stamp}:{digest}"


def _timeout(valid_until: datetime | None) -> float:
    ttl = float(settings.VIEW_CACHE_SECONDS)
    if valid_until is not None:
        ttl = min(ttl, (valid_until - timezone.now()).total_seconds())
    return ttl


def _cache():
    return caches["views"]


def _rendered(request, render: Render) -> HttpResponse:
    body, _ = _render(render)
    return _respond(request, body, _etag(body))


def cached_json(request, *, scope: str, profile_id, stamp: str | None, params: dict, render: Render) -> HttpResponse:
    """The view's JSON body from the cache or from `render()` (which returns `(data, valid_until)`), as a 200
    with ETag, or a 304 when the client's If-None-Match already names it. `params`: what the body depends on
    besides the profile (the resolved query). `stamp=None`: no caching."""
    if stamp is None or settings.VIEW_CACHE_SECONDS <= 0 or cache_guard.resting():
        return _rendered(request, render)
    key = _key(scope, profile_id, stamp, params)
    try:
        if request.META.get("HTTP_IF_NONE_MATCH"):
            etag = _cache().get(key + ":e")  # a revalidation needs only the small key
            if etag and _matches(request, etag):
                if settings.VIEW_CACHE_VERIFY:
                    _verify(render, etag, key)
                return _respond(request, b"", etag)
        found = _cache().get_many([key + ":e", key + ":b"])
    except Exception:  # noqa: BLE001 - a cache outage costs a render, never the answer
        logger.warning("view cache read failed", exc_info=True)
        cache_guard.note_outage()
        return _rendered(request, render)
    etag, body = found.get(key + ":e"), found.get(key + ":b")
    if etag and body is not None:
        if settings.VIEW_CACHE_VERIFY:
            _verify(render, etag, key)
        return _respond(request, body, etag)
    body, valid_until = _render(render)
    etag = _etag(body)
    timeout = _timeout(valid_until)
    if timeout > 0:
        try:
            _cache().set_many({key + ":b": body, key + ":e": etag}, timeout)
        except Exception:  # noqa: BLE001
            logger.warning("view cache write failed", exc_info=True)
            cache_guard.note_outage()
    return _respond(request, body, etag)


def _verify(render: Render, etag: str, key: str) -> None:
    body, _ = _render(render)
    if _etag(body) != etag:
        raise StaleCachedView(f"cached view {key} differs from a fresh render:\n{body[:2000]!r}")
