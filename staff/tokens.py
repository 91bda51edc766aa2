"""The staff API token: its own type (Django signing with its own salt, so no user JWT can pass for it and it
cannot pass for a user JWT), short-lived (ADMIN_TOKEN_LIFETIME), and only a pointer — the user is re-loaded and
`is_staff`/`is_active` re-checked on every request."""

import time

from django.conf import settings
from django.core import signing

SALT = "tutorcal.staff.admin-token"
TYPE = "admin"


def lifetime() -> int:
    return int(getattr(settings, "ADMIN_TOKEN_LIFETIME", 3600))


def issue(*, user_id, login: str) -> str:
    now = int(time.time())
    payload = {"sub": str(user_id), "login": login, "type": TYPE, "iat": now, "exp": now + lifetime()}
    return signing.dumps(payload, salt=SALT, compress=False)


def verify(raw: str) -> dict | None:
    """The payload of a valid, unexpired staff token, else None (signature checked in constant time)."""
    try:
        payload = signing.loads(raw, salt=SALT, max_age=lifetime())
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or payload.get("type") != TYPE or payload.get("exp", 0) < time.time():
        return None
    return payload
