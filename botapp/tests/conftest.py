"""Bot test fixtures: a fake Bot API server on 127.0.0.1, update builders, a webhook poster, lessons."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from botapp import telegram_app
from botapp.models import UserNotificationSettings
from botapp.worker import Worker
from conftest import TEST_BOT_TOKEN
from lessons.models import Lesson, LessonStudent, Subject

from .fake_telegram import FakeTelegram

WEBHOOK_SECRET = "webhook-secret-for-tests"
ADMIN_SECRET = "admin-secret-for-tests"


@pytest.fixture
def fake_tg(settings):
    """The fake Bot API; settings point the bot at it; the process Application is rebuilt per test."""
    fake = FakeTelegram(TEST_BOT_TOKEN).start()
    settings.TELEGRAM_API_BASE_URL = fake.base_url
    settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.BOT_ADMIN_SECRET = ADMIN_SECRET
    settings.WEBAPP_URL = "https://app.example.com"
    telegram_app.reset_application()
    yield fake
    telegram_app.reset_application()
    fake.stop()


_update_ids = itertools.count(1000)


def message_update(user, text: str, *, first_name: str | None = None, chat_type: str = "private") -> dict:
    """A Telegram Update with a text message from `user` (a User, Persona or telegram id)."""
    tg_id, first, last, username = _tg_identity(user, first_name)
    entities = []
    if text.startswith("/"):
        entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {
        "update_id": next(_update_ids),
        "message": {
            "message_id": next(_update_ids),
            "date": int(timezone.now().timestamp()),
            "chat": {"id": tg_id, "type": chat_type, "first_name": first},
            "from": {"id": tg_id, "is_bot": False, "first_name": first, "last_name": last, "username": username},
            "text": text,
            "entities": entities,
        },
    }


def callback_update(user, data: str, *, chat_id: int | None = None, message_id: int = 77) -> dict:
    tg_id, first, last, username = _tg_identity(user, None)
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": str(next(_update_ids)),
            "from": {"id": tg_id, "is_bot": False, "first_name": first, "last_name": last, "username": username},
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(timezone.now().timestamp()),
                "chat": {"id": chat_id or tg_id, "type": "private"},
                "from": {"id": 4242, "is_bot": True, "first_name": "Bot"},
                "text": "Как прошло занятие?",
            },
        },
    }


def _tg_identity(user, first_name):
    if isinstance(user, int):
        return user, first_name or "Гость", "", "guest"
    user = getattr(user, "user", user)
    return user.telegram_id, first_name or user.first_name, user.last_name, user.username


@pytest.fixture
def post_update(fake_tg, django_capture_on_commit_callbacks):
    """post_update(update_dict, secret=WEBHOOK_SECRET) → HttpResponse from POST /api/bot/webhook.
    On-commit callbacks (domain events) run as they would after a real commit."""
    client = Client()

    def _post(update, *, secret: str | None = WEBHOOK_SECRET, content_type: str = "application/json"):
        headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret is not None else {}
        body = json.dumps(update) if not isinstance(update, str | bytes) else update
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/api/bot/webhook", data=body, content_type=content_type, **headers)

    return _post


@pytest.fixture
def make_lesson(db):
    """make_lesson(teacher, students=[...], start=…, minutes=60, subject="Математика", **fields) → Lesson."""

    def _make(teacher, students=(), *, start=None, minutes=60, subject="Математика", **fields) -> Lesson:
        subj = None
        if subject:
            subj, _ = Subject.objects.get_or_create(
                teacher=teacher.profile, name=subject, defaults={"code": subject[:10], "color_hex": "#336699"}
            )
        lesson = Lesson.objects.create(
            teacher=teacher.profile,
            subject=subj,
            start_at=start or timezone.now() + timedelta(days=1),
            duration_minutes=minutes,
            price_rub=fields.pop("price_rub", 1500),
            **fields,
        )
        for s in students:
            LessonStudent.objects.create(lesson=lesson, student=s.profile, price_rub=lesson.price_rub)
        return lesson

    return _make


def notifications_on(*personas, **flags):
    for p in personas:
        user = getattr(p, "user", p)
        UserNotificationSettings.objects.update_or_create(
            user=user, defaults={"notifications_asked": True, "notifications_enabled": True, **flags}
        )


@pytest.fixture
def worker(fake_tg):
    """A Worker against the fake Bot API: fast rate, 1 s per chat, no idle sleeps."""
    made = []

    def _make(**kwargs) -> Worker:
        kwargs.setdefault("rate", 1000)
        kwargs.setdefault("idle_sleep", 0.01)
        w = Worker(**kwargs)
        made.append(w)
        return w

    yield _make
    for w in made:
        w.close()
