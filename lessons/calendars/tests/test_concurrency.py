"""Two imports of the same calendar at the same moment (double tap, two devices) never duplicate lessons."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from accounts.models import TeacherProfile
from lessons.calendars import importer
from lessons.models import Lesson, LessonSeries

from .test_ics_import import FIXTURE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_of_one_calendar_create_each_lesson_once(tutor):
    start, end = datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 6, 30, tzinfo=UTC)
    parsed = importer.parse_ics(FIXTURE.encode(), start=start, end=end, tz="Europe/Moscow")
    requests = [{"uid": e.uid, "auto_create_subject": True} for e in parsed.events]
    barrier = threading.Barrier(3)
    results, errors = [], []

    def run():
        try:
            teacher = TeacherProfile.objects.select_related("user").get(id=tutor.profile.id)
            barrier.wait()
            results.append(importer.import_events(teacher=teacher, parsed=parsed, requests=requests, source="ics"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(r.imported for r in results) == [0, 0, len(parsed.events)]
    assert Lesson.objects.count() == len(parsed.events)
    assert LessonSeries.objects.count() == 2
