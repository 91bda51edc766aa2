"""JWT issuing (simplejwt): claims sub, role, profileId (the profile of that role), telegramId, isBetaTester."""

from datetime import UTC, datetime

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


def issue_tokens(user: User, role: str) -> dict:
    profile = profile_of(user, role)
    refresh = RefreshToken.for_user(user)
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


def refresh_rotate(raw_refresh: str) -> tuple[str, str]:
    """Validate a refresh token and blacklist it (once: a concurrent second use loses). Returns (user_id, role)."""
    try:
        token = RefreshToken(raw_refresh)
    except TokenError:
        raise ApiError(401, "INVALID_REFRESH_TOKEN") from None
    user_id, role = token.get("sub"), token.get("role")
    if role not in ROLES:
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
    return user_id, role


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


def access_is_revoked(token) -> bool:
    jti = token.get("jti")
    return bool(jti) and cache.get(REVOKED_ACCESS_KEY.format(jti=jti)) is not None


def user_revoke_all_refresh(user: User) -> None:
    """Blacklist every outstanding refresh token of the user (account deletion)."""
    pending = OutstandingToken.objects.filter(user_id=user.pk, blacklistedtoken__isnull=True).values_list(
        "id", flat=True
    )
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token_id=pk) for pk in pending], ignore_conflicts=True)
