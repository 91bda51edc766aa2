"""Google Calendar end to end against a fake Google over HTTP on 127.0.0.1: connect, status, events, preview,
import (idempotent), disconnect (revoked at Google); and the OAuth holes of the reference, closed."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.utils import timezone

from accounts.models import GoogleCalendarConnection
from accounts.tokens import issue_tokens, login_session_end
from lessons.calendars import google
from lessons.models import Lesson, LessonSeries

from .fake_google import CLIENT_ID, CLIENT_SECRET, EMAIL, GOOD_CODE, FakeGoogle, sample_events

BASE = "/api/auth/google/calendar"
REDIRECT = "https://api.example.com/api/auth/google/calendar/callback"


@pytest.fixture
def fake_google(settings):
    with FakeGoogle() as fake:
        settings.GOOGLE_CLIENT_ID = CLIENT_ID
        settings.GOOGLE_CLIENT_SECRET = CLIENT_SECRET
        settings.GOOGLE_REDIRECT_URI = REDIRECT
        settings.GOOGLE_AUTHORIZE_URL = f"{fake.url}/auth"
        settings.GOOGLE_OAUTH_BASE_URL = fake.url
        settings.GOOGLE_API_BASE_URL = fake.url
        settings.GOOGLE_TOKEN_KEY = "uXJ1bmJ2cUq6Y0c2s3Zl6pIhT2pNl0Jm1wRzQ4Yx0Xo="
        settings.WEBAPP_URL = "https://app.example.com"
        fake.state.events = sample_events(timezone.now())
        yield fake


def state_from(client) -> str:
    response = client.get(f"{BASE}/auth-url")
    assert response.status_code == 200, response.json()
    url = urlsplit(response.json()["url"])
    query = parse_qs(url.query)
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert query["client_id"] == [CLIENT_ID] and query["redirect_uri"] == [REDIRECT]
    assert "https://www.googleapis.com/auth/calendar.readonly" in query["scope"][0].split()
    return query["state"][0]


def callback(client, **params):
    response = client.get(f"{BASE}/callback", params)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == "https://app.example.com/profile"
    return {k: v[0] for k, v in parse_qs(target.query).items()}, response["Location"]


def connect(api, persona):
    client = api(persona)
    result, _ = callback(api(), code=GOOD_CODE, state=state_from(client))
    assert result == {"google_connected": "true", "google_email": EMAIL}
    return client


def test_connect_preview_import_and_disconnect_end_to_end(api, tutor, fake_google):
    client = connect(api, tutor)
    row = GoogleCalendarConnection.objects.get(user=tutor.user)
    assert "refresh" not in row.refresh_token_encrypted  # encrypted at rest
    assert google.decrypt_token(row.refresh_token_encrypted) == "1//refresh-1"
    assert client.get(f"{BASE}/status").json() == {"connected": True, "email": EMAIL}

    events = client.get(f"{BASE}/events").json()
    assert [e["summary"] for e in events][:2] == ["Физика", "Консультация"]
    assert set(events[0]) == {"id", "summary", "description", "start", "end", "location", "recurringEventId"}
    assert len(events) == 6  # three pages of the fake; the cancelled one left out

    preview = client.get("/api/teachers/me/calendar/google/preview").json()
    assert preview["totalEvents"] == 6 and preview["hasRecurringEvents"] is True
    physics = [e for e in preview["events"] if e.get("originalUid") == "phys"]
    assert len(physics) == 4 and physics[0]["durationMinutes"] == 90
    holiday = next(e for e in preview["events"] if e["uid"] == "holiday")
    assert holiday["allDay"] is True

    body = {"events": [{"uid": e["uid"], "autoCreateSubject": True, "priceRub": 900} for e in preview["events"]]}
    result = client.post("/api/teachers/me/calendar/google/import", body, format="json")
    assert result.status_code == 200, result.json()
    assert result.json() == {"imported": 6, "updated": 0, "skipped": 0, "errors": [], "seriesCreated": 1}
    series = LessonSeries.objects.get(teacher=tutor.profile)
    assert series.frequency == "weekly" and series.lessons.count() == 4
    assert set(Lesson.objects.values_list("import_source", flat=True)) == {"google"}
    again = client.post("/api/teachers/me/calendar/google/import", body, format="json").json()
    assert again["imported"] == 0 and again["skipped"] == 6
    assert Lesson.objects.count() == 6

    response = client.post(f"{BASE}/disconnect")
    assert response.status_code == 200 and response.json()["success"] is True
    assert fake_google.state.revoked == ["1//refresh-1"]  # revoked at Google, not just forgotten
    assert client.get(f"{BASE}/status").json() == {"connected": False, "email": None}
    assert client.get("/api/teachers/me/calendar/google/preview").json()["message"] == "GOOGLE_NOT_CONNECTED"


def test_a_forged_state_cannot_bind_a_calendar_to_someone_else(api, tutor, stranger_tutor, fake_google):
    forged = signing.dumps({"u": str(tutor.user.id), "s": "", "n": "x"}, salt="another-salt")
    result, _ = callback(api(), code=GOOD_CODE, state=forged)
    assert result == {"google_error": "callback_failed"}
    import base64
    import json

    reference_style = base64.b64encode(json.dumps({"userId": str(tutor.user.id)}).encode()).decode()
    result, _ = callback(api(), code=GOOD_CODE, state=reference_style)
    assert result == {"google_error": "callback_failed"}
    assert not GoogleCalendarConnection.objects.exists()
    assert not any(path == "/token" for _, path, _ in fake_google.state.requests)  # refused before Google


def test_an_expired_state_is_refused(api, tutor, fake_google, monkeypatch):
    import time as real_time

    state = state_from(api(tutor))
    later = real_time.time() + google.STATE_MAX_AGE + 1
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    result, _ = callback(api(), code=GOOD_CODE, state=state)
    assert result == {"google_error": "callback_failed"}
    assert not GoogleCalendarConnection.objects.exists()


def test_a_state_works_once(api, tutor, fake_google):
    state = state_from(api(tutor))
    assert callback(api(), code=GOOD_CODE, state=state)[0]["google_connected"] == "true"
    GoogleCalendarConnection.objects.all().delete()
    assert callback(api(), code=GOOD_CODE, state=state)[0] == {"google_error": "callback_failed"}
    assert not GoogleCalendarConnection.objects.exists()


def test_a_state_of_a_logged_out_session_is_refused(api, tutor, fake_google):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    tokens = issue_tokens(tutor.user, "teacher")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['token']}")
    state = state_from(client)
    login_session_end(AccessToken(tokens["token"])["sid"])
    assert callback(api(), code=GOOD_CODE, state=state)[0] == {"google_error": "callback_failed"}


def test_the_error_parameter_is_never_reflected(api, fake_google):
    result, location = callback(api(), error="<script>alert(1)</script>", state="x")
    assert result == {"google_error": "callback_failed"}
    assert "script" not in location and "<" not in location
    assert callback(api(), error="access_denied")[0] == {"google_error": "access_denied"}


def test_a_bad_code_is_a_failed_callback(api, tutor, fake_google):
    result, _ = callback(api(), code="4/wrong", state=state_from(api(tutor)))
    assert result == {"google_error": "callback_failed"}
    assert not GoogleCalendarConnection.objects.exists()


def test_a_grant_revoked_at_google_disconnects_cleanly(api, tutor, fake_google):
    client = connect(api, tutor)
    fake_google.state.refresh_tokens.clear()  # the user removed our access in their Google account
    response = client.get(f"{BASE}/events")
    assert response.status_code == 400 and response.json()["message"] == "GOOGLE_NOT_CONNECTED"
    assert not GoogleCalendarConnection.objects.exists()


def test_not_connected_is_a_400_not_a_500(api, tutor, fake_google):
    assert api(tutor).get(f"{BASE}/events").json()["message"] == "GOOGLE_NOT_CONNECTED"
    response = api(tutor).post("/api/teachers/me/calendar/google/import", {"events": [{"uid": "x"}]}, format="json")
    assert response.status_code == 400 and response.json()["message"] == "GOOGLE_NOT_CONNECTED"


def test_events_range_is_validated(api, tutor, fake_google):
    client = connect(api, tutor)
    assert client.get(f"{BASE}/events", {"from": "nope"}).json()["message"] == "INVALID_FROM_DATE"
    assert client.get(f"{BASE}/events", {"from": "2027-02-01", "to": "2027-01-01"}).json()["message"] == (
        "INVALID_DATE_RANGE"
    )
    assert client.get(f"{BASE}/events", {"from": "2027-01-01", "to": "2029-01-01"}).json()["message"] == (
        "RANGE_TOO_LARGE"
    )


def test_google_is_off_when_not_configured(api, tutor, settings):
    settings.GOOGLE_CLIENT_ID = ""
    settings.WEBAPP_URL = "https://app.example.com"
    client = api(tutor)
    for path in ("auth-url", "status", "events"):
        response = client.get(f"{BASE}/{path}")
        assert response.status_code == 404 and response.json()["message"] == "GOOGLE_NOT_CONFIGURED"
    assert client.post(f"{BASE}/disconnect").status_code == 404
    assert client.get("/api/teachers/me/calendar/google/preview").json()["message"] == "GOOGLE_NOT_CONFIGURED"
    result, _ = callback(api(), code=GOOD_CODE, state="x")
    assert result == {"google_error": "callback_failed"}


def test_google_routes_need_a_jwt_except_the_callback(api, fake_google, db):
    for path in ("auth-url", "status", "events"):
        assert api().get(f"{BASE}/{path}").status_code == 401
    assert api().post(f"{BASE}/disconnect").status_code == 401


def test_the_token_key_can_rotate(settings, fake_google):
    old = google.encrypt_token("1//secret")
    settings.GOOGLE_TOKEN_KEY = "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=," + settings.GOOGLE_TOKEN_KEY
    assert google.decrypt_token(old) == "1//secret"
