"""JWT issuing (simplejwt): claims sub, role, profileId (the profile of that role), telegramId, isBetaTester,
and `sid`: the login session. Every token of one login (its refresh tokens through rotation and the access tokens
they mint) carries the same sid, so logout can end the whole session, not only the tokens the client sent.

Revocation is durable: a session is a `LoginSession` row and a token is accepted only while that row exists and is
not ended. The cache only answers faster: "live" and "ended" are both cached for SESSION_CACHE_TTL; ending a session
overwrites the key with "ended", and "live" is only ever *added*, so a lookup racing a logout cannot
put a stale "live" over it. A flushed or restarted Redis costs one indexed query per session, never a revocation."""

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from tutorcal import cache_guard
from tutorcal.errors import OUTAGE_ERRORS, DomainError
from tutorcal.timeutil import iso

from .models import LoginSession, User
from .selectors import profile_of

ROLES = ("teacher", "student", "parent")
SESSION_KEY = "auth:session:{sid}"
SESSION_CACHE_TTL = 60  # seconds a cached answer may be served; the database decides after that
LIVE, ENDED = "live", "ended"


def issue_tokens(user: User, role: str, *, session: str | None = None) -> dict:
    """Access + refresh token for `role`; `session` continues an existing login (refresh), else a new one."""
    profile = profile_of(user, role)
    refresh = RefreshToken.for_user(user)
    sid = session or uuid.uuid4().hex
    refresh["sid"] = sid
    refresh["role"] = role
    refresh["profileId"] = str(profile.id) if profile else ""
    refresh["telegramId"] = user.telegram_id
    refresh["isBetaTester"] = user.is_beta_tester
    access = refresh.access_token
    expires_at = datetime.fromtimestamp(refresh["exp"], tz=UTC)
    if session is None:
        LoginSession.objects.create(sid=sid, user=user, expires_at=expires_at)
        # its first request skips the query (were this transaction to roll back, nobody would get the token)
        cache.add(SESSION_KEY.format(sid=sid), LIVE, SESSION_CACHE_TTL)
    else:  # the session lives as long as its newest refresh token
        LoginSession.objects.filter(sid=sid, expires_at__lt=expires_at).update(expires_at=expires_at)
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
        raise DomainError("INVALID_REFRESH_TOKEN") from None
    user_id, role = token.get("sub"), token.get("role")
    if role not in ROLES or token_is_revoked(token):
        raise DomainError("INVALID_REFRESH_TOKEN")
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
        raise DomainError("INVALID_REFRESH_TOKEN") from None
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


def session_is_live(sid) -> bool:
    """The login session exists and was not ended: one cache round trip, one indexed query on a miss."""
    if not isinstance(sid, str) or not sid or len(sid) > 64:
        return False  # every token we issue carries a sid
    key = SESSION_KEY.format(sid=sid)
    if cache_guard.resting():
        return _session_row_live(sid)  # Redis failed a moment ago: don't wait for its timeout again
    try:
        state = cache.get(key)
    except OUTAGE_ERRORS:
        # Redis unreachable: the database is the truth (a little slower, never wrong), so signed-in reads keep
        # working; nothing is cached meanwhile. Ending a session still needs Redis (_cache_ended raises: 503).
        cache_guard.note_outage()
        return _session_row_live(sid)
    if state is not None:
        return state == LIVE
    live = _session_row_live(sid)
    if live:
        cache.add(key, LIVE, SESSION_CACHE_TTL)  # never overwrites an "ended" written meanwhile
    else:
        cache.set(key, ENDED, SESSION_CACHE_TTL)  # an ended or unknown session never comes back
    return live


def _session_row_live(sid: str) -> bool:
    row = LoginSession.objects.filter(sid=sid).values_list("ended_at").first()
    return row is not None and row[0] is None


def token_is_revoked(token) -> bool:
    """The token's login session is unknown or ended (logout, account deletion)."""
    return not session_is_live(token.get("sid"))


def _cache_ended(sids: Iterable[str]) -> None:
    """Right after the UPDATE (not on commit): a reader that saw the old row can no longer add "live" over it, and
    the cached "ended" is served for SESSION_CACHE_TTL, long after the commit makes the row say the same."""
    if keys := [SESSION_KEY.format(sid=sid) for sid in sids]:
        cache.set_many(dict.fromkeys(keys, ENDED), SESSION_CACHE_TTL)


def login_session_end(sid: str | None, *, reason: str = LoginSession.EndReason.LOGOUT) -> None:
    """End one login session: every access and refresh token carrying its sid stops working, durably."""
    if not sid:
        return
    LoginSession.objects.filter(sid=sid, ended_at__isnull=True).update(ended_at=timezone.now(), end_reason=reason)
    _cache_ended([sid])


def user_login_sessions_end(user: User, *, reason: str = LoginSession.EndReason.ACCOUNT_DELETED) -> None:
    """End every live login session of the user (account deletion): their tokens stop working on every device."""
    live = LoginSession.objects.filter(user=user, ended_at__isnull=True)
    sids = list(live.values_list("sid", flat=True))
    live.filter(sid__in=sids).update(ended_at=timezone.now(), end_reason=reason)
    _cache_ended(sids)


def login_sessions_purge_expired() -> int:
    """Delete sessions whose newest refresh token has expired: every token of them is refused anyway (no row =
    refused), so the table only holds sessions that could still be used."""
    deleted, _ = LoginSession.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
