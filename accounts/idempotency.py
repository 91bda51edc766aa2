"""Idempotent creates: a POST that carries `Idempotency-Key` is claimed in the same transaction as its write, and
the first 2xx response is stored with the claim. A retry with the same key and body within 24 h replays that
response and creates nothing (also when the worker died after the commit and the client never saw the answer);
the same key with another body is 409 IDEMPOTENCY_KEY_REUSED. Without the header nothing changes."""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import timedelta

import orjson
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from tutorcal.errors import DomainError
from tutorcal.renderers import FastJSONRenderer

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
KEY_RE = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII (UUIDs, ULIDs, random tokens)


def _fingerprint(request) -> str:
    body = orjson.dumps(request.data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode() + body).hexdigest()


def _replay(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(record.response_body, status=record.status_code, content_type="application/json")
    response["Idempotent-Replayed"] = "true"
    return response


def _claim(*, user, key: str, fingerprint: str) -> IdempotencyKey | HttpResponse:
    """Insert the claim (a concurrent request with the same key waits on the unique index until the first one
    commits or rolls back), or answer from the stored first response."""
    now = timezone.now()
    IdempotencyKey.objects.filter(user=user, created_at__lt=now - TTL).delete()  # this user's expired keys
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint, created_at=now)
    except IntegrityError:
        pass
    record = IdempotencyKey.objects.get(user=user, key=key)
    if record.fingerprint != fingerprint:
        raise DomainError("IDEMPOTENCY_KEY_REUSED")
    return _replay(record)


def idempotent(view_method):
    """Decorate a DRF view's `post` that creates something."""

    @functools.wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(view, request, *args, **kwargs)
        if not KEY_RE.fullmatch(key):
            raise DomainError("INVALID_IDEMPOTENCY_KEY")
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            claim = _claim(user=request.user, key=key, fingerprint=fingerprint)
            if isinstance(claim, HttpResponse):
                return claim
            response = view_method(view, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                claim.status_code = response.status_code
                claim.response_body = FastJSONRenderer().render(response.data).decode()
                claim.save(update_fields=["status_code", "response_body"])
            else:
                claim.delete()  # only a success is remembered; anything else may be retried as new
            return response

    return wrapper
