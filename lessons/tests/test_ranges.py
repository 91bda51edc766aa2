"""One range rule for every lesson list: bounds in the user's own zone, a cap, and no unbounded list."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from lessons.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db


def _ids(response):
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()}


def test_teacher_per_student_list_without_bounds_is_capped_and_skips_old_history(api, tutor, student):
    now = timezone.now()
    recent = LessonFactory(teacher=tutor.profile, students=[student.profile], start_at=now - timedelta(days=10))
    ancient = LessonFactory(teacher=tutor.profile, students=[student.profile], start_at=now - timedelta(days=900))
    ids = _ids(api(tutor).get(f"/api/teachers/me/students/{student.id}/lessons"))
    assert str(recent.id) in ids
    assert str(ancient.id) not in ids


def test_teacher_per_student_list_with_only_from_reads_at_most_the_cap(api, tutor, student):
    start = datetime(2030, 1, 1, 12, tzinfo=UTC)
    inside = LessonFactory(teacher=tutor.profile, students=[student.profile], start_at=start + timedelta(days=399))
    beyond = LessonFactory(teacher=tutor.profile, students=[student.profile], start_at=start + timedelta(days=402))
    ids = _ids(api(tutor).get(f"/api/teachers/me/students/{student.id}/lessons", {"from": "2030-01-01"}))
    assert ids == {str(inside.id)} and str(beyond.id) not in ids


def test_teacher_per_student_list_refuses_a_range_over_the_cap(api, tutor, student):
    response = api(tutor).get(
        f"/api/teachers/me/students/{student.id}/lessons", {"from": "2030-01-01", "to": "2032-01-01"}
    )
    assert response.status_code == 400 and response.json()["message"] == "RANGE_TOO_LARGE"


@pytest.mark.parametrize("role", ["student", "parent"])
def test_a_naive_bound_is_wall_clock_time_in_the_users_own_zone(api, tutor, student, parent, role):
    persona = student if role == "student" else parent
    persona.user.timezone = "Asia/Vladivostok"  # UTC+10, no DST
    persona.user.save(update_fields=["timezone"])
    # 01:00 on 2 March in Vladivostok is still 1 March in UTC.
    early = LessonFactory(
        teacher=tutor.profile, students=[student.profile], start_at=datetime(2030, 3, 1, 15, tzinfo=UTC)
    )
    url = "/api/students/me/lessons" if role == "student" else f"/api/parents/me/children/{student.id}/lessons"
    ids = _ids(api(persona).get(url, {"from": "2030-03-02T00:00:00", "to": "2030-03-02T23:59:59"}))
    assert ids == {str(early.id)}
    # The same instant in explicit UTC is outside the window.
    ids = _ids(api(persona).get(url, {"from": "2030-03-02T00:00:00Z", "to": "2030-03-02T23:59:59Z"}))
    assert ids == set()


def test_teacher_naive_bounds_use_the_teachers_zone(api, tutor, student):
    tutor.user.timezone = "Asia/Vladivostok"
    tutor.user.save(update_fields=["timezone"])
    early = LessonFactory(
        teacher=tutor.profile, students=[student.profile], start_at=datetime(2030, 3, 1, 15, tzinfo=UTC)
    )
    ids = _ids(api(tutor).get("/api/teachers/me/lessons", {"from": "2030-03-02T00:00:00", "to": "2030-03-02T23:59:59"}))
    assert ids == {str(early.id)}
