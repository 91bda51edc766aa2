"""16 parallel joins for 3 free seats (PostgreSQL): exactly 3 seated, the other 13 waiting (each once, queued
under the lesson's row lock, so their ids are the order in which the joins got it)."""

import pytest

from accounts.models import TeacherStudentLink
from accounts.tests.factories import StudentProfileFactory
from lessons.models import LessonStudent, WaitlistEntry
from lessons.services.lesson_students import lesson_student_add
from lessons.tests.factories import LessonFactory
from subscriptions.tests.test_concurrency import run_parallel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_sixteen_parallel_joins_for_three_seats(tutor):
    students = StudentProfileFactory.create_batch(16)
    TeacherStudentLink.objects.bulk_create([TeacherStudentLink(teacher=tutor.profile, student=s) for s in students])
    lesson = LessonFactory(teacher=tutor.profile, days=2, capacity=3)

    def join(i):
        row = lesson_student_add(teacher=tutor.profile, lesson_id=lesson.id, student_id=students[i].id)
        return row is not None

    results = run_parallel(join, n=16)
    assert results.count(True) == 3
    assert LessonStudent.objects.filter(lesson=lesson).count() == 3
    queue = list(WaitlistEntry.objects.filter(lesson=lesson).order_by("id").values_list("student_id", flat=True))
    seated = set(LessonStudent.objects.filter(lesson=lesson).values_list("student_id", flat=True))
    assert len(queue) == 13 and not seated & set(queue)
    assert seated | set(queue) == {s.id for s in students}
