"""Parent API (§5): children, teachers, lessons, stats and debt only for related teachers (§7.4), per-child
notification toggle over all relations (B16)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ParentStudentRelation, TeacherStudentLink
from lessons.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_tutor(make_teacher, student, parent):
    """A second teacher of the child with a relation to the parent, plus an unrelated third teacher."""
    second = make_teacher("Борис", "Второй")
    TeacherStudentLink.objects.create(teacher=second.profile, student=student.profile)
    ParentStudentRelation.objects.create(parent=parent.profile, student=student.profile, teacher=second.profile)
    return second


@pytest.fixture
def unrelated_tutor(make_teacher, student):
    third = make_teacher("Вера", "Третья")
    TeacherStudentLink.objects.create(teacher=third.profile, student=student.profile)
    LessonFactory(
        teacher=third.profile, students=[student.profile], days=-1, status="done", attendance="attended", price=5000
    )
    LessonFactory(teacher=third.profile, students=[student.profile], days=1)
    return third


def test_me_returns_timezone(api, parent):
    body = api(parent).get("/api/parents/me").json()
    assert body["timezone"] == "Europe/Moscow" and body["user"]["firstName"] == "Мария"
    res = api(parent).patch("/api/parents/me", {"customFields": {"phone": "+7"}}, format="json")
    assert res.json()["customFields"] == {"phone": "+7"}


def test_children_and_detail_cover_only_related_teachers(api, tutor, student, parent, unrelated_tutor):
    LessonFactory(
        teacher=tutor.profile, students=[student.profile], days=-2, status="done", attendance="attended", price=800
    )
    client = api(parent)
    (child,) = client.get("/api/parents/me/children").json()
    assert child["childId"] == str(student.id)
    assert [t["teacherId"] for t in child["teachers"]] == [str(tutor.id)]
    assert child["stats"]["totalLessonsAttended"] == 1
    # the list's debt counts only related teachers (the unrelated tutor's 5000 stays hidden)
    assert child["debt"] == {"hasDebt": True, "unpaidLessonsCount": 1, "unpaidAmountRub": 800}
    detail = client.get(f"/api/parents/me/children/{student.id}").json()
    assert detail["debt"] == {"hasDebt": True, "unpaidLessonsCount": 1, "unpaidAmountRub": 800}
    assert detail["stats"]["byTeacher"][0]["teacherId"] == str(tutor.id) and len(detail["stats"]["byTeacher"]) == 1
    lessons = client.get(
        f"/api/parents/me/children/{student.id}/lessons",
        {
            "from": (timezone.now() - timedelta(days=10)).isoformat(),
            "to": (timezone.now() + timedelta(days=10)).isoformat(),
        },
    ).json()
    assert len(lessons) == 1 and "studentNotePrivate" not in lessons[0] and lessons[0]["priceRub"] == 800
    debt = client.get(f"/api/parents/me/children/{student.id}/debt").json()
    assert debt["totalDebt"]["unpaidAmountRub"] == 800 and [t["teacherId"] for t in debt["byTeacher"]] == [
        str(tutor.id)
    ]
    res = client.get(f"/api/parents/me/children/{student.id}/teachers/{unrelated_tutor.id}")
    assert res.status_code == 403 and res.json()["message"] == "NOT_YOUR_CHILD"
    hidden = unrelated_tutor.profile.lessons.first()
    assert client.get(f"/api/parents/me/children/{student.id}/lessons/{hidden.id}").status_code == 404


def test_child_teachers_and_teacher_detail_with_debt(api, tutor, student, parent, second_tutor):
    LessonFactory(
        teacher=second_tutor.profile,
        students=[student.profile],
        days=-2,
        status="done",
        attendance="attended",
        price=300,
    )
    client = api(parent)
    teachers = client.get(f"/api/parents/me/children/{student.id}/teachers").json()
    assert {t["teacherId"] for t in teachers} == {str(tutor.id), str(second_tutor.id)}
    detail = client.get(f"/api/parents/me/children/{student.id}/teachers/{second_tutor.id}").json()
    assert detail["debt"]["unpaidAmountRub"] == 300 and detail["statsWithTeacher"]["totalLessonsAttended"] == 1


def test_teacher_detail_needs_a_relation_with_that_teacher_else_403_not_your_child(
    api, student, parent, stranger_tutor, unrelated_tutor
):
    client = api(parent)
    for teacher in (unrelated_tutor, stranger_tutor):  # linked to the child without a relation / not linked
        res = client.get(f"/api/parents/me/children/{student.id}/teachers/{teacher.id}")
        assert res.status_code == 403 and res.json()["message"] == "NOT_YOUR_CHILD"
    res = client.get(f"/api/parents/me/children/{student.id}/teachers/not-a-uuid")
    assert res.status_code == 404 and res.json()["message"] == "TEACHER_NOT_FOUND"


def test_empty_filter_values_mean_no_filter(api, tutor, student, parent):
    LessonFactory(teacher=tutor.profile, students=[student.profile], days=1)
    url = f"/api/parents/me/children/{student.id}/lessons"
    now = timezone.now()
    query = {"from": (now - timedelta(days=5)).isoformat(), "to": (now + timedelta(days=5)).isoformat()}
    res = api(parent).get(url, {**query, "subjectId": "", "teacherId": "", "status": ""})
    assert res.status_code == 200 and len(res.json()) == 1


def test_lesson_detail_and_stats(api, tutor, student, parent):
    lesson = LessonFactory(
        teacher=tutor.profile, students=[student.profile], days=-1, status="done", attendance="attended"
    )
    client = api(parent)
    body = client.get(f"/api/parents/me/children/{student.id}/lessons/{lesson.id}").json()
    assert body["id"] == str(lesson.id) and "rating" in body and "studentNoteForTeacher" not in body
    stats = client.get(f"/api/parents/me/children/{student.id}/stats").json()
    assert stats["total"]["totalLessonsAttended"] == 1 and stats["currentStreak"] == 1


def test_lessons_need_a_valid_range(api, student, parent):
    url = f"/api/parents/me/children/{student.id}/lessons"
    assert api(parent).get(url).status_code == 400
    assert api(parent).get(url, {"from": "2020-01-01", "to": "2022-01-01"}).json()["message"] == "RANGE_TOO_LARGE"


def test_per_child_toggle_updates_all_relations_of_that_child(api, student, parent, second_tutor):
    res = api(parent).patch(
        f"/api/parents/me/children/{student.id}/notifications", {"notificationsEnabled": False}, format="json"
    )
    assert res.json() == {"childId": str(student.id), "notificationsEnabled": False}
    assert set(
        ParentStudentRelation.objects.filter(parent=parent.profile).values_list("notifications_enabled", flat=True)
    ) == {False}


def test_notification_settings_bulk_ignores_unknown_children(api, student, parent, stranger_student, second_tutor):
    client = api(parent)
    assert client.get("/api/parents/me/notification-settings").json() == {
        "children": [{"childId": str(student.id), "childName": "Иван Иванов", "notificationsEnabled": True}]
    }
    res = client.patch(
        "/api/parents/me/notification-settings",
        {
            "children": [
                {"childId": str(student.id), "notificationsEnabled": False},
                {"childId": str(stranger_student.id), "notificationsEnabled": False},
            ]
        },
        format="json",
    )
    assert res.json()["children"][0]["notificationsEnabled"] is False
    assert not ParentStudentRelation.objects.filter(parent=parent.profile, notifications_enabled=True).exists()
    assert client.patch("/api/parents/me/notification-settings", {"children": "x"}, format="json").status_code == 400


def test_children_list_runs_constant_queries(api, tutor, parent, make_student, django_assert_max_num_queries):
    from accounts.models import ParentStudentRelation as Rel

    client = api(parent)
    with django_assert_max_num_queries(4):
        client.get("/api/parents/me/children")
    for i in range(10):
        kid = make_student(f"K{i}", teacher=tutor)
        Rel.objects.create(parent=parent.profile, student=kid.profile, teacher=tutor.profile)
        LessonFactory(teacher=tutor.profile, students=[kid.profile], days=-1, status="done", attendance="attended")
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/parents/me/children").json()) == 11
