"""Secrets sent by e-mail: the 4-digit sign-up code and the 256-bit link and reset tokens.

Values come from the CSPRNG; only an HMAC-SHA256 keyed with SECRET_KEY and bound to (purpose, user) is stored, so a
leaked table reveals nothing and a value is only ever checked against its own user's row. A link or reset token
carries its user: `<user id, 32 hex><secret>`, so it is looked up by user first and never by value alone."""

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import EmailToken, User

Purpose = EmailToken.Purpose
CODE_DIGITS = 4  # the frontend has four input boxes; attempt limits make it safe
_TTL_SETTING: dict[str, str] = {  # Purpose (a str enum) -> the setting holding its lifetime
    Purpose.SIGNUP_CODE: "EMAIL_CODE_TTL",
    Purpose.EMAIL_LINK: "EMAIL_LINK_TTL",
    Purpose.PASSWORD_RESET: "PASSWORD_RESET_TTL",
}


def _digest(purpose: str, user_id, value: str) -> str:
    message = f"{purpose}:{user_id}:{value}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def issue(*, user: User, purpose: str) -> str:
    """A new secret for (user, purpose), replacing the previous one (its wrong-attempt count starts again).
    Returns the plain value: the code, or the token with the user id in front."""
    if purpose == Purpose.SIGNUP_CODE:
        value = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    else:
        value = secrets.token_urlsafe(32)
    now = timezone.now()
    EmailToken.objects.update_or_create(
        user=user,
        purpose=purpose,
        defaults={
            "value_hash": _digest(purpose, user.pk, value),
            "failed_attempts": 0,
            "expires_at": now + timedelta(seconds=getattr(settings, _TTL_SETTING[purpose])),
            "created_at": now,
        },
    )
    return value if purpose == Purpose.SIGNUP_CODE else f"{user.pk.hex}{value}"


def split_token(token: str) -> tuple[uuid.UUID, str] | None:
    """(user id, secret) of a link/reset token, or None when it cannot be one of ours."""
    if not isinstance(token, str) or len(token) < 40:
        return None
    try:
        return uuid.UUID(hex=token[:32]), token[32:]
    except ValueError:
        return None


def matches(row: EmailToken, value: str) -> bool:
    return hmac.compare_digest(row.value_hash, _digest(row.purpose, row.user_id, value))


def live_row(*, user: User, purpose: str) -> EmailToken | None:
    """The (user, purpose) row, locked for the check-and-consume."""
    return EmailToken.objects.select_for_update().filter(user=user, purpose=purpose).first()
