"""The outbox is transactional: a change and its notifications commit together or not at all.

* A crash between commit and delivery loses nothing: a real process creates a lesson and dies at the very
  moment its transaction commits (os._exit from the first on-commit hook, so nothing meant to run "after
  commit" in that process ever runs); a worker started afterwards still delivers the student's notification
  to the (fake) Bot API, because the outbox row was written inside the lesson's own transaction.
* A receiver that fails rolls the change back, with the outbox rows already written for it."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from botapp.models import EventType, Outbox
from lessons.models import Lesson
from lessons.services.lessons import lesson_create
from tutorcal import events

from .conftest import notifications_on

BASE_DIR = Path(__file__).resolve().parents[2]
CRASHED = 17


# Runs in a fresh interpreter against the test database, as a gunicorn worker would.
CHILD = """
import os
import sys
import uuid
from datetime import timedelta

import django

django.setup()
from django.db import transaction
from django.utils import timezone

from accounts.models import TeacherProfile
from lessons.services.lessons import lesson_create

teacher = TeacherProfile.objects.get(pk=sys.argv[1])
with transaction.atomic():
    transaction.on_commit(lambda: os._exit(CRASHED))  # registered first: the process dies right at the commit
    lesson_create(
        teacher=teacher,
        start_at=timezone.now() + timedelta(days=2),
        duration_minutes=60,
        student_ids=[uuid.UUID(sys.argv[2])],
        price_rub=1500,
    )
sys.exit("the transaction did not commit")
""".replace("CRASHED", str(CRASHED))


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_process_killed_right_after_commit_loses_no_notification(worker, fake_tg, tutor, student):
    notifications_on(student)
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "tutorcal.settings"}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tutor.id), str(student.id)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert child.returncode == CRASHED, child.stderr.decode(errors="replace")[-3000:]

    lesson = Lesson.objects.get(teacher=tutor.profile)
    [row] = Outbox.objects.filter(event_type=EventType.LESSON_CREATED, recipient=student.user)
    assert (row.status, row.lesson_id) == ("pending", lesson.id)

    stats = worker().run_once(periodic=False)
    assert stats.sent == 1
    [call] = fake_tg.sent(student.user.telegram_id)
    assert call.text == row.text and "Новое занятие" in call.text
    row.refresh_from_db()
    assert row.status == "sent" and row.telegram_message_id


@pytest.mark.django_db
def test_a_failing_receiver_rolls_back_the_change_and_its_queued_notifications(tutor, student):
    notifications_on(student)

    def broken(sender, **kwargs):  # connected after botapp's receiver, which has queued its rows by now
        assert Outbox.objects.filter(event_type=EventType.LESSON_CREATED).exists()
        raise RuntimeError("receiver broke")

    events.lesson_created.connect(broken, weak=False)
    try:
        with pytest.raises(RuntimeError, match="receiver broke"):
            lesson_create(
                teacher=tutor.profile,
                start_at=timezone.now() + timedelta(days=2),
                duration_minutes=60,
                student_ids=[student.id],
            )
    finally:
        events.lesson_created.disconnect(broken)
    assert not Lesson.objects.exists() and not Outbox.objects.exists()
