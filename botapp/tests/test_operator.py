"""Operator endpoints (X-Admin-Secret == BOT_ADMIN_SECRET) and the set_telegram_webhook command."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from .conftest import ADMIN_SECRET, WEBHOOK_SECRET

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("post", "/api/bot/set-webhook", {"url": "https://api.example.com/api/bot/webhook"}),
    ("get", "/api/bot/webhook-info", None),
    ("post", "/api/bot/delete-webhook", None),
    ("post", "/api/bot/test-send", {"telegramId": 1, "text": "hi"}),
]


def admin_call(api, method, path, body=None, secret=ADMIN_SECRET):
    client = api()
    headers = {"HTTP_X_ADMIN_SECRET": secret} if secret is not None else {}
    return getattr(client, method)(path, body, format="json", **headers)


@pytest.mark.parametrize("method, path, body", ENDPOINTS)
@pytest.mark.parametrize("secret", [None, "", "wrong", "123456:TEST-TOKEN-for-tests-only"])
def test_operator_endpoints_need_the_admin_secret_never_the_bot_token(api, fake_tg, method, path, body, secret):
    response = admin_call(api, method, path, body, secret=secret)
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid admin secret"
    assert fake_tg.methods() == []


@pytest.mark.parametrize("method, path, body", ENDPOINTS)
def test_operator_endpoints_are_closed_when_no_admin_secret_is_configured(api, fake_tg, settings, method, path, body):
    settings.BOT_ADMIN_SECRET = ""
    assert admin_call(api, method, path, body, secret="").status_code == 401


def test_set_webhook_registers_the_secret_allowed_updates_and_commands(api, fake_tg):
    response = admin_call(
        api,
        "post",
        "/api/bot/set-webhook",
        {"url": "https://api.example.com/api/bot/webhook", "dropPendingUpdates": True},
    )
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "url": "https://api.example.com/api/bot/webhook",
        "message": "Webhook set",
    }
    [call] = fake_tg.methods("setWebhook")
    assert call.params["secret_token"] == WEBHOOK_SECRET
    assert sorted(json.loads(call.params["allowed_updates"])) == ["callback_query", "message"]
    assert call.params["drop_pending_updates"] in ("true", "True")
    [commands] = fake_tg.methods("setMyCommands")
    assert "debts" in commands.params["commands"] and "today" in commands.params["commands"]
    [menu] = fake_tg.methods("setChatMenuButton")
    assert json.loads(menu.params["menu_button"])["web_app"]["url"] == "https://app.example.com"


@pytest.mark.parametrize("body", [{}, {"url": "http://insecure.example.com/hook"}, {"url": "not a url"}])
def test_set_webhook_validates_the_url(api, fake_tg, body):
    assert admin_call(api, "post", "/api/bot/set-webhook", body).status_code == 400
    assert fake_tg.methods("setWebhook") == []


def test_webhook_info_and_delete(api, fake_tg):
    admin_call(api, "post", "/api/bot/set-webhook", {"url": "https://api.example.com/api/bot/webhook"})
    info = admin_call(api, "get", "/api/bot/webhook-info").json()["info"]
    assert info["url"] == "https://api.example.com/api/bot/webhook"
    assert admin_call(api, "post", "/api/bot/delete-webhook").json() == {"success": True}
    assert admin_call(api, "get", "/api/bot/webhook-info").json()["info"]["url"] == ""


def test_a_telegram_error_is_a_502_not_a_500_and_keeps_telegrams_details_out_of_the_response(api, fake_tg):
    fake_tg.fail(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook", method="setWebhook")
    response = admin_call(api, "post", "/api/bot/set-webhook", {"url": "https://api.example.com/api/bot/webhook"})
    assert response.status_code == 502
    assert response.json()["message"] == "TELEGRAM_ERROR"
    assert "HTTPS url" not in response.content.decode()


def test_test_send_sends_html_with_an_optional_app_button(api, fake_tg):
    response = admin_call(
        api, "post", "/api/bot/test-send", {"telegramId": 31337, "text": "<b>Тест</b>", "buttonText": "Открыть"}
    )
    assert response.json() == {"success": True, "telegramId": 31337, "message": "Message sent"}
    [call] = fake_tg.sent(31337)
    assert call.text == "<b>Тест</b>" and call.reply_markup["inline_keyboard"][0][0]["text"] == "Открыть"


def test_test_send_reports_a_failed_send(api, fake_tg):
    fake_tg.fail(403, "Forbidden: bot was blocked by the user")
    response = admin_call(api, "post", "/api/bot/test-send", {"telegramId": 5, "text": "x"})
    assert response.status_code == 200 and response.json()["success"] is False


def test_test_send_validates_its_body(api, fake_tg):
    assert admin_call(api, "post", "/api/bot/test-send", {"telegramId": "abc", "text": "x"}).status_code == 400
    assert admin_call(api, "post", "/api/bot/test-send", {"telegramId": 1, "text": "x" * 5000}).status_code == 400


@pytest.mark.parametrize("telegram_id", ["1.5", "1e20", "18446744073709551616", "-1", "0", "1e400"])
def test_a_float_or_out_of_range_telegram_id_is_a_400(api, fake_tg, telegram_id):
    response = api().generic(
        "POST",
        "/api/bot/test-send",
        f'{{"telegramId": {telegram_id}, "text": "x"}}',
        content_type="application/json",
        HTTP_X_ADMIN_SECRET=ADMIN_SECRET,
    )
    assert response.status_code == 400, response.content
    assert fake_tg.sent() == []


def test_operator_endpoints_answer_503_when_the_bot_is_disabled(api, fake_tg, settings):
    settings.BOT_TOKEN = ""
    assert admin_call(api, "get", "/api/bot/webhook-info").status_code == 503


def test_the_set_telegram_webhook_command(fake_tg):
    out = StringIO()
    call_command("set_telegram_webhook", "--url", "https://api.example.com/api/bot/webhook", stdout=out)
    assert "Webhook set" in out.getvalue()
    assert fake_tg.methods("setWebhook")[0].params["secret_token"] == WEBHOOK_SECRET
    with pytest.raises(CommandError):
        call_command("set_telegram_webhook", "--url", "http://plain.example.com/")


def test_guessing_the_admin_secret_is_throttled_per_client_address(api, fake_tg, settings):
    settings.AUTH_THROTTLE_RATE = "3/minute"
    codes = [admin_call(api, "get", "/api/bot/webhook-info", secret=f"guess-{i}").status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]
    assert admin_call(api, "get", "/api/bot/webhook-info").status_code == 429  # even the right one, for a while
