"""Student API (§4): profile, teachers, lessons (range validation, privacy), own notes, cancel rules
(decisions §4), stats and notification settings."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import StudentNotificationSettings, TeacherStudentLink
from lessons.models import Lesson, LessonStudent
from lessons.tests.factories import LessonFactory, SubjectFactory
from tutorcal import events

pytestmark = pytest.mark.django_db


def _range(days_before=30, days_after=30):
    now = timezone.now()
    return {
        "from": (now - timedelta(days=days_before)).isoformat(),
        "to": (now + timedelta(days=days_after)).isoformat(),
    }


def test_me_returns_timezone_and_patch_replaces_custom_fields(api, student):
    client = api(student)
    body = client.get("/api/students/me").json()
    assert body["timezone"] == "Europe/Moscow" and body["user"]["firstName"] == "Иван"
    res = client.patch(
        "/api/students/me", {"customFields": {"goal": "ЕГЭ"}, "timezone": "Asia/Omsk", "id": "x"}, format="json"
    )
    assert (
        res.status_code == 200
        and res.json()["customFields"] == {"goal": "ЕГЭ"}
        and res.json()["timezone"] == "Asia/Omsk"
    )
    assert client.patch("/api/students/me", {"timezone": "Nowhere/City"}, format="json").status_code == 400


def test_parent_invite_link(api, student):
    body = api(student).get("/api/students/me/parent-invite-link").json()
    assert body["parentInviteCode"] == student.profile.parent_invite_code
    assert body["inviteUrl"].endswith("/invite/" + body["parentInviteCode"])


def test_teachers_list_and_detail_with_stats(api, tutor, student, stranger_tutor):
    LessonFactory(
        teacher=tutor.profile,
        students=[student.profile],
        days=-1,
        status="done",
        attendance="attended",
        subject=SubjectFactory(teacher=tutor.profile),
    )
    client = api(student)
    (item,) = client.get("/api/students/me/teachers").json()
    assert (
        item["teacherId"] == str(tutor.id)
        and item["archivedAt"] is None
        and item["subjects"][0]["name"] == "Математика"
    )
    detail = client.get(f"/api/students/me/teachers/{tutor.id}").json()
    assert detail["statsWithTeacher"]["totalLessonsAttended"] == 1
    assert client.get(f"/api/students/me/teachers/{stranger_tutor.id}").json()["message"] == "TEACHER_NOT_FOUND"
    assert client.get(f"/api/students/me/stats/teacher/{stranger_tutor.id}").status_code == 404
    assert client.get(f"/api/students/me/stats/teacher/{tutor.id}").json()["totalLessonsAttended"] == 1


def test_lessons_list_requires_a_bounded_range(api, student):
    client = api(student)
    assert client.get("/api/students/me/lessons").status_code == 400
    assert client.get("/api/students/me/lessons", {"from": "garbage", "to": "2025-01-01"}).status_code == 400
    res = client.get("/api/students/me/lessons", {"from": "2024-01-01", "to": "2025-12-31"})
    assert res.status_code == 400 and res.json()["message"] == "RANGE_TOO_LARGE"
    assert client.get("/api/students/me/lessons", {"from": "2025-02-01", "to": "2025-01-01"}).status_code == 400
    assert client.get("/api/students/me/lessons", {"from": "2025-01-01", "to": "2025-01-31"}).json() == []


def test_lessons_list_filters_and_constant_queries(api, tutor, student, django_assert_max_num_queries):
    client = api(student)
    LessonFactory(teacher=tutor.profile, students=[student.profile], days=1)
    with django_assert_max_num_queries(3):
        assert len(client.get("/api/students/me/lessons", _range()).json()) == 1
    for i in range(25):
        LessonFactory(
            teacher=tutor.profile, students=[student.profile], days=-i - 1, status="done", attendance="attended"
        )
    with django_assert_max_num_queries(3):
        assert len(client.get("/api/students/me/lessons", _range()).json()) == 26
    assert len(client.get("/api/students/me/lessons", {**_range(), "status": "planned"}).json()) == 1
    assert len(client.get("/api/students/me/lessons", {**_range(), "teacherId": str(student.id)}).json()) == 0


def test_empty_filter_values_mean_no_filter(api, tutor, student):
    LessonFactory(teacher=tutor.profile, students=[student.profile], days=1)
    res = api(student).get("/api/students/me/lessons", {**_range(), "subjectId": "", "teacherId": "", "status": ""})
    assert res.status_code == 200 and len(res.json()) == 1
    assert api(student).get("/api/students/me/lessons", {**_range(), "status": "bogus"}).status_code == 400


def test_date_only_to_includes_that_whole_day_in_the_users_zone(api, tutor, student):
    from datetime import UTC, datetime

    LessonFactory(
        teacher=tutor.profile, students=[student.profile], start_at=datetime(2025, 3, 10, 20, 0, tzinfo=UTC)
    )  # 23:00 MSK
    assert len(api(student).get("/api/students/me/lessons", {"from": "2025-03-10", "to": "2025-03-10"}).json()) == 1


def test_lesson_detail_never_exposes_other_students(api, tutor, student, make_student):
    other = make_student("Оля", "Секретова", teacher=tutor)
    lesson = LessonFactory(
        teacher=tutor.profile,
        students=[student.profile, other.profile],
        days=1,
        rows={other.profile.id: {"student_note_private": "мой секрет", "student_note_for_teacher": "для учителя"}},
    )
    body = api(student).get(f"/api/students/me/lessons/{lesson.id}").json()
    assert body["otherStudentsCount"] == 1 and body["priceRub"] == 1000 and body["teacher"]["username"]
    assert "Секретова" not in str(body) and "секрет" not in str(body) and "для учителя" not in str(body)


def test_patch_writes_notes_on_the_students_own_row_only(api, tutor, student, make_student):
    other = make_student("Оля", teacher=tutor)
    lesson = LessonFactory(teacher=tutor.profile, students=[student.profile, other.profile], days=1)
    res = api(student).patch(
        f"/api/students/me/lessons/{lesson.id}",
        {
            "studentNotePrivate": "повторить",
            "studentNoteForTeacher": "опоздаю",
            "reminderMinutesBefore": 30,
            "status": "done",
        },
        format="json",
    )
    assert res.status_code == 200
    assert res.json()["studentNotePrivate"] == "повторить" and res.json()["reminderMinutesBefore"] == 30
    mine = LessonStudent.objects.get(lesson=lesson, student=student.profile)
    theirs = LessonStudent.objects.get(lesson=lesson, student=other.profile)
    assert mine.student_note_for_teacher == "опоздаю" and theirs.student_note_private is None
    assert Lesson.objects.get(pk=lesson.pk).status == "planned"
    bad = api(student).patch(f"/api/students/me/lessons/{lesson.id}", {"reminderMinutesBefore": -5}, format="json")
    assert bad.status_code == 400


def test_cancel_of_an_individual_lesson_cancels_it_by_the_student(
    api, tutor, student, django_capture_on_commit_callbacks
):
    lesson = LessonFactory(teacher=tutor.profile, students=[student.profile], days=1)
    got = []

    def handler(sender, **kw):
        got.append(kw)

    events.lesson_cancelled.connect(handler, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            res = api(student).post(f"/api/students/me/lessons/{lesson.id}/cancel")
    finally:
        events.lesson_cancelled.disconnect(handler)
    assert res.status_code == 201 and res.json()["status"] == "cancelled" and res.json()["cancelledBy"] == "student"
    assert got == [
        {
            "signal": events.lesson_cancelled,
            "lesson_ids": [lesson.id],
            "teacher_id": tutor.id,
            "actor": "student",
            "student_ids": [student.id],
        }
    ]


def test_cancel_in_a_group_cancels_only_the_students_participation(api, tutor, student, make_student):
    other = make_student("Оля", teacher=tutor)
    lesson = LessonFactory(teacher=tutor.profile, students=[student.profile, other.profile], days=1)
    res = api(student).post(f"/api/students/me/lessons/{lesson.id}/cancel")
    assert res.status_code == 201 and res.json()["status"] == "planned" and res.json()["attendance"] == "cancelled"
    assert LessonStudent.objects.get(lesson=lesson, student=other.profile).attendance == "unknown"
    again = api(student).post(f"/api/students/me/lessons/{lesson.id}/cancel")
    assert again.status_code == 403 and again.json()["message"] == "LESSON_NOT_CANCELLABLE"
    # the last active participant cancelling cancels the lesson
    assert api(other).post(f"/api/students/me/lessons/{lesson.id}/cancel").json()["status"] == "cancelled"


@pytest.mark.parametrize("kind", ["past", "done", "cancelled"])
def test_only_future_planned_lessons_can_be_cancelled(api, tutor, student, kind):
    lesson = {
        "past": lambda: LessonFactory(teacher=tutor.profile, students=[student.profile], days=-1),
        "done": lambda: LessonFactory(teacher=tutor.profile, students=[student.profile], days=1, status="done"),
        "cancelled": lambda: LessonFactory(
            teacher=tutor.profile, students=[student.profile], days=1, status="cancelled"
        ),
    }[kind]()
    res = api(student).post(f"/api/students/me/lessons/{lesson.id}/cancel")
    assert res.status_code == 403 and res.json()["message"] == "LESSON_NOT_CANCELLABLE"


def test_stats_have_streak_and_four_achievements(api, tutor, student):
    for i in range(3):
        LessonFactory(
            teacher=tutor.profile, students=[student.profile], days=-2 * i - 1, status="done", attendance="attended"
        )
    body = api(student).get("/api/students/me/stats").json()
    assert body["total"]["totalLessonsAttended"] == 3
    assert body["streak"] == {"current": 3, "max": 3}
    assert [a["id"] for a in body["achievements"]] == ["first_lesson", "ten_lessons", "perfect_week", "streak_5"]


def test_notification_settings_default_and_patch(api, student):
    client = api(student)
    assert client.get("/api/students/me/notification-settings").json() == {
        "defaultReminderMinutesBefore": 60,
        "enableLessonReminders": True,
        "enableLessonReports": True,
    }
    res = client.patch(
        "/api/students/me/notification-settings",
        {"defaultReminderMinutesBefore": 15, "enableLessonReports": False},
        format="json",
    )
    assert res.json() == {
        "defaultReminderMinutesBefore": 15,
        "enableLessonReminders": True,
        "enableLessonReports": False,
    }
    assert StudentNotificationSettings.objects.get(student=student.profile).default_reminder_minutes_before == 15
    assert (
        client.patch(
            "/api/students/me/notification-settings", {"enableLessonReminders": "perhaps"}, format="json"
        ).status_code
        == 400
    )


def test_archived_teacher_still_listed_with_archived_at(api, tutor, student):
    TeacherStudentLink.objects.filter(student=student.profile).update(archived_at=timezone.now())
    assert api(student).get("/api/students/me/teachers").json()[0]["archivedAt"] is not None
