"""Hostile client input found by probing: each is a clear 4xx, never a 500, and nothing is written.
(PostgreSQL refuses U+0000 in text/jsonb; extreme years overflow date arithmetic.)"""

import pytest

from accounts.models import StudentProfile, TeacherStudentLink
from lessons.models import Lesson

pytestmark = pytest.mark.django_db

NUL_BODIES = [
    ("tutor", "patch", "/api/teachers/me/students/{student}", {"customFields": {"a": "x\u0000y"}}),
    ("student", "patch", "/api/students/me", {"customFields": {"k\u0000": "v"}}),
    ("parent", "patch", "/api/parents/me", {"customFields": {"deep": ["ok", "\u0000"]}}),
    (
        "tutor",
        "post",
        "/api/teachers/me/lessons",
        {"startAt": "2030-01-01T10:00:00Z", "durationMinutes": 60, "teacherNote": "n\u0000"},
    ),
]


@pytest.mark.parametrize("who,method,path,body", NUL_BODIES)
def test_a_nul_character_anywhere_in_a_json_body_is_a_400(api, tutor, student, parent, who, method, path, body):
    persona = {"tutor": tutor, "student": student, "parent": parent}[who]
    response = getattr(api(persona), method)(path.format(student=student.profile.id), body, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == "NUL_CHARACTER_NOT_ALLOWED"
    assert StudentProfile.objects.get(pk=student.profile.pk).custom_fields is None
    assert TeacherStudentLink.objects.get(teacher=tutor.profile).custom_fields is None
    assert not Lesson.objects.exists()


@pytest.mark.parametrize(
    "start",
    ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59Z", "10000-01-01T00:00:00Z"],
)
def test_a_lesson_far_outside_the_supported_years_is_a_400(api, tutor, start):
    response = api(tutor).post("/api/teachers/me/lessons", {"startAt": start, "durationMinutes": 60}, format="json")
    assert response.status_code == 400
    assert any("startAt" in m for m in response.json()["message"])
    assert not Lesson.objects.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1969-12-31", "2101-01-01"])
def test_list_ranges_at_the_edges_of_the_calendar_are_a_400_for_every_role(api, tutor, student, parent, day):
    teacher = api(tutor).get("/api/teachers/me/lessons", {"from": day, "to": day})
    assert teacher.status_code == 400 and teacher.json()["message"] == "INVALID_FROM_DATE"
    for response in (
        api(student).get("/api/students/me/lessons", {"from": day, "to": day}),
        api(parent).get(f"/api/parents/me/children/{student.profile.id}/lessons", {"from": day, "to": day}),
    ):
        assert response.status_code == 400, response.json()


def test_a_series_end_date_in_year_one_is_a_400(api, tutor):
    body = {
        "startAt": "2030-01-07T10:00:00Z",
        "durationMinutes": 60,
        "recurrence": {"frequency": "weekly", "endDate": "0001-01-01"},
    }
    assert api(tutor).post("/api/teachers/me/lessons", body, format="json").status_code == 400
    assert not Lesson.objects.exists()


def test_dates_inside_the_supported_years_still_work(api, tutor):
    response = api(tutor).get("/api/teachers/me/lessons", {"from": "2100-12-01", "to": "2100-12-31"})
    assert response.status_code == 200 and response.json() == []


@pytest.mark.parametrize("kind", [{}, [], 1, None, True])
def test_a_subscription_type_of_the_wrong_json_type_is_a_400(api, tutor, student, kind):
    from subscriptions.models import Subscription

    body = {"type": kind, "totalLessons": 0, "expiresAt": "2030-01-01T00:00:00Z"}
    response = api(tutor).post(f"/api/teachers/me/students/{student.profile.id}/subscription", body, format="json")
    assert response.status_code == 400
    assert not Subscription.objects.exists()
