"""JWT issuing (simplejwt): claims sub, role, profileId (the profile of that role), telegramId, isBetaTester,
and `sid`: the login session. Every token of one login (its refresh tokens through rotation and the access tokens
they mint) carries the same sid, so logout can end the whole session, not only the tokens the client sent."""

import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tutorcal.errors import ApiError
from tutorcal.timeutil import iso

from .models import User
from .selectors import profile_of

ROLES = ("teacher", "student", "parent")
REVOKED_ACCESS_KEY = "jwt:revoked:{jti}"
REVOKED_SESSION_KEY = "jwt:revoked-sid:{sid}"


def issue_tokens(user: User, role: str, *, session: str | None = None) -> dict:
    """Access + refresh token for `role`; `session` continues an existing login (refresh), else a new one."""
    profile = profile_of(user, role)
    refresh = RefreshToken.for_user(user)
    refresh["sid"] = session or uuid.uuid4().hex
    refresh["role"] = role
    refresh["profileId"] = str(profile.id) if profile else ""
    refresh["telegramId"] = user.telegram_id
    refresh["isBetaTester"] = user.is_beta_tester
    access = refresh.access_token
    return {
        "token": str(access),
        "refreshToken": str(refresh),
        "expiresAt": iso(datetime.fromtimestamp(access["exp"], tz=UTC)),
    }


def refresh_rotate(raw_refresh: str) -> tuple[str, str, str | None]:
    """Validate a refresh token and blacklist it (once: a concurrent second use loses).
    Returns (user_id, role, session)."""
    try:
        token = RefreshToken(raw_refresh)
    except TokenError:
        raise ApiError(401, "INVALID_REFRESH_TOKEN") from None
    user_id, role = token.get("sub"), token.get("role")
    if role not in ROLES or token_is_revoked(token):
        raise ApiError(401, "INVALID_REFRESH_TOKEN")
    try:
        with transaction.atomic():
            outstanding, _ = OutstandingToken.objects.get_or_create(
                jti=token["jti"],
                defaults={
                    "token": raw_refresh,
                    "expires_at": datetime.fromtimestamp(token["exp"], tz=UTC),
                    "user_id": user_id,
                },
            )
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError:
        raise ApiError(401, "INVALID_REFRESH_TOKEN") from None
    return user_id, role, token.get("sid")


def refresh_blacklist(raw_refresh: str, *, user: User) -> None:
    try:
        token = RefreshToken(raw_refresh)
    except TokenError:
        return
    if str(token.get("sub")) != str(user.pk):
        return
    try:
        token.blacklist()
    except IntegrityError:
        pass


def access_revoke(token: AccessToken) -> None:
    """Make an access token unusable until it would have expired anyway."""
    ttl = max(1, int(token["exp"] - datetime.now(tz=UTC).timestamp()))
    cache.set(REVOKED_ACCESS_KEY.format(jti=token["jti"]), 1, ttl)


def session_revoke(token) -> None:
    """End the login `token` belongs to: every access and refresh token carrying its sid stops working.
    Kept for as long as any token of the session could still be unexpired."""
    sid = token.get("sid")
    if not sid:
        return
    jwt = settings.SIMPLE_JWT
    ttl = int(max(jwt["ACCESS_TOKEN_LIFETIME"], jwt["REFRESH_TOKEN_LIFETIME"]).total_seconds())
    cache.set(REVOKED_SESSION_KEY.format(sid=sid), 1, max(1, ttl))


def token_is_revoked(token) -> bool:
    """This very token (jti) or its whole session (sid) was revoked: one cache round trip."""
    keys = [REVOKED_ACCESS_KEY.format(jti=jti)] if (jti := token.get("jti")) else []
    if sid := token.get("sid"):
        keys.append(REVOKED_SESSION_KEY.format(sid=sid))
    return bool(keys) and bool(cache.get_many(keys))


def user_revoke_all_refresh(user: User) -> None:
    """Blacklist every outstanding refresh token of the user (account deletion)."""
    pending = OutstandingToken.objects.filter(user_id=user.pk, blacklistedtoken__isnull=True).values_list(
        "id", flat=True
    )
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token_id=pk) for pk in pending], ignore_conflicts=True)
