"""Security of the configuration around auth: client address behind proxies (throttles), secrets in logs,
placeholder secrets in production."""

import http.server
import logging
import os
import re
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def post(client, path, body=None, **kwargs):
    return client.post(f"/api/auth/{path}", body or {}, format="json", **kwargs)


# ---- client address for throttles ------------------------------------------------------------------------


def test_a_client_cannot_dodge_the_auth_throttle_by_inventing_x_forwarded_for(api, init_data, settings):
    settings.AUTH_THROTTLE_RATE = "3/minute"
    client = api()
    codes = [
        post(client, "init", {"initData": init_data(id=7101)}, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code
        for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_behind_one_proxy_the_address_nginx_saw_is_throttled_not_what_the_client_prepended(api, init_data, settings):
    settings.AUTH_THROTTLE_RATE = "3/minute"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = api()
    # nginx appends (or overwrites with) the peer address: the last entry is the one to trust.
    codes = [
        post(
            client, "init", {"initData": init_data(id=7102)}, HTTP_X_FORWARDED_FOR=f"10.9.9.{i}, 203.0.113.7"
        ).status_code
        for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    other = post(client, "init", {"initData": init_data(id=7102)}, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.status_code == 200, "another client behind the same proxy has its own budget"


# ---- secrets never reach the logs ------------------------------------------------------------------------


@pytest.fixture
def fake_bot_api():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = b'{"ok":true,"result":true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_bot_api_calls_never_write_the_bot_token_into_the_logs(fake_bot_api, caplog):
    """httpx logs every request URL at INFO; Bot API URLs carry the bot token (…/bot<token>/sendMessage)."""
    token = "987654:SECRET-bot-token-value"
    response = httpx.post(f"{fake_bot_api}/bot{token}/sendMessage", json={"chat_id": 1, "text": "hi"})
    assert response.status_code == 200
    assert "SECRET-bot-token-value" not in caplog.text
    for name in ("httpx", "httpcore"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name


# ---- production refuses the published placeholder secrets ------------------------------------------------


def example_value(name: str) -> str:
    match = re.search(rf"^{name}=(.*)$", (ROOT / ".env.example").read_text(), re.MULTILINE)
    assert match, name
    return match.group(1)


def production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_TESTING", "DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_DEBUG="False",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        JWT_SECRET=secrets.token_urlsafe(40),
        BOT_ADMIN_SECRET=secrets.token_urlsafe(24),
        TELEGRAM_WEBHOOK_SECRET=secrets.token_urlsafe(24),
        DJANGO_ALLOWED_HOSTS="api.example.com",
    )
    env.update(extra)
    return env


def manage_check(env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("name", ["DJANGO_SECRET_KEY", "JWT_SECRET", "BOT_ADMIN_SECRET", "TELEGRAM_WEBHOOK_SECRET"])
def test_production_refuses_to_start_with_the_placeholder_secret_copied_from_env_example(name):
    result = manage_check(production_env(**{name: example_value(name)}))
    assert result.returncode != 0
    assert name in result.stderr


def test_production_starts_with_real_secrets():
    result = manage_check(production_env())
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["BOT_ADMIN_SECRET", "TELEGRAM_WEBHOOK_SECRET"])
def test_production_refuses_to_start_with_a_short_header_secret(name):
    result = manage_check(production_env(**{name: "short-guessable-secret"}))  # 22 characters
    assert result.returncode != 0
    assert f"{name} must be at least 24 characters" in result.stderr
