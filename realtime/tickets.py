"""Single-use WebSocket tickets, so no long-lived token ever travels in a URL (or an access log).

`POST /api/realtime/ticket` (JWT) stores a random ticket in the cache for ``REALTIME_TICKET_TTL`` seconds
(~30 s); the client connects to ``/ws/?ticket=…`` and the consumer redeems it. Only a hash of the ticket is
used as the cache key. Redeeming is atomic across processes: every racer may read the value, but only the
one whose ``cache.delete`` actually removed the key (Redis DEL / locmem both report it) wins.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache

from tutorcal.timeutil import iso

KEY = "rt:ticket:{digest}"
MAX_TICKET_LENGTH = 128


@dataclass(frozen=True)
class Ticket:
    user_id: str
    role: str
    profile_id: str
    session: str | None = None  # the login session (JWT sid) the ticket was issued under


def _key(raw: str) -> str:
    return KEY.format(digest=hashlib.sha256(raw.encode()).hexdigest())


def ticket_issue(*, user_id, role: str, profile_id, session: str | None = None) -> dict:
    """A fresh ticket for this user acting as `role` (the profile named by their JWT), bound to the login
    session it was issued under: logging out ends the sockets opened with it."""
    ttl = int(settings.REALTIME_TICKET_TTL)
    raw = secrets.token_urlsafe(32)
    value = {"userId": str(user_id), "role": role, "profileId": str(profile_id), "session": session}
    cache.set(_key(raw), value, ttl)
    return {
        "ticket": raw,
        "expiresAt": iso(datetime.now(tz=UTC) + timedelta(seconds=ttl)),
        "expiresIn": ttl,
        "url": f"/ws/?ticket={raw}",
    }


def ticket_redeem(raw: str | None) -> Ticket | None:
    """The ticket's identity, once: a missing, forged, expired or already used ticket gives None."""
    if not raw or not isinstance(raw, str) or len(raw) > MAX_TICKET_LENGTH:
        return None
    key = _key(raw)
    value = cache.get(key)
    if not isinstance(value, dict):
        return None
    if not cache.delete(key):  # somebody else redeemed it between our get and delete
        return None
    try:
        return Ticket(
            user_id=value["userId"], role=value["role"], profile_id=value["profileId"], session=value.get("session")
        )
    except KeyError:
        return None
