import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from tutorcal import health


def test_openapi_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")
    assert "/api/auth/init" in out.read_text()


@pytest.mark.django_db
def test_health_reports_database_and_cache_round_trips(api):
    response = api().get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "connected" and body["database"]["latencyMs"] >= 0
    assert body["cache"]["status"] == "connected"
    assert body["timestamp"].endswith("Z")


@pytest.mark.django_db
def test_health_is_503_when_the_database_is_down(api, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("db down")

    monkeypatch.setattr(connection, "cursor", broken)
    response = api().get("/api/health")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["database"] == {"status": "error", "latencyMs": None}
    ready = api().get("/api/health/ready")
    assert ready.status_code == 503 and ready.json()["status"] == "not_ready"


@pytest.mark.django_db
def test_readiness_is_200_when_the_database_answers(api):
    response = api().get("/api/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "connected", "cache": "connected"}


def test_liveness_answers_without_touching_the_database(api):
    assert api().get("/api/health/live").json() == {"status": "ok"}


@pytest.mark.django_db
def test_unknown_api_path_is_a_json_404(api):
    response = api().get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"statusCode": 404, "message": "Not Found", "error": "Not Found"}


@pytest.mark.django_db
def test_issue_token_creates_user_and_prints_a_working_token(capsys, api):
    call_command("issue_token", "--telegram-id", "1", "--role", "teacher")
    token = capsys.readouterr().out.strip().splitlines()[-1]
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = client.get("/api/auth/me").json()
    assert body["roles"] == ["teacher"] and body["currentRole"] == "teacher"
    assert body["user"]["telegramId"] == 1


def test_the_json_renderer_writes_utc_millisecond_datetimes_and_lazy_strings():
    import datetime
    import json
    import uuid

    from django.utils.translation import gettext_lazy

    from tutorcal.renderers import FastJSONRenderer

    moscow = datetime.timezone(datetime.timedelta(hours=3))
    body = FastJSONRenderer().render(
        {
            "at": datetime.datetime(2025, 1, 15, 13, 0, 0, 123456, tzinfo=moscow),
            "day": datetime.date(2025, 1, 15),
            "id": uuid.UUID(int=1),
            "msg": gettext_lazy("Not found."),
            "name": "Иван",
        }
    )
    assert json.loads(body) == {
        "at": "2025-01-15T10:00:00.123Z",
        "day": "2025-01-15",
        "id": "00000000-0000-0000-0000-000000000001",
        "msg": "Not found.",
        "name": "Иван",
    }
    assert "Иван".encode() in body  # UTF-8, not \u escapes, as DRF's compact renderer


@pytest.mark.django_db
def test_health_checks_the_stores_at_most_once_per_cache_window(api, settings, django_assert_num_queries):
    health.forget()
    settings.HEALTH_CACHE_SECONDS = 60
    assert api().get("/api/health").json()["database"]["status"] == "connected"
    with django_assert_num_queries(0):
        again = api().get("/api/health")
    assert again.status_code == 200 and again.json()["status"] == "ok"
    settings.HEALTH_CACHE_SECONDS = 0
    with django_assert_num_queries(1):  # the window is over: SELECT 1 again
        api().get("/api/health")


def _wsgi_get(path: str, method: str = "GET"):
    from tutorcal.wsgi import application

    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
    }
    body = b"".join(application(environ, start_response))
    return seen["status"], seen["headers"], body


@pytest.mark.django_db(transaction=True)
def test_wsgi_answers_health_probes_before_django_with_the_views_bodies(api):
    health.forget()
    status, headers, body = _wsgi_get("/api/health/live")
    assert status == "200 OK" and json.loads(body) == api().get("/api/health/live").json()
    assert headers["Content-Type"] == "application/json" and headers["Content-Length"] == str(len(body))
    status, headers, body = _wsgi_get("/api/health")
    fast = json.loads(body)
    assert status == "200 OK" and fast["status"] == "ok"
    assert set(fast) == set(api().get("/api/health").json())
    status, _, body = _wsgi_get("/api/health", "HEAD")
    assert status == "200 OK" and body == b""


@pytest.mark.django_db(transaction=True)
def test_wsgi_health_probe_reports_a_broken_database_as_503(monkeypatch):
    health.forget()

    def broken(*args, **kwargs):
        raise RuntimeError("db down")

    monkeypatch.setattr(connection, "cursor", broken)
    status, _, body = _wsgi_get("/api/health")
    assert status == "503 Service Unavailable"
    assert json.loads(body)["database"] == {"status": "error", "latencyMs": None}


def test_wsgi_passes_every_other_request_to_django():
    status, _, body = _wsgi_get("/api/health/live/extra")
    assert status.startswith("404") and json.loads(body)["statusCode"] == 404
