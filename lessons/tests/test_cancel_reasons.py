"""cancelledByIllness is a real count: an individual lesson a student cancels as ill, or one the tutor cancels
with cancelledBy "illness", is counted there and nowhere else."""

import pytest

from lessons.models import Lesson
from lessons.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db


def _counts(client, student) -> tuple[int, int, int]:
    """(illness, student, teacher) cancellations on the tutor's card of the student."""
    response = client.get(f"/api/teachers/me/students/{student.id}")
    assert response.status_code == 200, response.json()
    stats = response.json()["stats"]
    return stats["cancelledByIllness"], stats["cancelledByStudent"], stats["cancelledByTeacher"]


def test_a_student_cancel_for_illness_is_counted_as_illness(api, tutor, student):
    lesson = LessonFactory(teacher=tutor.profile, students=[student.profile], days=2)
    response = api(student).post(f"/api/students/me/lessons/{lesson.id}/cancel", {"reason": "illness"}, format="json")
    assert response.status_code == 201, response.json()
    assert Lesson.objects.get(id=lesson.id).cancelled_by == "illness"
    assert _counts(api(tutor), student) == (1, 0, 0)


def test_a_tutor_can_record_illness_and_it_is_not_counted_as_the_tutors_cancel(api, tutor, student):
    lesson = LessonFactory(teacher=tutor.profile, students=[student.profile], days=2)
    response = api(tutor).patch(
        f"/api/teachers/me/lessons/{lesson.id}", {"status": "cancelled", "cancelledBy": "illness"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert _counts(api(tutor), student) == (1, 0, 0)


def test_an_unknown_cancel_reason_is_a_400(api, tutor, student):
    lesson = LessonFactory(teacher=tutor.profile, students=[student.profile], days=2)
    response = api(student).post(f"/api/students/me/lessons/{lesson.id}/cancel", {"reason": "bored"}, format="json")
    assert response.status_code == 400
    assert Lesson.objects.get(id=lesson.id).status == "planned"
