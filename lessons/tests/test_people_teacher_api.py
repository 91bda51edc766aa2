"""Teacher API, people part: profile, invite link, students (cards, details, archive/restore), parents,
per-student lessons (B2), debt and stats."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Invitation, ParentStudentRelation, TeacherStudentLink
from lessons.models import Lesson, LessonSeries, LessonStudent, SeriesStudent
from lessons.tests.factories import LessonFactory, SubjectFactory
from subscriptions.models import Subscription
from tutorcal import events

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured():
    """Domain events sent during the test: [(signal name, kwargs)] (wrap requests in on-commit capture)."""
    got = []
    names = {
        events.student_archived: "student_archived",
        events.student_restored: "student_restored",
        events.lesson_updated: "lesson_updated",
        events.lesson_deleted: "lesson_deleted",
        events.lesson_cancelled: "lesson_cancelled",
    }
    handlers = []
    for signal, name in names.items():

        def handler(sender, _name=name, **kwargs):
            got.append((_name, kwargs))

        signal.connect(handler, weak=False)
        handlers.append((signal, handler))
    yield got
    for signal, handler in handlers:
        signal.disconnect(handler)


def test_teacher_profile_returns_timezone_and_patch_whitelists_fields(api, tutor):
    client = api(tutor)
    body = client.get("/api/teachers/me").json()
    assert body["timezone"] == "Europe/Moscow" and body["referralCode"].startswith("T_")
    assert body["inviteUrl"].endswith("/invite/" + body["referralCode"])
    res = client.patch(
        "/api/teachers/me",
        {
            "displayName": "Анна П.",
            "bio": "Математика",
            "city": "Казань",
            "timezone": "Asia/Yekaterinburg",
            "referralCode": "T_hacked",
            "userId": "x",
        },
        format="json",
    )
    assert res.status_code == 200
    assert res.json()["displayName"] == "Анна П." and res.json()["timezone"] == "Asia/Yekaterinburg"
    assert res.json()["city"] == "Казань" and res.json()["referralCode"] == body["referralCode"]


def test_teacher_profile_patch_accepts_null_bio_and_city_as_clearing_them(api, tutor):
    client = api(tutor)
    client.patch("/api/teachers/me", {"bio": "Математика", "city": "Омск"}, format="json")
    res = client.patch("/api/teachers/me", {"bio": None, "city": None}, format="json")
    assert res.status_code == 200 and res.json()["bio"] == "" and res.json()["city"] == ""
    assert client.patch("/api/teachers/me", {"displayName": None}, format="json").status_code == 400


def test_teacher_profile_rejects_an_unknown_time_zone(api, tutor):
    res = api(tutor).patch("/api/teachers/me", {"timezone": "Mars/Olympus"}, format="json")
    assert res.status_code == 400
    assert "timezone" in res.json()["message"][0]


def test_invite_link_has_invite_and_fallback_urls(api, tutor):
    body = api(tutor).get("/api/teachers/me/invite-link").json()
    assert body["inviteUrl"].endswith(f"/invite/{body['referralCode']}")
    assert body["fallbackUrl"].endswith(f"?start={body['referralCode']}")


def test_student_cards_have_stats_debt_subjects_and_archived_count(api, tutor, student, make_student):
    archived = make_student("Архип", teacher=tutor)
    TeacherStudentLink.objects.filter(student=archived.profile).update(archived_at=timezone.now())
    math = SubjectFactory(teacher=tutor.profile)
    LessonFactory(
        teacher=tutor.profile,
        students=[student.profile],
        days=-2,
        status="done",
        attendance="attended",
        subject=math,
        price=1200,
    )
    LessonFactory(
        teacher=tutor.profile, students=[student.profile], days=-1, status="done", attendance="missed", subject=math
    )
    body = api(tutor).get("/api/teachers/me/students").json()
    assert body["archivedCount"] == 1
    (card,) = body["students"]
    assert card["studentId"] == str(student.id)
    assert card["studentUser"]["firstName"] == "Иван"
    assert card["subjects"] == [{"subjectId": str(math.id), "name": "Математика", "colorHex": "#4CAF50"}]
    assert card["stats"]["totalLessonsPlanned"] == 2 and card["stats"]["attendanceRate"] == 50
    assert card["debt"] == {"hasDebt": True, "unpaidLessonsCount": 1, "unpaidAmountRub": 1200}


def _seed_students(tutor, make_student, n, name="Математика"):
    subject = SubjectFactory(teacher=tutor.profile, name=name)
    for i in range(n):
        st = make_student(f"S{i}", teacher=tutor)
        LessonFactory(
            teacher=tutor.profile, students=[st.profile], days=-3, status="done", attendance="attended", subject=subject
        )
        LessonFactory(teacher=tutor.profile, students=[st.profile], days=3, subject=subject)


def test_student_cards_run_a_constant_number_of_queries(api, tutor, make_student, django_assert_max_num_queries):
    client = api(tutor)
    _seed_students(tutor, make_student, 1)
    # auth, the view stamp, links, archived count, the pairs' versions and stored totals, the aggregate of the
    # changed pairs and their upsert, (tests: the full aggregate it is checked against), packages, and the moment
    # the cards change with time alone (the cache's lifetime)
    with django_assert_max_num_queries(11):
        assert len(client.get("/api/teachers/me/students").json()["students"]) == 1
    _seed_students(tutor, make_student, 30, name="Физика")
    with django_assert_max_num_queries(11):
        assert len(client.get("/api/teachers/me/students").json()["students"]) == 31


def test_student_details_fall_back_to_own_custom_fields_and_patch_replaces_the_link_map(api, tutor, student):
    student.profile.custom_fields = {"school": "№5"}
    student.profile.save()
    client = api(tutor)
    body = client.get(f"/api/teachers/me/students/{student.id}").json()
    assert body["customFields"] == {"school": "№5"}
    assert body["parentInvite"] is None and body["subscription"] is None
    res = client.patch(f"/api/teachers/me/students/{student.id}", {"customFields": {"level": "B1"}}, format="json")
    assert res.status_code == 200 and res.json()["customFields"] == {"level": "B1"}
    assert (
        client.patch(f"/api/teachers/me/students/{student.id}", {"customFields": [1]}, format="json").status_code == 400
    )
    assert client.patch(f"/api/teachers/me/students/{student.id}", {}, format="json").status_code == 400


def test_student_details_include_the_active_subscription(api, tutor, student):
    Subscription.objects.create(teacher=tutor.profile, student=student.profile, type="lessons", total_lessons=8)
    sub = api(tutor).get(f"/api/teachers/me/students/{student.id}").json()["subscription"]
    assert sub["totalLessons"] == 8 and sub["remainingLessons"] == 8 and sub["isActive"] is True


def test_archive_keeps_history_and_detaches_only_future_planned_lessons(
    api, tutor, student, make_student, captured, django_capture_on_commit_callbacks
):
    other = make_student("Оля", teacher=tutor)
    past_done = LessonFactory(
        teacher=tutor.profile, students=[student.profile], days=-3, status="done", attendance="attended"
    )
    past_planned = LessonFactory(teacher=tutor.profile, students=[student.profile], days=-1)
    future_single = LessonFactory(teacher=tutor.profile, students=[student.profile], days=2)
    future_group = LessonFactory(teacher=tutor.profile, students=[student.profile, other.profile], days=3)
    future_cancelled = LessonFactory(
        teacher=tutor.profile, students=[student.profile], days=4, status="cancelled", cancelled_by="teacher"
    )
    series = LessonSeries.objects.create(
        teacher=tutor.profile, frequency="weekly", day_of_week=1, time_of_day="10:00", duration_minutes=60
    )
    SeriesStudent.objects.create(series=series, student=student.profile)

    with django_capture_on_commit_callbacks(execute=True):
        res = api(tutor).delete(f"/api/teachers/me/students/{student.id}", format="json")
    assert res.status_code == 200
    body = res.json()
    assert body["success"] is True and body["action"] == "archived" and body["restoreUntil"].endswith("Z")

    on = set(LessonStudent.objects.filter(student=student.profile).values_list("lesson_id", flat=True))
    assert on == {past_done.id, past_planned.id, future_cancelled.id}
    assert Lesson.objects.filter(id=future_single.id).exists()  # kept without students (no deleteIndividualLessons)
    assert list(future_group.lesson_students.values_list("student_id", flat=True)) == [other.id]
    assert not SeriesStudent.objects.filter(student=student.profile).exists()
    assert [name for name, _ in captured].count("student_archived") == 1
    assert ("lesson_updated",) == tuple(n for n, kw in captured if n == "lesson_updated")
    listing = api(tutor).get("/api/teachers/me/students").json()
    assert [c["studentId"] for c in listing["students"]] == [str(other.id)] and listing["archivedCount"] == 1
    # the debt history still counts in details (archived links stay readable)
    assert api(tutor).get(f"/api/teachers/me/students/{student.id}").json()["debt"]["unpaidLessonsCount"] == 1


def test_archive_with_delete_individual_lessons_deletes_only_future_solo_lessons(
    api, tutor, student, make_student, captured, django_capture_on_commit_callbacks
):
    other = make_student("Оля", teacher=tutor)
    past = LessonFactory(
        teacher=tutor.profile, students=[student.profile], days=-3, status="done", attendance="attended"
    )
    solo = LessonFactory(teacher=tutor.profile, students=[student.profile], days=2)
    group = LessonFactory(teacher=tutor.profile, students=[student.profile, other.profile], days=3)
    with django_capture_on_commit_callbacks(execute=True):
        res = api(tutor).delete(
            f"/api/teachers/me/students/{student.id}", {"deleteIndividualLessons": True}, format="json"
        )
    assert res.status_code == 200
    assert not Lesson.objects.filter(id=solo.id).exists()
    assert Lesson.objects.filter(id__in=[past.id, group.id]).count() == 2
    deleted = [kw for name, kw in captured if name == "lesson_deleted"]
    assert deleted and deleted[0]["lesson_ids"] == [solo.id] and deleted[0]["actor"] == "teacher"


def test_archive_refunds_a_consumed_subscription_lesson_of_a_removed_row(api, tutor, student):
    sub = Subscription.objects.create(
        teacher=tutor.profile, student=student.profile, type="lessons", total_lessons=5, used_lessons=1
    )
    lesson = LessonFactory(teacher=tutor.profile, students=[student.profile], days=2)
    LessonStudent.objects.filter(lesson=lesson).update(paid_from_subscription=True, subscription=sub)
    assert api(tutor).delete(f"/api/teachers/me/students/{student.id}").status_code == 200
    sub.refresh_from_db()
    assert sub.used_lessons == 0


def test_restore_brings_back_the_link_and_the_parent_relations(
    api, tutor, student, parent, captured, django_capture_on_commit_callbacks
):
    client = api(tutor)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/teachers/me/students/{student.id}").status_code == 200
    assert api(parent).get("/api/parents/me/children").json() == []
    assert client.get(f"/api/teachers/me/students/{student.id}/parents").json()[0]["parentId"] == str(parent.id)
    with django_capture_on_commit_callbacks(execute=True):
        res = client.post(f"/api/teachers/me/students/{student.id}/restore")
    assert res.status_code == 201 and res.json() == {"success": True}  # every POST is 201, as in the reference
    assert [c["childId"] for c in api(parent).get("/api/parents/me/children").json()] == [str(student.id)]
    assert client.get("/api/teachers/me/students").json()["archivedCount"] == 0
    assert [n for n, _ in captured if n.startswith("student_")] == ["student_archived", "student_restored"]


def test_restore_errors_for_active_expired_and_unknown_links(api, tutor, student, stranger_student):
    client = api(tutor)
    assert client.post(f"/api/teachers/me/students/{student.id}/restore").json()["message"] == (
        "ARCHIVED_STUDENT_NOT_FOUND"
    )
    TeacherStudentLink.objects.filter(student=student.profile).update(archived_at=timezone.now() - timedelta(days=8))
    res = client.post(f"/api/teachers/me/students/{student.id}/restore")
    assert res.status_code == 409 and res.json()["message"] == "ARCHIVE_EXPIRED"
    assert client.post(f"/api/teachers/me/students/{stranger_student.id}/restore").status_code == 404
    assert client.post("/api/teachers/me/students/not-a-uuid/restore").status_code == 404


def test_archiving_twice_is_404_and_archived_list_shows_days_left(api, tutor, student):
    client = api(tutor)
    client.delete(f"/api/teachers/me/students/{student.id}")
    assert client.delete(f"/api/teachers/me/students/{student.id}").status_code == 404
    (item,) = client.get("/api/teachers/me/students/archived").json()
    assert item["studentId"] == str(student.id) and item["daysLeft"] == 7 and item["deleteAt"].endswith("Z")


def test_invitations_are_one_shot_tokens(api, tutor, student):
    client = api(tutor)
    res = client.post("/api/teachers/me/students/invitations")
    assert res.status_code == 201 and res.json()["token"].startswith("INV_")
    res = client.post(f"/api/teachers/me/students/{student.id}/parents/invitations")
    assert res.status_code == 201 and res.json()["token"].startswith("PARENT_")
    assert Invitation.objects.get(token=res.json()["token"]).student_id == student.id


def test_parents_list_and_toggle(api, tutor, student, parent):
    client = api(tutor)
    (item,) = client.get(f"/api/teachers/me/students/{student.id}/parents").json()
    assert item["parentUser"]["firstName"] == "Мария" and item["notificationsEnabled"] is True
    url = f"/api/teachers/me/students/{student.id}/parents/{parent.id}"
    res = client.patch(url, {"notificationsEnabled": False}, format="json")
    assert res.json() == {"success": True, "notificationsEnabled": False}
    assert ParentStudentRelation.objects.get(parent=parent.profile).notifications_enabled is False
    assert client.patch(url, {"notificationsEnabled": "maybe"}, format="json").status_code == 400
    missing = f"/api/teachers/me/students/{student.id}/parents/{student.id}"
    assert client.patch(missing, {"notificationsEnabled": True}, format="json").json()["message"] == (
        "PARENT_RELATION_NOT_FOUND"
    )


def test_student_lessons_filter_on_the_students_own_row(api, tutor, student, make_student):
    other = make_student("Оля", teacher=tutor)
    paid = LessonFactory(
        teacher=tutor.profile,
        students=[student.profile, other.profile],
        days=-2,
        status="done",
        attendance="attended",
        rows={student.profile.id: {"payment_status": "paid"}},
    )
    unpaid = LessonFactory(
        teacher=tutor.profile, students=[student.profile], days=-1, status="done", attendance="attended"
    )
    planned = LessonFactory(teacher=tutor.profile, students=[student.profile], days=1)
    client = api(tutor)
    url = f"/api/teachers/me/students/{student.id}/lessons"
    assert [x["id"] for x in client.get(url).json()] == [str(planned.id), str(unpaid.id), str(paid.id)]
    assert [x["id"] for x in client.get(url, {"paymentStatus": "paid"}).json()] == [str(paid.id)]
    assert [x["id"] for x in client.get(url, {"status": "done", "paymentStatus": "unpaid"}).json()] == [str(unpaid.id)]
    assert len(client.get(url, {"attendance": "attended"}).json()) == 2
    for bad in ({"status": "weird"}, {"attendance": "x"}, {"subjectId": "nope"}, {"from": "yesterday"}):
        assert client.get(url, bad).status_code == 400
    empty = {"status": "", "paymentStatus": "", "attendance": "", "subjectId": "", "from": "", "to": ""}
    assert len(client.get(url, empty).json()) == 3  # an empty value is no filter, as in the reference


def test_debt_and_stats_endpoints(api, tutor, student):
    subject = SubjectFactory(teacher=tutor.profile)
    debt_lesson = LessonFactory(
        teacher=tutor.profile,
        students=[student.profile],
        days=-2,
        status="done",
        attendance="attended",
        price=900,
        subject=subject,
    )
    LessonFactory(
        teacher=tutor.profile, students=[student.profile], days=-1, status="done", attendance="missed", subject=subject
    )
    nxt = LessonFactory(
        teacher=tutor.profile, students=[student.profile], start_at=timezone.now() + timedelta(days=1), subject=subject
    )
    client = api(tutor)
    debt = client.get(f"/api/teachers/me/students/{student.id}/debt").json()
    assert debt["unpaidAmountRub"] == 900 and debt["lessons"][0]["lessonId"] == str(debt_lesson.id)
    assert debt["lessons"][0]["subjectName"] == "Математика"
    stats = client.get(f"/api/teachers/me/students/{student.id}/stats").json()
    assert stats["nextLesson"]["date"] == selectors_iso(nxt.start_at)
    assert stats["nextLesson"]["dayOfWeek"] in ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]
    detailed = client.get(f"/api/teachers/me/students/{student.id}/stats/detailed").json()
    assert detailed["attendance"]["totalLessonsMissed"] == 1
    assert detailed["bySubject"][0]["lessonsPlanned"] == 2
    assert detailed["recentMissedLessons"][0]["subjectName"] == "Математика"
    assert detailed["upcomingLessons"][0]["lessonId"] == str(nxt.id)


def selectors_iso(value):
    from tutorcal.timeutil import iso

    return iso(value)


def test_student_cards_carry_the_package_and_the_last_and_next_lesson(api, tutor, student, stranger_tutor):
    held = LessonFactory(
        teacher=tutor.profile, students=[student.profile], days=-3, status="done", attendance="attended"
    )
    LessonFactory(teacher=tutor.profile, students=[student.profile], days=-1, status="cancelled")  # not "last"
    upcoming = LessonFactory(teacher=tutor.profile, students=[student.profile], days=2)
    LessonFactory(teacher=tutor.profile, students=[student.profile], days=9)
    LessonFactory(teacher=stranger_tutor.profile, students=[student.profile], days=1)  # another tutor's: unseen
    Subscription.objects.create(
        teacher=tutor.profile, student=student.profile, type="lessons", total_lessons=8, used_lessons=3
    )
    (card,) = api(tutor).get("/api/teachers/me/students").json()["students"]
    assert card["lastLessonAt"][:16] == held.start_at.strftime("%Y-%m-%dT%H:%M")
    assert card["nextLessonAt"][:16] == upcoming.start_at.strftime("%Y-%m-%dT%H:%M")
    assert card["subscription"]["remainingLessons"] == 5 and card["subscription"]["totalLessons"] == 8


def test_a_card_without_lessons_or_package_has_nulls(api, tutor, student):
    (card,) = api(tutor).get("/api/teachers/me/students").json()["students"]
    assert card["lastLessonAt"] is None and card["nextLessonAt"] is None and card["subscription"] is None
