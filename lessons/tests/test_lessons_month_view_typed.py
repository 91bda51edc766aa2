"""The month view keeps its fast path (plain `.values()` rows turned into dicts, rendered by orjson) and its
typed serializer (lessons.output.TeacherLessonOut, the schema's TeacherLesson) says the same thing: for the same
lessons the two render byte-identical JSON."""

from datetime import timedelta

import pytest
from django.db.models import Prefetch

from lessons.models import Lesson, LessonStudent
from lessons.output import TeacherLessonOut
from lessons.tests.calendar_helpers import BASE, create_lesson, utc
from lessons.tests.factories import LessonFactory, SubjectFactory
from tutorcal.renderers import FastJSONRenderer

pytestmark = pytest.mark.django_db


def _typed(teacher, conflicts) -> bytes:
    lessons = (
        Lesson.objects.filter(teacher=teacher, start_at__gte=utc(2030, 3, 1), start_at__lt=utc(2030, 4, 1))
        .select_related("subject")
        .prefetch_related(
            Prefetch(
                "lesson_students",
                queryset=LessonStudent.objects.select_related("student__user").order_by("created_at", "id"),
            )
        )
        .order_by("start_at", "id")
    )
    return FastJSONRenderer().render(TeacherLessonOut(lessons, many=True, context={"conflicts": conflicts}).data)


def test_the_month_view_fast_path_and_the_typed_serializer_render_the_same_bytes(api, tutor, student, make_student):
    other = make_student("Ольга", "Сидорова", teacher=tutor)
    other.user.username = ""  # no Telegram @username: the wire says null
    other.user.save(update_fields=["username"])
    subject = SubjectFactory(teacher=tutor.profile)
    start = utc(2030, 3, 4, 9)
    individual = LessonFactory(
        teacher=tutor.profile,
        subject=subject,
        start_at=start,
        teacher_note="принести тетрадь",
        teacher_note_updated_at=start - timedelta(days=1),
        meeting_url="https://meet.example.com/x",
        students=[student.profile],
        rows={student.profile.id: {"student_note_for_teacher": "опоздаю", "reminder_minutes_before": 30}},
    )
    group = LessonFactory(  # overlaps the individual lesson: both list the other as a conflict
        teacher=tutor.profile, start_at=start + timedelta(minutes=30), students=[student.profile, other.profile]
    )
    LessonFactory(
        teacher=tutor.profile,
        start_at=start + timedelta(days=1),
        status=Lesson.Status.CANCELLED,
        cancelled_by=Lesson.CancelledBy.TEACHER,
        rescheduled_to="четверг",
    )
    LessonFactory(
        teacher=tutor.profile,
        start_at=start - timedelta(days=2),
        status=Lesson.Status.DONE,
        lesson_report="хорошо",
        students=[other.profile],
        attendance="attended",
        payment_status="paid",
        payment_type="subscription",
        rows={other.profile.id: {"rating": 5, "paid_from_subscription": True}},
    )
    series = create_lesson(
        api(tutor),
        startAt="2030-03-06T15:00:00Z",
        studentIds=[str(student.id)],
        recurrence={"frequency": "weekly", "endDate": "2030-03-27"},
    )
    assert series["lessonsCreated"] == 4

    response = api(tutor).get(f"{BASE}/lessons", {"from": "2030-03-01", "to": "2030-03-31"})

    assert response.status_code == 200
    body = response.json()
    assert len(body) == 8
    assert {x["isGroupLesson"] for x in body} == {True, False}
    assert any(x["seriesId"] for x in body) and any(x["subject"] for x in body)
    conflicts = {individual.id: [str(group.id)], group.id: [str(individual.id)]}
    assert response.content == _typed(tutor.profile, conflicts)


def test_the_typed_serializer_would_catch_a_fast_path_that_drifted(api, tutor, student):
    LessonFactory(teacher=tutor.profile, start_at=utc(2030, 3, 4, 9), students=[student.profile])
    response = api(tutor).get(f"{BASE}/lessons", {"from": "2030-03-01", "to": "2030-03-31"})
    assert response.content == _typed(tutor.profile, {})
    # A different conflict set (or any other field) changes the bytes: the comparison is not vacuous.
    lesson_id = Lesson.objects.get(teacher=tutor.profile).id
    assert response.content != _typed(tutor.profile, {lesson_id: ["00000000-0000-0000-0000-000000000000"]})
