"""Telegram Mini App initData validation (https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app)."""

import hashlib
import hmac
import time
from urllib.parse import parse_qsl

from tutorcal import jsonbody
from tutorcal.errors import DomainError

NAME_FIELDS = ("first_name", "last_name", "username")


class InvalidInitData(Exception):
    pass


def validate_init_data(init_data: str, *, bot_token: str, max_age: int, now: float | None = None) -> dict:
    """Return the verified `user` object, or raise InvalidInitData. Every field but `hash` is signed."""
    if not bot_token or not isinstance(init_data, str) or not init_data or len(init_data) > 8192:
        raise InvalidInitData("empty")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInitData("unparsable") from exc
    data = dict(pairs)
    if len(data) != len(pairs):
        raise InvalidInitData("duplicated key")  # ambiguous: which value was signed?
    received = data.pop("hash", "")
    check_string = "\n".join(f"{k}={v}" for k, v in sorted(data.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), received.encode()):
        raise InvalidInitData("bad hash")
    try:
        auth_date = int(data["auth_date"])
        # Signed by Telegram, still vetted: a NUL in a name or an id beyond 64 bits must not reach the database.
        user = jsonbody.loads(data["user"])
    except (KeyError, ValueError, DomainError) as exc:
        raise InvalidInitData("missing or malformed auth_date or user") from exc
    now = time.time() if now is None else now
    if now - auth_date > max_age or auth_date - now > 300:
        raise InvalidInitData("expired")
    if not isinstance(user, dict) or not isinstance(user.get("id"), int) or isinstance(user.get("id"), bool):
        raise InvalidInitData("bad user")
    if not 0 < user["id"] <= jsonbody.INT_MAX:
        raise InvalidInitData("bad user id")
    for field in NAME_FIELDS:
        value = user.get(field)
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            raise InvalidInitData(f"bad user {field}")
    return user


def sign_init_data(fields: dict, *, bot_token: str) -> str:
    """Build a signed initData query string, as Telegram does (used by tests and local tooling)."""
    from urllib.parse import urlencode

    check_string = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})
