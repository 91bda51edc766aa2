"""The MAX bot against a fake MAX Bot API on 127.0.0.1: the webhook secret, /start and /help with the open-app
button, notifications to users who have only MAX, retries, and `manage.py set_max_webhook`."""

import io

import pytest
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from botapp.models import EventType, Outbox
from botapp.services.outbox import Message, outbox_put
from botapp.worker import Worker

from .fake_max import FakeMax

pytestmark = pytest.mark.django_db
SECRET = "max-webhook-secret-for-tests-0123456789"
TOKEN = "max-bot-token-for-tests-only"


@pytest.fixture
def fake_max(settings):
    fake = FakeMax().start()
    settings.MAX_BOT_TOKEN = TOKEN
    settings.MAX_WEBHOOK_SECRET = SECRET
    settings.MAX_BOT_USERNAME = "tutorcal_max_bot"
    settings.MAX_API_BASE_URL = fake.base_url
    yield fake
    fake.stop()


def webhook(api, update, secret=SECRET):
    headers = {"HTTP_X_MAX_BOT_API_SECRET": secret} if secret is not None else {}
    return api().post("/api/max-bot/webhook", update, format="json", **headers)


def deliver() -> None:
    worker = Worker(send=False, chat_interval=0)
    try:
        worker.run_once(periodic=False)
    finally:
        worker.close()


def start_update(text="/start", chat_id=555001, user_id=777001, name="Вера"):
    return {
        "update_type": "message_created",
        "timestamp": 1700000000000,
        "message": {
            "sender": {"user_id": user_id, "first_name": name, "name": name},
            "recipient": {"chat_id": chat_id, "chat_type": "dialog"},
            "body": {"mid": f"mid.{text}.{chat_id}", "text": text},
        },
    }


def test_a_forged_update_is_refused_and_answers_nothing(api, fake_max):
    for secret in (None, "", "wrong-secret", SECRET[:-1]):
        response = webhook(api, start_update(), secret=secret)
        assert response.status_code == 403 and response.json()["message"] == "INVALID_WEBHOOK_SECRET"
    deliver()
    assert not Outbox.objects.exists() and fake_max.messages() == []


def test_the_webhook_is_refused_when_max_is_off(api, fake_max, settings):
    settings.MAX_BOT_TOKEN = ""
    assert webhook(api, start_update()).status_code == 403


def test_start_is_answered_through_max_with_an_open_app_button(api, fake_max):
    response = webhook(api, start_update())
    assert response.status_code == 200 and response.json() == {"ok": True, "handled": True}
    deliver()
    [call] = fake_max.messages()
    assert call.authorization == TOKEN
    assert call.query == {"chat_id": "555001"}
    assert "Вера" in call.body["text"] and "приложение" in call.body["text"]
    [keyboard] = call.body["attachments"]
    assert keyboard["type"] == "inline_keyboard"
    assert keyboard["payload"]["buttons"] == [
        [{"type": "open_app", "text": "Открыть приложение", "web_app": "tutorcal_max_bot"}]
    ]
    assert Outbox.objects.get().status == Outbox.Status.SENT


def test_a_repeated_update_is_answered_once(api, fake_max):
    webhook(api, start_update())
    webhook(api, start_update())
    deliver()
    assert len(fake_max.messages()) == 1


def test_help_is_answered_and_other_text_is_ignored(api, fake_max):
    assert webhook(api, start_update("/help")).json()["handled"] is True
    assert webhook(api, start_update("привет")).json()["handled"] is False
    assert webhook(api, {"update_type": "message_created"}).status_code == 200
    assert webhook(api, ["not", "an", "update"]).status_code == 200
    deliver()
    [call] = fake_max.messages()
    assert "Откройте приложение" in call.body["text"]


def test_without_a_bot_name_the_button_is_a_link_to_the_web_app(api, fake_max, settings):
    settings.MAX_BOT_USERNAME = ""
    webhook(api, start_update())
    deliver()
    button = fake_max.messages()[0].body["attachments"][0]["payload"]["buttons"][0][0]
    assert button == {"type": "link", "text": "Открыть приложение", "url": settings.WEBAPP_URL}


def test_a_max_only_user_gets_notifications_through_max(fake_max):
    max_only = UserFactory(telegram_id=None, max_id=880011)
    both = UserFactory(max_id=880012)  # has Telegram too: stays on Telegram
    messages = [
        Message(event_type=EventType.LESSON_CREATED, recipient=user, key=f"k{user.pk}", text="<b>Новое занятие</b>")
        for user in (max_only, both)
    ]
    from botapp.models import UserNotificationSettings

    for user in (max_only, both):
        UserNotificationSettings.objects.create(user=user, notifications_enabled=True, notifications_asked=True)
    outbox_put(messages)
    rows = {r.recipient_id: r for r in Outbox.objects.all()}
    assert rows[max_only.pk].channel == "max" and rows[max_only.pk].address == "880011"
    assert rows[both.pk].channel == "telegram" and rows[both.pk].chat_id == both.telegram_id
    deliver()  # no BOT_TOKEN in this test: only the MAX row goes
    [call] = fake_max.messages()
    assert call.query == {"user_id": "880011"} and call.body["text"] == "<b>Новое занятие</b>"
    assert call.body["format"] == "html"
    assert Outbox.objects.get(recipient=max_only).status == Outbox.Status.SENT
    assert Outbox.objects.get(recipient=both).status == Outbox.Status.PENDING


def test_max_server_errors_are_retried_and_a_refusal_fails_the_row(api, fake_max):
    webhook(api, start_update())
    fake_max.failures = [502]
    deliver()
    row = Outbox.objects.get()
    assert row.status == Outbox.Status.PENDING and row.attempts == 1 and "502" in row.last_error
    Outbox.objects.update(next_attempt_at=row.created_at)
    fake_max.failures = [403]
    deliver()
    row.refresh_from_db()
    assert row.status == Outbox.Status.FAILED and "403" in row.last_error


def test_set_max_webhook_subscribes_with_the_secret(fake_max):
    out = io.StringIO()
    call_command("set_max_webhook", "--url", "https://api.example.com/api/max-bot/webhook", stdout=out)
    [call] = [c for c in fake_max.calls if c.path == "/subscriptions"]
    assert call.method == "POST" and call.authorization == TOKEN
    assert call.body == {
        "url": "https://api.example.com/api/max-bot/webhook",
        "update_types": ["message_created", "bot_started"],
        "secret": SECRET,
    }
    assert "webhook set" in out.getvalue()


def test_set_max_webhook_refuses_without_a_token(settings):
    from django.core.management.base import CommandError

    settings.MAX_BOT_TOKEN = ""
    with pytest.raises(CommandError, match="MAX_BOT_TOKEN"):
        call_command("set_max_webhook", "--url", "https://x.example/api/max-bot/webhook")
