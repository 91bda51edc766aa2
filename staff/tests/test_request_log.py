"""The request log: what is recorded (normalised route, status, verified user, client address), what is never
stored (secrets), that it is written off the request path, retention, and /metrics access."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from staff.models import RequestLog
from staff.request_log import buffer, normalise

pytestmark = pytest.mark.django_db

SECRETS = {
    "password": "Hunter2-password-value",
    "initData": "query_id=AA&user=%7B%22id%22%3A1%7D&auth_date=1700000000&hash=abcdef0123456789",
    "code": "4821",
    "betaCode": "beta_2025_value",
    "token": "tok-value-123",
    "refreshToken": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-value",
    "resetToken": "reset-value-xyz",
    "secret": "plain-secret-value",
    "newPassword": "AnotherPass-987",
    "nested": {"clientSecret": "nested-secret-value", "list": ["eyJhbGciOiJIUzI1NiJ9.eyJ4Ijo1fQ.zz"]},
    "referralCode": "T_abcdefgh",
}


@pytest.fixture(autouse=True)
def _empty_buffer():
    buffer.items.clear()
    yield
    buffer.items.clear()


def stored() -> list[RequestLog]:
    buffer.flush()
    return list(RequestLog.objects.order_by("created_at", "id"))


def test_nothing_is_written_on_the_request_path_until_the_buffer_flushes(api, tutor):
    api(tutor).get("/api/support/my")
    assert RequestLog.objects.count() == 0 and len(buffer.items) == 1
    assert buffer.flush() == 1
    assert RequestLog.objects.count() == 1


def test_a_request_is_recorded_with_route_status_duration_and_verified_user(api, tutor):
    api(tutor).get("/api/support/my")
    [row] = stored()
    assert (row.method, row.path, row.status_code) == ("GET", "/api/support/my", 200)
    assert row.user_id == tutor.user.pk and row.user_role == "teacher"
    assert row.duration_ms >= 0 and row.client_ip == "127.0.0.1"


def test_ids_in_paths_are_replaced_by_the_route_parameter_name(api, tutor):
    api(tutor).get("/api/teachers/me/lessons/0b3e3a52-5a3a-4cbb-9c1e-0a4d8e0f0a11")
    api().get("/api/auth/nothing/T_secretcode/123")
    paths = [r.path for r in stored()]
    assert paths[0].startswith("/api/teachers/me/lessons/:") and "0b3e3a52" not in paths[0]
    assert paths[1] == "/api/auth/nothing/:x/:x"


def test_normalise_keeps_only_plain_words_of_unmatched_paths():
    assert normalise(None, "/api/join/P_abc123/x") == "/api/join/:x/x"
    assert normalise("api/teachers/me/lessons/<uuid:lesson_id>", "/whatever") == "/api/teachers/me/lessons/:lesson_id"


@pytest.mark.parametrize("url", ["/api/auth/init", "/api/support", "/api/auth/refresh", "/api/auth/join"])
def test_secrets_posted_anywhere_are_never_stored(api, url, tutor):
    api(tutor).post(url, SECRETS, format="json")
    [row] = stored()
    everything = json.dumps([row.request_body, row.response_body, row.path, row.user_agent])
    for leaked in ["Hunter2", "hash=abcdef", "4821", "beta_2025", "tok-value", "eyJhbGci", "reset-value",
                   "plain-secret", "AnotherPass", "nested-secret", "T_abcdefgh"]:  # fmt: skip
        assert leaked not in everything, leaked
    assert row.request_body  # the shape is kept, with "***"
    assert json.loads(row.request_body)["password"] == "***"


def test_a_forged_token_records_no_user(api, tutor):
    client = Client()
    client.get("/api/support/my", HTTP_AUTHORIZATION="Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.forged")
    [row] = stored()
    assert row.status_code == 401 and row.user_id is None


def test_client_address_comes_from_the_one_trusted_proxy(settings):
    client = Client()
    settings.TRUSTED_PROXIES = 0
    client.get("/api/support/my", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="10.0.0.5")
    assert [r.client_ip for r in stored()] == ["10.0.0.5"]  # no proxy configured: the header is ignored
    settings.TRUSTED_PROXIES = 1
    client.get("/api/support/my", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="127.0.0.1")
    assert [r.client_ip for r in stored()][-1] == "203.0.113.9"  # what nginx appended, not what the client sent


def test_health_admin_and_metrics_are_not_logged(api, settings):
    api().get("/api/health/live")
    api().get("/api/admin/me")
    api().get("/metrics")
    assert stored() == []


def test_error_responses_keep_their_body(api):
    api().post("/api/support/landing-message", {"name": ""}, format="json")
    [row] = stored()
    assert row.status_code == 400 and "name" in row.response_body


def test_a_full_buffer_drops_the_oldest_instead_of_growing(settings):
    from staff.request_log import Buffer

    settings.REQUEST_LOG_BUFFER_MAX = 3
    small = Buffer()
    for i in range(5):
        small.add((i,))
    assert len(small.items) == 3 and small.dropped == 2 and small.items[0] == (2,)


def test_retention_is_enforced_by_the_workers_daily_job(settings):
    settings.REQUEST_LOG_DAYS = 30
    now = timezone.now()
    old = RequestLog.objects.create(created_at=now - timedelta(days=31), method="GET", path="/x", status_code=200,
                                    duration_ms=1)  # fmt: skip
    fresh = RequestLog.objects.create(created_at=now - timedelta(days=29), method="GET", path="/x", status_code=200,
                                      duration_ms=1)  # fmt: skip
    from botapp.worker import IterationStats, Worker

    worker = Worker(send=False)
    try:
        stats = IterationStats()
        worker.run_periodic(stats)
    finally:
        worker.close()
    assert "prune_staff_logs" in stats.jobs
    assert not RequestLog.objects.filter(pk=old.pk).exists() and RequestLog.objects.filter(pk=fresh.pk).exists()


def test_prune_command_reports_counts():
    from io import StringIO

    out = StringIO()
    call_command("prune_staff_logs", stdout=out)
    assert "deleted 0 request logs" in out.getvalue()


# ---- /metrics ---------------------------------------------------------------------------------------------


def test_metrics_answer_an_internal_direct_connection():
    r = Client().get("/metrics", REMOTE_ADDR="10.1.2.3")
    assert r.status_code == 200 and b"tutorcal_outbox_messages" in r.content


def test_metrics_refuse_public_addresses_and_anything_that_came_through_a_proxy(settings):
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 403
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 403


def test_metrics_accept_the_token_and_refuse_a_wrong_one(settings):
    settings.METRICS_TOKEN = "metrics-token-for-tests-0123456789"
    ok = Client().get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}")
    assert ok.status_code == 200
    bad = Client().get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer nope")
    assert bad.status_code == 403


@pytest.mark.django_db(transaction=True)
async def test_requests_served_by_daphne_async_stack_are_recorded_too():
    from asgiref.sync import sync_to_async
    from django.db import connections
    from django.test import AsyncClient

    try:
        response = await AsyncClient().post("/api/bot/webhook", data={"update_id": 1}, content_type="application/json")
        assert response.status_code == 403  # no webhook secret: refused, and still logged
        [row] = await sync_to_async(stored)()
        assert (row.method, row.path, row.status_code) == ("POST", "/api/bot/webhook", 403)
    finally:
        await sync_to_async(connections.close_all)()  # the executor thread's connection, or the test DB stays busy


def test_metrics_count_requests_by_view_and_status(api, tutor):
    api(tutor).get("/api/support/my")
    body = Client().get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert "django_http_requests_latency_seconds_by_view_method" in body
    assert 'django_http_responses_total_by_status_total{status="200"}' in body
