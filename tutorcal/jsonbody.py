"""The one strict JSON reader for everything a client sends (DRF bodies, the bot webhook, initData's `user`,
WebSocket frames): UTF-8 only, never the client's codec (Python's registry holds zlib and bz2, so a 257-byte body
"in charset bz2_codec" inflated a worker by hundreds of MB); bounded size and nesting; no NUL (PostgreSQL cannot
store U+0000), no lone surrogates, no number outside signed 64 bits. Every refusal is a DomainError with a code."""

from __future__ import annotations

import orjson

from .errors import DomainError

MAX_DEPTH = 32
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
UTF8 = {"utf-8", "utf8"}


def charset_ok(charset: str | None) -> bool:
    """Only UTF-8 (or no charset, which for JSON means UTF-8, RFC 8259)."""
    return charset is None or charset.strip().strip('"').lower() in UTF8


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH):
    """Parse and vet a JSON document. orjson rejects invalid UTF-8, lone surrogates (raw or escaped), NaN and
    Infinity, and stops at depth 1024 without recursion in Python; the walk below enforces the rest."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "surrogate" in str(exc) or "UTF-8" in str(exc):  # invalid UTF-8, raw or escaped lone surrogates
            raise DomainError("INVALID_UNICODE") from None
        if "recursion" in str(exc):
            raise DomainError("JSON_TOO_DEEP") from None
        raise DomainError("INVALID_JSON") from None
    vet(data, max_depth=max_depth)
    return data


def vet(data, *, max_depth: int = MAX_DEPTH) -> None:
    """Iterative walk (no recursion to exhaust): depth, NULs in keys and strings, numbers in range."""
    stack = [(data, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise DomainError("NUL_CHARACTER_NOT_ALLOWED")
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not INT_MIN <= item <= INT_MAX:
                raise DomainError("NUMBER_OUT_OF_RANGE")
        elif isinstance(item, float):
            # orjson turns an integer literal beyond 64 bits into a float (rounded, so -2**63-1 becomes -2**63.0):
            # refuse any magnitude a BIGINT cannot hold, strictly.
            if not -(2.0**63) < item < 2.0**63:
                raise DomainError("NUMBER_OUT_OF_RANGE")
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                raise DomainError("JSON_TOO_DEEP")
            if isinstance(item, dict):
                stack.extend((key, depth + 1) for key in item)
                stack.extend((value, depth + 1) for value in item.values())
            else:
                stack.extend((value, depth + 1) for value in item)
