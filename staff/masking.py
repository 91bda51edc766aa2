"""What the request log may keep of a body: JSON with every secret-looking key or value replaced by "***"
(passwords, initData, codes, tokens, secrets, hashes, keys), truncated; anything that is not JSON is not kept."""

from __future__ import annotations

import json
import re

from tutorcal import jsonbody
from tutorcal.errors import DomainError

MASK = "***"
BODY_MAX = 1000
# Keys whose values are secrets (case-insensitive substring match; over-masking is the safe side).
SECRET_KEY = re.compile(
    r"pass|secret|token|init_?data|code|hash|signature|otp|pin|key|auth|cookie|session|credential|jwt|refresh",
    re.IGNORECASE,
)
# Values that are secrets whatever their key: JWTs, Telegram initData, long opaque strings.
SECRET_VALUE = re.compile(
    r"^eyJ[\w-]+\.[\w-]+\.[\w-]*$|(^|&)hash=|auth_date=|^[A-Za-z0-9+/=_-]{32,}$|^(T|P|INV|PARENT)_\w+$"
)


def mask(value, depth: int = 0):
    if depth > 20:
        return MASK
    if isinstance(value, dict):
        return {k: MASK if SECRET_KEY.search(str(k)) else mask(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, depth + 1) for v in value[:50]]
    if isinstance(value, str) and SECRET_VALUE.search(value):
        return MASK
    return value


def masked_body(raw: bytes | None, content_type: str) -> str:
    if not raw:
        return ""
    if "json" not in (content_type or ""):
        return f"<{len(raw)} bytes {content_type.split(';')[0] or 'unknown'}, not kept>"
    try:
        data = jsonbody.loads(raw)  # bounded nesting: a hostile body must not crash the request log
    except DomainError:
        return f"<{len(raw)} bytes of invalid JSON, not kept>"
    return json.dumps(mask(data), ensure_ascii=False)[:BODY_MAX]
