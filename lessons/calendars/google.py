"""Google Calendar: OAuth connection (auth-url, callback, status, disconnect) and reading the primary calendar
(reference-auth-bot §6.4 with §9 item 11 fixed).

* `state` is signed (django.core.signing, salted), carries the user, the login session (JWT `sid`) and a nonce,
  expires in 10 minutes and is accepted once: nobody can bind a calendar to someone else's account, and a
  logged-out session cannot finish a connection.
* the `error` Google sends back is never reflected: the redirect carries one of our fixed codes.
* the refresh token is Fernet-encrypted at rest (GOOGLE_TOKEN_KEY, comma-separated keys for rotation) and
  revoked at Google on disconnect.
* every call uses its own short-lived HTTP client; all endpoints are settings, so tests talk to a fake Google.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils import timezone

from accounts.models import GoogleCalendarConnection, User
from accounts.tokens import session_is_live
from tutorcal.errors import DomainError

from .ics_parse import DEFAULT_TITLE, MAX_EVENTS, ParsedCalendar, SeriesRule, SourceEvent, iso_ms

logger = logging.getLogger(__name__)

SCOPES = [
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/userinfo.email",
]
STATE_SALT = "tutorcal.google-calendar.state"
STATE_MAX_AGE = 600
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
PREVIEW_DAYS = 90
ERROR_CODES = {"access_denied"}  # the only Google error worth naming to the user; anything else is generic


def configured() -> bool:
    return bool(settings.GOOGLE_CLIENT_ID and settings.GOOGLE_CLIENT_SECRET and settings.GOOGLE_REDIRECT_URI)


def require_configured() -> None:
    if not configured():
        raise DomainError("GOOGLE_NOT_CONFIGURED")


# ---------------------------------------------------------------------------------------------- token at rest


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in (settings.GOOGLE_TOKEN_KEY or "").split(",") if k.strip()]
    if not keys:  # development: a key derived from SECRET_KEY (production requires GOOGLE_TOKEN_KEY, settings.py)
        digest = hashlib.sha256(f"google-token-key:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(k.encode()) for k in keys])


def encrypt_token(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_token(value: str) -> str:
    return _fernet().decrypt(value.encode()).decode()


# ---------------------------------------------------------------------------------------------- OAuth


def auth_url(*, user: User, session: str | None) -> str:
    require_configured()
    state = signing.dumps({"u": str(user.id), "s": session or "", "n": secrets.token_urlsafe(16)}, salt=STATE_SALT)
    query = {
        "client_id": settings.GOOGLE_CLIENT_ID,
        "redirect_uri": settings.GOOGLE_REDIRECT_URI,
        "response_type": "code",
        "scope": " ".join(SCOPES),
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
        "state": state,
    }
    return f"{settings.GOOGLE_AUTHORIZE_URL}?{urlencode(query)}"


def _state_user(state: str) -> User:
    try:
        data = signing.loads(state, salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.BadSignature:  # forged, tampered or older than 10 minutes
        raise DomainError("GOOGLE_STATE_INVALID") from None
    if not isinstance(data, dict) or not cache.add(f"google-state:{data.get('n')}", 1, STATE_MAX_AGE + 60):
        raise DomainError("GOOGLE_STATE_INVALID")  # replayed
    if not session_is_live(data.get("s")):  # the login that asked for the URL has ended (logout, deletion)
        raise DomainError("GOOGLE_STATE_INVALID")
    user = User.objects.filter(id=data.get("u"), deleted_at__isnull=True, is_active=True).first()
    if user is None:
        raise DomainError("GOOGLE_STATE_INVALID")
    return user


def _post(client: httpx.Client, path: str, data: dict) -> httpx.Response:
    try:
        return client.post(f"{settings.GOOGLE_OAUTH_BASE_URL}{path}", data=data)
    except httpx.HTTPError as exc:
        logger.warning("Google OAuth %s failed: %s", path, type(exc).__name__)
        raise DomainError("GOOGLE_ERROR") from None


def callback_redirect(*, code: str | None, state: str | None, error: str | None) -> str:
    """Where the browser goes after Google's consent screen: the Mini App profile with a fixed result."""
    target = f"{settings.WEBAPP_URL}/profile"
    if error:
        return f"{target}?{urlencode({'google_error': error if error in ERROR_CODES else 'callback_failed'})}"
    if not configured() or not code or not state:
        return f"{target}?{urlencode({'google_error': 'callback_failed'})}"
    try:
        email = connect(code=code, state=state)
    except DomainError as exc:
        logger.info("Google Calendar callback refused: %s", exc.code)
        return f"{target}?{urlencode({'google_error': 'callback_failed'})}"
    return f"{target}?{urlencode({'google_connected': 'true', 'google_email': email})}"


def connect(*, code: str, state: str) -> str:
    user = _state_user(state)
    with httpx.Client(timeout=TIMEOUT, trust_env=False) as client:
        response = _post(
            client,
            "/token",
            {
                "code": code,
                "client_id": settings.GOOGLE_CLIENT_ID,
                "client_secret": settings.GOOGLE_CLIENT_SECRET,
                "redirect_uri": settings.GOOGLE_REDIRECT_URI,
                "grant_type": "authorization_code",
            },
        )
        tokens = response.json() if response.status_code == 200 else {}
        refresh, access = tokens.get("refresh_token"), tokens.get("access_token")
        if not refresh or not access:
            raise DomainError("GOOGLE_ERROR")
        email = _email(client, access)
    GoogleCalendarConnection.objects.update_or_create(
        user=user, defaults={"email": email, "refresh_token_encrypted": encrypt_token(refresh)}
    )
    return email


def _email(client: httpx.Client, access: str) -> str:
    try:
        response = client.get(
            f"{settings.GOOGLE_API_BASE_URL}/oauth2/v3/userinfo", headers={"Authorization": f"Bearer {access}"}
        )
    except httpx.HTTPError:
        raise DomainError("GOOGLE_ERROR") from None
    if response.status_code != 200:
        raise DomainError("GOOGLE_ERROR")
    return str(response.json().get("email") or "")[:255]


def status(*, user: User) -> dict:
    connection = GoogleCalendarConnection.objects.filter(user=user).first()
    return {"connected": connection is not None, "email": connection.email or None if connection else None}


def disconnect(*, user: User) -> dict:
    connection = GoogleCalendarConnection.objects.filter(user=user).first()
    if connection is not None:
        try:
            token = decrypt_token(connection.refresh_token_encrypted)
        except InvalidToken:
            token = None
        if token and configured():
            with httpx.Client(timeout=TIMEOUT, trust_env=False) as client:
                try:
                    response = _post(client, "/revoke", {"token": token})
                    if response.status_code not in (200, 400):  # 400: already revoked or expired at Google
                        logger.warning("Google revoke answered HTTP %s", response.status_code)
                except DomainError:
                    logger.warning("Google revoke failed; the connection is removed here anyway")
        connection.delete()
    return {"success": True, "message": "Google Calendar отключён"}


def _access_token(client: httpx.Client, connection: GoogleCalendarConnection) -> str:
    try:
        refresh = decrypt_token(connection.refresh_token_encrypted)
    except InvalidToken:
        connection.delete()
        raise DomainError("GOOGLE_NOT_CONNECTED") from None
    response = _post(
        client,
        "/token",
        {
            "client_id": settings.GOOGLE_CLIENT_ID,
            "client_secret": settings.GOOGLE_CLIENT_SECRET,
            "refresh_token": refresh,
            "grant_type": "refresh_token",
        },
    )
    if response.status_code in (400, 401):  # invalid_grant: the user revoked us at Google
        connection.delete()
        raise DomainError("GOOGLE_NOT_CONNECTED")
    access = response.json().get("access_token") if response.status_code == 200 else None
    if not access:
        raise DomainError("GOOGLE_ERROR")
    return access


# ---------------------------------------------------------------------------------------------- events


def list_events(*, user: User, start: datetime, end: datetime) -> list[dict]:
    """Single (expanded) events of the primary calendar starting in [start, end], at most MAX_EVENTS."""
    require_configured()
    connection = GoogleCalendarConnection.objects.filter(user=user).first()
    if connection is None:
        raise DomainError("GOOGLE_NOT_CONNECTED")
    out: list[dict] = []
    with httpx.Client(timeout=TIMEOUT, trust_env=False) as client:
        headers = {"Authorization": f"Bearer {_access_token(client, connection)}"}
        params = {
            "timeMin": start.isoformat(),
            "timeMax": end.isoformat(),
            "singleEvents": "true",
            "orderBy": "startTime",
            "maxResults": "250",
        }
        url = f"{settings.GOOGLE_API_BASE_URL}/calendar/v3/calendars/primary/events"
        while len(out) <= MAX_EVENTS:
            try:
                response = client.get(url, params=params, headers=headers)
            except httpx.HTTPError:
                raise DomainError("GOOGLE_ERROR") from None
            if response.status_code != 200:
                raise DomainError("GOOGLE_ERROR")
            page = response.json()
            out.extend(item for item in page.get("items") or [] if item.get("status") != "cancelled")
            if not page.get("nextPageToken"):
                break
            params["pageToken"] = page["nextPageToken"]
    if len(out) > MAX_EVENTS:
        raise DomainError("ICS_TOO_MANY_EVENTS")
    return out


def _when(value: dict | None, zone: ZoneInfo) -> tuple[datetime, bool] | None:
    if not value:
        return None
    if value.get("dateTime"):
        parsed = datetime.fromisoformat(value["dateTime"])
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)), False
    if value.get("date"):
        return datetime.combine(date.fromisoformat(value["date"]), datetime.min.time(), tzinfo=zone), True
    return None


def events_json(items: list[dict]) -> list[dict]:
    """GET /api/auth/google/calendar/events: the reference's shape."""
    return [
        {
            "id": item.get("id"),
            "summary": item.get("summary") or DEFAULT_TITLE,
            "description": item.get("description"),
            "start": (item.get("start") or {}).get("dateTime") or (item.get("start") or {}).get("date"),
            "end": (item.get("end") or {}).get("dateTime") or (item.get("end") or {}).get("date"),
            "location": item.get("location"),
            "recurringEventId": item.get("recurringEventId"),
        }
        for item in items
    ]


def to_source_events(items: list[dict], tz: str) -> ParsedCalendar:
    zone = ZoneInfo(tz)
    events: list[SourceEvent] = []
    for index, item in enumerate(items):
        try:
            start, end = _when(item.get("start"), zone), _when(item.get("end"), zone)
            original = _when(item.get("originalStartTime"), zone)
        except (ValueError, TypeError):
            continue
        if start is None or end is None or end[0] <= start[0]:
            continue
        series = item.get("recurringEventId")
        uid = item.get("id") or f"google_{index}_{int(start[0].timestamp() * 1000)}"
        events.append(
            SourceEvent(
                uid=str(uid)[:600],
                source_uid=str(series or uid)[:255],
                occurrence=iso_ms((original or start)[0]) if series else "",
                title=str(item.get("summary") or DEFAULT_TITLE)[:255],
                start=start[0],
                end=end[0],
                description=item.get("description") or None,
                location=item.get("location") or None,
                all_day=start[1],
                is_recurring=bool(series),
            )
        )
    events.sort(key=lambda e: (e.start, e.uid))
    return ParsedCalendar(events=events, rules=_infer_rules(events, tz))


def _infer_rules(events: list[SourceEvent], tz: str) -> dict[str, SeriesRule]:
    """Google gives expanded occurrences: a series is weekly (or biweekly) when, per weekday, the smallest gap
    between two occurrences is 7 (or 14) days."""
    from .. import recurrence as rec

    by_series: dict[str, list[datetime]] = {}
    for event in events:
        if event.is_recurring:
            by_series.setdefault(event.source_uid, []).append(rec.to_local(event.start, tz))
    rules = {}
    for uid, starts in by_series.items():
        gaps = set()
        for day in {rec.js_weekday(s) for s in starts}:
            same = sorted(s.date() for s in starts if rec.js_weekday(s) == day)
            if len(same) > 1:
                gaps.add(min((b - a).days for a, b in zip(same, same[1:], strict=False)))
        frequency = {frozenset({7}): "weekly", frozenset({14}): "biweekly"}.get(frozenset(gaps))
        rules[uid] = SeriesRule(frequency, sorted({rec.js_weekday(s) for s in starts}))
    return rules


def calendar_events_parsed(*, user: User, tz: str) -> ParsedCalendar:
    now = timezone.now()
    items = list_events(user=user, start=now, end=now + timedelta(days=PREVIEW_DAYS))
    return to_source_events(items, tz)
