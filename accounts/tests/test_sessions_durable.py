"""Revocations live in the database (LoginSession); the cache only speeds the check up. Flushing the cache — on
PostgreSQL + Redis a real FLUSHDB of our Redis database, as after a Redis restart — never brings a logged-out
session, a deleted account's tokens or a used refresh token back."""

import jwt
import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import LoginSession
from accounts.tokens import LIVE, SESSION_KEY, issue_tokens, login_session_end

pytestmark = pytest.mark.django_db


def flush_cache() -> None:
    """What a Redis restart (without persistence) leaves: an empty cache."""
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        client.flushdb()
        assert client.dbsize() == 0
    else:
        cache.clear()


def post(client, path, body=None):
    return client.post(f"/api/auth/{path}", body or {}, format="json")


def bearer(client, token):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def sign_in(api, init_data, persona) -> dict:
    response = post(api(), "init", {"initData": init_data(id=persona.user.telegram_id)})
    assert response.status_code == 200
    return response.json()


def sid_of(token: str) -> str:
    return jwt.decode(token, options={"verify_signature": False})["sid"]


def assert_refused(api, session: dict) -> None:
    me = bearer(api(), session["token"]).get("/api/auth/me")
    assert me.status_code == 401
    refresh = post(api(), "refresh", {"refreshToken": session["refreshToken"]})
    assert refresh.status_code == 401 and refresh.json()["message"] == "INVALID_REFRESH_TOKEN"


def test_a_logged_out_session_stays_refused_after_the_cache_is_flushed(api, tutor, init_data):
    session = sign_in(api, init_data, tutor)
    assert post(bearer(api(), session["token"]), "logout").status_code == 200  # bearer only, as the frontend does
    flush_cache()
    assert_refused(api, session)
    row = LoginSession.objects.get(sid=sid_of(session["token"]))
    assert row.ended_at is not None and row.end_reason == "logout"


def test_a_deleted_accounts_tokens_stay_refused_after_a_flush_and_a_restore(api, tutor, init_data):
    phone, laptop = sign_in(api, init_data, tutor), sign_in(api, init_data, tutor)
    assert post(bearer(api(), phone["token"]), "delete-account").status_code == 200
    flush_cache()
    assert_refused(api, phone)
    assert_refused(api, laptop)  # every device, not only the one that asked

    restored = post(api(), "restore-account", {"initData": init_data(id=tutor.user.telegram_id)})
    assert restored.status_code == 200
    flush_cache()
    assert_refused(api, phone)  # restoring the account does not revive the sessions its deletion ended
    assert_refused(api, laptop)
    fresh = sign_in(api, init_data, tutor)
    assert bearer(api(), fresh["token"]).get("/api/auth/me").status_code == 200


def test_a_used_refresh_token_stays_refused_after_the_cache_is_flushed(api, tutor, init_data):
    session = sign_in(api, init_data, tutor)
    rotated = post(api(), "refresh", {"refreshToken": session["refreshToken"]})
    assert rotated.status_code == 200
    flush_cache()
    replay = post(api(), "refresh", {"refreshToken": session["refreshToken"]})
    assert replay.status_code == 401 and replay.json()["message"] == "INVALID_REFRESH_TOKEN"
    assert post(api(), "refresh", {"refreshToken": rotated.json()["refreshToken"]}).status_code == 200


def test_a_live_session_keeps_working_after_the_cache_is_flushed(api, tutor, init_data):
    session = sign_in(api, init_data, tutor)
    flush_cache()
    assert bearer(api(), session["token"]).get("/api/auth/me").status_code == 200
    assert post(api(), "refresh", {"refreshToken": session["refreshToken"]}).status_code == 200


def test_a_cache_miss_costs_one_indexed_query_and_the_answer_is_then_cached(api, tutor):
    client = api(tutor)

    def me_queries() -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/auth/me").status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    warm = me_queries()  # the login primed the cache
    flush_cache()
    cold = me_queries()
    again = me_queries()
    lookups = [sql for sql in cold if "login_sessions" in sql]
    assert len(cold) == len(warm) + 1 and len(lookups) == 1
    assert '"sid" =' in lookups[0] or "sid` =" in lookups[0]  # by the unique sid index
    assert len(again) == len(warm)


def test_a_stale_live_answer_cannot_be_cached_over_a_logout(api, tutor):
    """A request that read the row just before a concurrent logout adds "live" afterwards: it must not stick."""
    client = api(tutor)
    sid = sid_of(client._credentials["HTTP_AUTHORIZATION"].split()[1])
    assert client.get("/api/auth/me").status_code == 200
    login_session_end(sid)
    cache.add(SESSION_KEY.format(sid=sid), LIVE, 60)  # the late writer of the racing request
    assert client.get("/api/auth/me").status_code == 401


def test_a_token_whose_session_row_is_gone_is_refused(api, tutor):
    client = api(tutor)
    LoginSession.objects.filter(user=tutor.user).delete()  # e.g. purged after expiry, or never recorded
    flush_cache()
    assert client.get("/api/auth/me").status_code == 401


def test_a_token_without_a_session_claim_is_refused(api, tutor):
    refresh = RefreshToken.for_user(tutor.user)
    refresh["role"], refresh["profileId"] = "teacher", str(tutor.profile.id)
    assert bearer(api(), str(refresh.access_token)).get("/api/auth/me").status_code == 401


def test_the_migration_backfills_sessions_of_tokens_issued_before_it(tutor):
    """Tokens from before LoginSession existed keep working after the deploy; logged-out ones do not."""
    from importlib import import_module

    backfill = import_module("accounts.migrations.0003_login_sessions").backfill_sessions

    def legacy(sid: str) -> RefreshToken:  # how tokens were issued before: a sid claim, no row
        token = RefreshToken.for_user(tutor.user)
        token["sid"] = sid
        OutstandingToken = apps.get_model("token_blacklist", "OutstandingToken")
        OutstandingToken.objects.filter(jti=token["jti"]).update(token=str(token))
        return token

    legacy("a" * 32)
    legacy("b" * 32).blacklist()  # logged out with its refresh token
    legacy("c" * 32)
    cache.set("jwt:revoked-sid:" + "c" * 32, 1, 60)  # logged out with the bearer only (the old cache revocation)
    backfill(apps, None)
    ended = dict(LoginSession.objects.values_list("sid", "ended_at"))
    assert ended["a" * 32] is None
    assert ended["b" * 32] is not None and ended["c" * 32] is not None


def test_staff_can_end_a_session_from_the_admin(api, tutor, client):
    from django.contrib.auth import get_user_model

    session_client = api(tutor)
    assert session_client.get("/api/auth/me").status_code == 200
    row = LoginSession.objects.get(user=tutor.user)
    staff = get_user_model().objects.create_superuser("ops@example.com", "a-long-admin-password-1")
    client.force_login(staff)
    response = client.post(
        "/admin/accounts/loginsession/", {"action": "end_sessions", "_selected_action": [row.pk]}, follow=True
    )
    assert response.status_code == 200
    assert session_client.get("/api/auth/me").status_code == 401
    assert LoginSession.objects.get(pk=row.pk).end_reason == "staff"


def test_purge_deletes_only_sessions_whose_tokens_all_expired(tutor):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from accounts.tokens import session_is_live

    live = issue_tokens(tutor.user, "teacher")
    expired = issue_tokens(tutor.user, "teacher")
    LoginSession.objects.filter(sid=sid_of(expired["token"])).update(expires_at=timezone.now() - timedelta(seconds=1))
    call_command("purge_login_sessions")
    flush_cache()
    assert list(LoginSession.objects.values_list("sid", flat=True)) == [sid_of(live["token"])]
    assert session_is_live(sid_of(live["token"])) and not session_is_live(sid_of(expired["token"]))
