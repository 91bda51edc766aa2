"""Group capacity and the waitlist: over capacity students queue in order, a freed seat goes at once to the
first waiting, students can leave the queue, and bad capacities are refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import TeacherStudentLink
from accounts.tests.factories import StudentProfileFactory
from lessons.models import LessonStudent, WaitlistEntry
from lessons.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db

T = "/api/teachers/me"


def linked(tutor, n):
    students = StudentProfileFactory.create_batch(n)
    TeacherStudentLink.objects.bulk_create([TeacherStudentLink(teacher=tutor.profile, student=s) for s in students])
    return students


def create(api, tutor, students, capacity):
    start = (timezone.now() + timedelta(days=2)).isoformat()
    body = {"startAt": start, "durationMinutes": 60, "studentIds": [str(s.id) for s in students], "capacity": capacity}
    response = api(tutor).post(f"{T}/lessons", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def detail(api, tutor, lesson_id):
    return api(tutor).get(f"{T}/lessons/{lesson_id}").json()


def test_students_past_capacity_wait_in_the_order_given(api, tutor):
    students = linked(tutor, 5)
    body = create(api, tutor, students, capacity=3)
    assert (body["capacity"], body["seatsTaken"]) == (3, 3)
    assert [s["studentId"] for s in body["students"]] == [str(s.id) for s in students[:3]]
    assert body["waitlist"] == [
        {"studentId": str(students[3].id), "position": 1},
        {"studentId": str(students[4].id), "position": 2},
    ]


def test_adding_to_a_full_lesson_queues_and_a_removal_promotes_the_first_waiting(api, tutor):
    a, b, c = linked(tutor, 3)
    lesson = create(api, tutor, [a], capacity=1)
    client = api(tutor)
    assert (
        client.post(f"{T}/lessons/{lesson['id']}/students", {"studentId": str(b.id)}, format="json").status_code == 201
    )
    assert (
        client.post(f"{T}/lessons/{lesson['id']}/students", {"studentId": str(c.id)}, format="json").status_code == 201
    )
    shown = detail(api, tutor, lesson["id"])
    assert [w["studentId"] for w in shown["waitlist"]] == [str(b.id), str(c.id)]
    assert client.delete(f"{T}/lessons/{lesson['id']}/students/{a.id}").status_code == 200
    shown = detail(api, tutor, lesson["id"])
    assert [s["studentId"] for s in shown["students"]] == [str(b.id)]
    assert shown["waitlist"] == [{"studentId": str(c.id), "position": 1}]


def test_a_students_own_group_cancel_frees_the_seat_for_the_first_waiting(api, tutor, student):
    other, waiting = linked(tutor, 2)
    lesson = LessonFactory(teacher=tutor.profile, students=[student.profile, other], days=2, capacity=2)
    WaitlistEntry.objects.create(lesson=lesson, student=waiting)
    response = api(student).post(f"/api/students/me/lessons/{lesson.id}/cancel", {}, format="json")
    assert response.status_code == 201
    assert LessonStudent.objects.filter(lesson=lesson, student=waiting).exists()
    assert not WaitlistEntry.objects.filter(lesson=lesson).exists()


def test_raising_the_capacity_promotes_and_lowering_below_the_seated_is_409(api, tutor):
    students = linked(tutor, 3)
    lesson = create(api, tutor, students, capacity=1)
    client = api(tutor)
    low = client.patch(f"{T}/lessons/{lesson['id']}", {"capacity": 0}, format="json")
    assert low.status_code == 400
    response = client.patch(f"{T}/lessons/{lesson['id']}", {"capacity": 2}, format="json")
    assert response.status_code == 200
    shown = detail(api, tutor, lesson["id"])
    assert shown["seatsTaken"] == 2 and len(shown["waitlist"]) == 1
    below = client.patch(f"{T}/lessons/{lesson['id']}", {"capacity": 1}, format="json")
    assert below.status_code == 409 and below.json()["message"] == "CAPACITY_BELOW_SEATED"


def test_a_student_sees_their_place_and_can_leave_the_queue(api, tutor, student):
    first = linked(tutor, 1)
    lesson = create(api, tutor, [*first, student.profile], capacity=1)
    client = api(student)
    assert client.get("/api/students/me/waitlist").json() == [
        {"lessonId": lesson["id"], "teacherId": str(tutor.id), "startAt": lesson["startAt"], "position": 1}
    ]
    assert client.delete(f"/api/students/me/lessons/{lesson['id']}/waitlist").status_code == 200
    assert client.get("/api/students/me/waitlist").json() == []
    again = client.delete(f"/api/students/me/lessons/{lesson['id']}/waitlist")
    assert again.status_code == 404 and again.json()["message"] == "NOT_ON_WAITLIST"


def test_the_month_view_shows_queues_at_constant_queries(api, tutor, django_assert_max_num_queries):
    students = linked(tutor, 4)
    for _ in range(5):
        create(api, tutor, students, capacity=2)
    day = timezone.now().date()
    params = {"from": (day - timedelta(days=1)).isoformat(), "to": (day + timedelta(days=10)).isoformat()}
    client = api(tutor)
    with django_assert_max_num_queries(10) as ctx:
        body = client.get(f"{T}/lessons", params).json()
    assert len(body) == 5 and all(len(x["waitlist"]) == 2 for x in body)
    count = len(ctx.captured_queries)
    create(api, tutor, students, capacity=2)
    with django_assert_max_num_queries(count):
        assert len(client.get(f"{T}/lessons", params).json()) == 6
