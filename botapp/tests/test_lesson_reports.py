"""enableLessonReports is read: the tutor's report reaches the students who keep it on (and their parents whose
relation allows it), once; a student who turned reports off gets nothing."""

import pytest

from accounts.models import StudentNotificationSettings
from botapp.models import EventType, Outbox
from lessons.tests.factories import LessonFactory

from .conftest import notifications_on

pytestmark = pytest.mark.django_db


def _report(api, tutor, lesson, text="Прошли дроби, задание 3–5"):
    return api(tutor).patch(f"/api/teachers/me/lessons/{lesson.id}", {"lessonReport": text}, format="json")


def _reports_to(user):
    return list(Outbox.objects.filter(event_type=EventType.LESSON_REPORT, recipient=user, status="pending"))


def test_a_written_report_is_queued_once_for_the_student_and_the_parent(api, tutor, student, parent):
    notifications_on(student.user, parent.user)
    lesson = LessonFactory(teacher=tutor.profile, students=[student.profile], days=-1, status="done")
    assert _report(api, tutor, lesson).status_code == 200
    assert _report(api, tutor, lesson, "другой текст").status_code == 200  # write-once: no second message
    (to_student,) = _reports_to(student.user)
    (to_parent,) = _reports_to(parent.user)
    assert "Прошли дроби" in to_student.text and "<b>Отчёт о занятии</b>" in to_student.text
    assert "Иван" in to_parent.text


def test_a_student_who_turned_reports_off_gets_none(api, tutor, student):
    notifications_on(student.user)
    StudentNotificationSettings.objects.create(student=student.profile, enable_lesson_reports=False)
    lesson = LessonFactory(teacher=tutor.profile, students=[student.profile], days=-1, status="done")
    assert _report(api, tutor, lesson).status_code == 200
    assert _reports_to(student.user) == []


def test_the_report_text_is_html_escaped(api, tutor, student):
    notifications_on(student.user)
    lesson = LessonFactory(teacher=tutor.profile, students=[student.profile], days=-1, status="done")
    assert _report(api, tutor, lesson, "<script>x</script>").status_code == 200
    (message,) = _reports_to(student.user)
    assert "<script>" not in message.text and "&lt;script&gt;" in message.text
