"""The plain code or token of a queued mail lives in its outbox row only encrypted (Fernet, key derived from
SECRET_KEY), only until the row is final (channels.scrub), and at most as long as the longest token lives."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

MAX_LIFETIME = 2 * 86400  # seconds; no mail is worth sending with an older secret


def _fernet() -> Fernet:
    key = hashlib.sha256(b"tutorcal.outbox.secret:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def unseal(token: str) -> str | None:
    try:
        return _fernet().decrypt(token.encode(), ttl=MAX_LIFETIME).decode()
    except (InvalidToken, ValueError, TypeError):
        return None
