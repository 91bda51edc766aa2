"""Calendar in the bot: /calendar sends the private feed link; an import sends the tutor one summary."""

import re

from django.test import Client

from botapp import texts
from botapp.models import EventType, Outbox
from lessons.calendars.tests.test_ics_import import FIXTURE, IMPORT, WINDOW

from .conftest import message_update, notifications_on


def test_calendar_command_sends_the_tutor_a_working_feed_link(post_update, fake_tg, tutor, settings):
    settings.PUBLIC_API_URL = "https://api.example.com"
    post_update(message_update(tutor, "/calendar"))
    [call] = fake_tg.sent(tutor.user.telegram_id)
    match = re.search(r"https://api\.example\.com(/api/calendar/[A-Za-z0-9_-]+\.ics)", call.text)
    assert match, call.text
    response = Client().get(match.group(1))
    assert response.status_code == 200 and response.content.startswith(b"BEGIN:VCALENDAR")


def test_calendar_command_gives_one_link_per_role(post_update, fake_tg, tutor, settings):
    from accounts.models import StudentProfile

    StudentProfile.objects.create(user=tutor.user)
    post_update(message_update(tutor, "/calendar"))
    [text] = [c.text for c in fake_tg.sent(tutor.user.telegram_id)]
    assert "Как преподавателя:" in text and "Как ученика:" in text
    assert len(set(re.findall(r"/api/calendar/([A-Za-z0-9_-]+)\.ics", text))) == 2


def test_calendar_command_for_an_unknown_user(post_update, fake_tg, db):
    post_update(message_update(555001, "/calendar"))
    assert [c.text for c in fake_tg.sent(555001)] == [texts.UNKNOWN_USER]


def test_an_import_queues_one_summary_for_the_tutor_and_nothing_for_students(
    api, tutor, student, django_capture_on_commit_callbacks
):
    notifications_on(tutor, student)
    client = api(tutor)
    uids = [
        e["uid"]
        for e in client.post(IMPORT.replace("import", "preview"), {"content": FIXTURE, **WINDOW}, format="json").json()[
            "events"
        ]
    ]
    body = {"content": FIXTURE, **WINDOW, "events": [{"uid": u, "studentIds": [str(student.id)]} for u in uids]}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(IMPORT, body, format="json").json()["imported"] == len(uids)
    [row] = Outbox.objects.all()
    assert row.recipient_id == tutor.user.id and row.event_type == EventType.LESSON_CREATED
    assert row.text == f"📥 Импорт из файла календаря завершён — добавлено занятий: {len(uids)}, новых серий: 2."
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(IMPORT, body, format="json").json()["imported"] == 0
    assert Outbox.objects.count() == 1  # nothing changed, nothing to say
