from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import TeacherStudentLink
from subscriptions.models import Subscription
from subscriptions.selectors import display_text, ru_plural

pytestmark = pytest.mark.django_db

SUBSCRIPTION_KEYS = {
    "id",
    "type",
    "totalLessons",
    "usedLessons",
    "remainingLessons",
    "expiresAt",
    "name",
    "isExpired",
    "isActive",
    "createdAt",
}


def sub_url(student_id) -> str:
    return f"/api/teachers/me/students/{student_id}/subscription"


def make_sub(tutor, student, **kw) -> Subscription:
    fields = {"type": "lessons", "total_lessons": 8} | kw
    return Subscription.objects.create(teacher=tutor.profile, student=student.profile, **fields)


# --- GET /me/students/:id/subscription -------------------------------------------------------------------


def test_it_returns_null_when_the_student_has_no_subscription(api, tutor, student):
    response = api(tutor).get(sub_url(student.id))
    assert response.status_code == 200
    assert response.json() is None


def test_it_returns_the_subscription_in_the_contract_shape(api, tutor, student):
    sub = make_sub(tutor, student, used_lessons=3, name="Осень")
    body = api(tutor).get(sub_url(student.id)).json()
    assert set(body) == SUBSCRIPTION_KEYS
    assert body["id"] == str(sub.id)
    assert body["type"] == "lessons"
    assert (body["totalLessons"], body["usedLessons"], body["remainingLessons"]) == (8, 3, 5)
    assert body["expiresAt"] is None and body["name"] == "Осень"
    assert body["isExpired"] is False and body["isActive"] is True
    assert body["createdAt"].endswith("Z")


def test_it_returns_a_used_up_subscription_as_expired_and_inactive(api, tutor, student):
    make_sub(tutor, student, total_lessons=2, used_lessons=2)
    body = api(tutor).get(sub_url(student.id)).json()
    assert body["remainingLessons"] == 0 and body["isExpired"] is True and body["isActive"] is False


def test_it_hides_deleted_subscriptions(api, tutor, student):
    make_sub(tutor, student, deleted_at=timezone.now())
    assert api(tutor).get(sub_url(student.id)).json() is None


def test_it_still_answers_for_an_archived_student(api, tutor, student):
    TeacherStudentLink.objects.filter(teacher=tutor.profile).update(archived_at=timezone.now())
    make_sub(tutor, student)
    assert api(tutor).get(sub_url(student.id)).json()["totalLessons"] == 8


@pytest.mark.parametrize(
    "path",
    [
        "/api/teachers/me/students/{sid}/subscription",
        "/api/teachers/me/students/{sid}/has-subscription",
        "/api/teachers/me/students/{sid}/subscriptions/archived",
    ],
)
def test_a_stranger_tutor_cannot_read_another_teachers_student(api, tutor, student, stranger_tutor, path):
    make_sub(tutor, student)
    response = api(stranger_tutor).get(path.format(sid=student.id))
    assert response.status_code == 404
    assert response.json()["message"] == "STUDENT_NOT_FOUND"


@pytest.mark.parametrize(
    "path",
    [
        "/api/teachers/me/students/{sid}/subscription",
        "/api/teachers/me/students/{sid}/has-subscription",
        "/api/teachers/me/students/{sid}/subscriptions/archived",
    ],
)
def test_reads_for_an_unlinked_or_malformed_student_are_404(api, tutor, stranger_student, path):
    for sid in (stranger_student.id, "not-a-uuid"):
        response = api(tutor).get(path.format(sid=sid))
        assert response.status_code == 404
        assert response.json()["message"] == "STUDENT_NOT_FOUND"


def test_students_and_anonymous_callers_cannot_use_teacher_endpoints(api, student):
    assert api(student).get(sub_url(student.id)).status_code == 403
    assert api().get(sub_url(student.id)).status_code == 401


# --- POST /me/students/:id/subscription ------------------------------------------------------------------


def test_it_creates_a_lessons_subscription(api, tutor, student):
    response = api(tutor).post(
        sub_url(student.id), {"type": "lessons", "totalLessons": 10, "name": " Пакет "}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == SUBSCRIPTION_KEYS
    assert (body["type"], body["totalLessons"], body["usedLessons"], body["remainingLessons"]) == ("lessons", 10, 0, 10)
    assert body["name"] == "Пакет" and body["isActive"] is True and body["expiresAt"] is None
    sub = Subscription.objects.get()
    assert (sub.teacher_id, sub.student_id, sub.total_lessons) == (tutor.id, student.id, 10)


def test_it_creates_a_date_subscription_and_ignores_the_lessons_field(api, tutor, student):
    response = api(tutor).post(
        sub_url(student.id),
        {"type": "date", "expiresAt": "2030-06-30T12:00:00+03:00", "totalLessons": "junk"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["expiresAt"] == "2030-06-30T09:00:00.000Z"
    assert body["totalLessons"] is None and body["remainingLessons"] is None and body["isActive"] is True


def test_a_date_only_expiry_lasts_to_the_end_of_that_day_in_the_teachers_zone(api, tutor, student):
    # The tutor is in Moscow (UTC+3): the package lives through 30 June there, i.e. until 20:59:59.999 UTC.
    response = api(tutor).post(sub_url(student.id), {"type": "date", "expiresAt": "2030-06-30"}, format="json")
    assert response.status_code == 201
    assert response.json()["expiresAt"] == "2030-06-30T20:59:59.999Z"


def test_a_naive_expiry_datetime_is_wall_clock_time_in_the_teachers_zone(api, tutor, student):
    tutor.user.timezone = "Asia/Vladivostok"
    tutor.user.save(update_fields=["timezone"])
    response = api(tutor).post(sub_url(student.id), {"type": "date", "expiresAt": "2030-06-30T18:00:00"}, format="json")
    assert response.status_code == 201
    assert response.json()["expiresAt"] == "2030-06-30T08:00:00.000Z"


def test_unknown_fields_are_ignored_never_written(api, tutor, student, stranger_tutor):
    response = api(tutor).post(
        sub_url(student.id),
        {"type": "lessons", "totalLessons": 5, "usedLessons": 5, "teacherId": str(stranger_tutor.id), "deletedAt": "x"},
        format="json",
    )
    assert response.status_code == 201
    sub = Subscription.objects.get()
    assert (sub.used_lessons, sub.teacher_id, sub.deleted_at) == (0, tutor.id, None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, ["type: This field is required."]),
        ({"type": "unlimited", "totalLessons": 5}, ['type: "unlimited" is not a valid choice.']),
        ({"type": None, "totalLessons": 5}, ["type: This field may not be null."]),
        ({"type": "lessons"}, "TOTAL_LESSONS_REQUIRED"),
        ({"type": "lessons", "totalLessons": None}, "TOTAL_LESSONS_REQUIRED"),
        ({"type": "lessons", "totalLessons": 0}, "TOTAL_LESSONS_REQUIRED"),
        ({"type": "lessons", "totalLessons": -3}, "TOTAL_LESSONS_REQUIRED"),
        ({"type": "lessons", "totalLessons": "abc"}, ["totalLessons: A valid integer is required."]),
        ({"type": "lessons", "totalLessons": 1.5}, ["totalLessons: A valid integer is required."]),
        (
            {"type": "lessons", "totalLessons": 10**12},
            ["totalLessons: Ensure this value is less than or equal to 10000."],
        ),
        ({"type": "date"}, "EXPIRES_AT_REQUIRED"),
        ({"type": "date", "expiresAt": None}, "EXPIRES_AT_REQUIRED"),
        ({"type": "date", "expiresAt": "next tuesday"}, None),
        ({"type": "date", "expiresAt": 12345}, None),
        ({"type": "lessons", "totalLessons": 3, "name": "x" * 300}, None),
        ({"type": "lessons", "totalLessons": 3, "name": ["a"]}, None),
    ],
)
def test_bad_input_is_400_and_writes_nothing(api, tutor, student, body, message):
    response = api(tutor).post(sub_url(student.id), body, format="json")
    assert response.status_code == 400, response.json()
    if message is not None:
        assert response.json()["message"] == message
    assert not Subscription.objects.exists()


def test_a_non_object_body_is_400(api, tutor, student):
    response = api(tutor).post(sub_url(student.id), [1, 2], format="json")
    assert response.status_code == 400
    response = api(tutor).post(sub_url(student.id), "{bad json", content_type="application/json")
    assert response.status_code == 400


def test_it_refuses_a_second_subscription_even_when_the_first_is_used_up(api, tutor, student):
    make_sub(tutor, student, total_lessons=1, used_lessons=1)
    response = api(tutor).post(sub_url(student.id), {"type": "lessons", "totalLessons": 4}, format="json")
    assert response.status_code == 409
    assert response.json()["message"] == "SUBSCRIPTION_ALREADY_EXISTS"
    assert Subscription.objects.count() == 1


def test_a_deleted_subscription_does_not_block_a_new_one(api, tutor, student):
    make_sub(tutor, student, deleted_at=timezone.now())
    assert (
        api(tutor).post(sub_url(student.id), {"type": "lessons", "totalLessons": 4}, format="json").status_code == 201
    )


def test_a_subscription_can_be_created_for_an_archived_student(api, tutor, student):
    TeacherStudentLink.objects.filter(teacher=tutor.profile).update(archived_at=timezone.now())
    assert (
        api(tutor).post(sub_url(student.id), {"type": "lessons", "totalLessons": 4}, format="json").status_code == 201
    )


def test_creating_for_a_foreign_or_malformed_student_is_404(api, tutor, student, stranger_tutor, stranger_student):
    for client, sid in ((api(stranger_tutor), student.id), (api(tutor), stranger_student.id), (api(tutor), "zzz")):
        response = client.post(sub_url(sid), {"type": "lessons", "totalLessons": 4}, format="json")
        assert response.status_code == 404
        assert response.json()["message"] == "STUDENT_NOT_FOUND"
    assert not Subscription.objects.exists()


def test_a_foreign_student_is_404_before_the_body_is_looked_at(api, tutor, student, stranger_tutor):
    # The reference checks the link first: a stranger learns nothing from a bad body (400) either.
    for body in ({}, {"type": "lessons", "totalLessons": 0}, {"type": "weekly"}):
        response = api(stranger_tutor).post(sub_url(student.id), body, format="json")
        assert response.status_code == 404 and response.json()["message"] == "STUDENT_NOT_FOUND"


def test_each_teacher_has_their_own_subscription_with_a_shared_student(api, tutor, student, stranger_tutor):
    TeacherStudentLink.objects.create(teacher=stranger_tutor.profile, student=student.profile)
    assert (
        api(tutor).post(sub_url(student.id), {"type": "lessons", "totalLessons": 4}, format="json").status_code == 201
    )
    assert (
        api(stranger_tutor).post(sub_url(student.id), {"type": "lessons", "totalLessons": 2}, format="json").status_code
        == 201
    )
    assert api(stranger_tutor).get(sub_url(student.id)).json()["totalLessons"] == 2


# --- DELETE / restore ------------------------------------------------------------------------------------


def test_delete_is_soft_and_hides_the_subscription(api, tutor, student):
    sub = make_sub(tutor, student)
    response = api(tutor).delete(f"/api/teachers/me/subscriptions/{sub.id}")
    assert response.status_code == 200 and response.json() == {"success": True}
    sub.refresh_from_db()
    assert sub.deleted_at is not None
    assert api(tutor).get(sub_url(student.id)).json() is None
    again = api(tutor).delete(f"/api/teachers/me/subscriptions/{sub.id}")
    assert again.status_code == 404 and again.json()["message"] == "SUBSCRIPTION_NOT_FOUND"


def test_a_stranger_tutor_cannot_delete_or_restore(api, tutor, student, stranger_tutor):
    sub = make_sub(tutor, student)
    for method, path in (("delete", ""), ("post", "/restore")):
        response = getattr(api(stranger_tutor), method)(f"/api/teachers/me/subscriptions/{sub.id}{path}")
        assert response.status_code == 404 and response.json()["message"] == "SUBSCRIPTION_NOT_FOUND"
    sub.refresh_from_db()
    assert sub.deleted_at is None


def test_malformed_subscription_ids_are_404(api, tutor):
    assert api(tutor).delete("/api/teachers/me/subscriptions/nope").json()["message"] == "SUBSCRIPTION_NOT_FOUND"
    assert api(tutor).post("/api/teachers/me/subscriptions/nope/restore").status_code == 404


def test_restore_brings_a_deleted_subscription_back(api, tutor, student):
    sub = make_sub(tutor, student, used_lessons=2, deleted_at=timezone.now())
    response = api(tutor).post(f"/api/teachers/me/subscriptions/{sub.id}/restore")
    assert response.status_code == 201  # every POST is 201, as in the reference
    assert response.json()["id"] == str(sub.id) and response.json()["usedLessons"] == 2
    assert response.json()["isActive"] is True
    assert api(tutor).get(sub_url(student.id)).json()["id"] == str(sub.id)


def test_restore_of_a_subscription_that_is_not_deleted_is_409(api, tutor, student):
    sub = make_sub(tutor, student)
    response = api(tutor).post(f"/api/teachers/me/subscriptions/{sub.id}/restore")
    assert response.status_code == 409 and response.json()["message"] == "SUBSCRIPTION_NOT_DELETED"


def test_restore_while_another_is_active_is_409_and_changes_nothing(api, tutor, student):
    old = make_sub(tutor, student, deleted_at=timezone.now())
    make_sub(tutor, student)
    response = api(tutor).post(f"/api/teachers/me/subscriptions/{old.id}/restore")
    assert response.status_code == 409 and response.json()["message"] == "ANOTHER_SUBSCRIPTION_EXISTS"
    old.refresh_from_db()
    assert old.deleted_at is not None


def test_restore_after_the_student_link_is_gone_is_404(api, tutor, student):
    sub = make_sub(tutor, student, deleted_at=timezone.now())
    TeacherStudentLink.objects.filter(teacher=tutor.profile).delete()
    response = api(tutor).post(f"/api/teachers/me/subscriptions/{sub.id}/restore")
    assert response.status_code == 404 and response.json()["message"] == "SUBSCRIPTION_NOT_FOUND"


# --- has-subscription ------------------------------------------------------------------------------------


def has_url(student_id) -> str:
    return f"/api/teachers/me/students/{student_id}/has-subscription"


def test_has_subscription_is_false_without_an_active_one(api, tutor, student):
    assert api(tutor).get(has_url(student.id)).json() == {"hasSubscription": False}
    make_sub(tutor, student, total_lessons=2, used_lessons=2)
    assert api(tutor).get(has_url(student.id)).json() == {"hasSubscription": False}


def test_has_subscription_describes_the_remaining_lessons_in_russian(api, tutor, student):
    sub = make_sub(tutor, student, total_lessons=25, used_lessons=4, name="Весна")
    assert api(tutor).get(has_url(student.id)).json() == {
        "hasSubscription": True,
        "subscription": {
            "id": str(sub.id),
            "name": "Весна",
            "type": "lessons",
            "remainingLessons": 21,
            "expiresAt": None,
            "displayText": "Осталось 21 урок",
        },
    }


def test_has_subscription_counts_days_left_on_a_date_subscription(api, tutor, student):
    make_sub(tutor, student, type="date", total_lessons=None, expires_at=timezone.now() + timedelta(days=2, hours=1))
    body = api(tutor).get(has_url(student.id)).json()
    assert body["subscription"]["displayText"] == "Осталось 3 дн."
    assert body["subscription"]["remainingLessons"] is None


@pytest.mark.parametrize(
    ("n", "word"),
    [(1, "урок"), (2, "урока"), (4, "урока"), (5, "уроков"), (11, "уроков"), (12, "уроков"), (14, "уроков")]
    + [(19, "уроков"), (21, "урок"), (22, "урока"), (100, "уроков"), (101, "урок"), (111, "уроков"), (0, "уроков")],
)
def test_russian_plural_rules(n, word):
    assert ru_plural(n, "урок", "урока", "уроков") == word


def test_display_text_for_open_ended_packages():
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert display_text(Subscription(type="lessons", total_lessons=None), now) == "Безлимитный"
    assert display_text(Subscription(type="date", expires_at=None), now) == "Бессрочный"
    assert display_text(Subscription(type="date", expires_at=now + timedelta(hours=1)), now) == "Осталось 1 дн."


# --- archived list ---------------------------------------------------------------------------------------


def test_archived_lists_deleted_first_by_deletion_then_expired_ones_last(api, tutor, student):
    now = timezone.now()
    expired = make_sub(tutor, student, type="date", total_lessons=None, expires_at=now - timedelta(days=1))
    older = make_sub(tutor, student, deleted_at=now - timedelta(days=5))
    newer = make_sub(tutor, student, total_lessons=3, used_lessons=3, deleted_at=now - timedelta(days=1))
    response = api(tutor).get(f"/api/teachers/me/students/{student.id}/subscriptions/archived")
    assert response.status_code == 200
    rows = response.json()
    assert [r["id"] for r in rows] == [str(newer.id), str(older.id), str(expired.id)]
    assert set(rows[0]) == {
        "id",
        "type",
        "totalLessons",
        "usedLessons",
        "remainingLessons",
        "expiresAt",
        "name",
        "isDeleted",
        "isExpired",
        "createdAt",
        "deletedAt",
    }
    assert rows[0]["isDeleted"] is True and rows[0]["isExpired"] is True and rows[0]["deletedAt"].endswith("Z")
    assert rows[2]["isDeleted"] is False and rows[2]["isExpired"] is True and rows[2]["deletedAt"] is None


def test_archived_leaves_out_the_active_subscription(api, tutor, student):
    make_sub(tutor, student)
    assert api(tutor).get(f"/api/teachers/me/students/{student.id}/subscriptions/archived").json() == []


def test_archived_runs_a_constant_number_of_queries(api, tutor, student, django_assert_max_num_queries):
    make_sub(tutor, student, deleted_at=timezone.now())
    client = api(tutor)
    with django_assert_max_num_queries(5) as one:
        assert len(client.get(f"/api/teachers/me/students/{student.id}/subscriptions/archived").json()) == 1
    for _ in range(20):
        make_sub(tutor, student, deleted_at=timezone.now())
    with django_assert_max_num_queries(len(one)):
        assert len(client.get(f"/api/teachers/me/students/{student.id}/subscriptions/archived").json()) == 21


# --- student endpoints -----------------------------------------------------------------------------------


def test_a_student_lists_their_non_deleted_subscriptions_newest_first(api, tutor, student, make_teacher):
    other = make_teacher("Борис", "Другой")
    other.profile.display_name = ""
    other.profile.save()
    TeacherStudentLink.objects.create(teacher=other.profile, student=student.profile)
    first = make_sub(tutor, student, total_lessons=2, used_lessons=2)
    make_sub(tutor, student, deleted_at=timezone.now())
    second = make_sub(other, student, type="date", total_lessons=None, expires_at=timezone.now() + timedelta(days=9))
    Subscription.objects.filter(id=second.id).update(created_at=first.created_at + timedelta(seconds=1))
    rows = api(student).get("/api/students/me/subscriptions").json()
    assert [r["id"] for r in rows] == [str(second.id), str(first.id)]
    assert rows[0]["teacherId"] == str(other.id) and rows[0]["teacherName"] == "Борис"
    assert rows[1]["teacherName"] == "Анна Петрова"
    assert rows[1]["isExpired"] is True and rows[1]["isActive"] is False
    assert set(rows[0]) == SUBSCRIPTION_KEYS | {"teacherId", "teacherName"}


def test_a_student_never_sees_other_students_subscriptions(api, tutor, student, make_student):
    other = make_student("Олег", teacher=tutor)
    make_sub(tutor, other)
    assert api(student).get("/api/students/me/subscriptions").json() == []


def test_a_student_gets_the_subscription_with_one_teacher(api, tutor, student):
    url = f"/api/students/me/subscriptions/teacher/{tutor.id}"
    assert api(student).get(url).json() is None
    sub = make_sub(tutor, student, used_lessons=1)
    body = api(student).get(url).json()
    assert body["id"] == str(sub.id) and body["remainingLessons"] == 7 and body["teacherId"] == str(tutor.id)


def test_a_student_cannot_read_a_subscription_with_an_unlinked_teacher(api, tutor, stranger_student, stranger_tutor):
    for tid in (tutor.id, stranger_tutor.id, "bad"):
        response = api(stranger_student).get(f"/api/students/me/subscriptions/teacher/{tid}")
        assert response.status_code == 404 and response.json()["message"] == "TEACHER_NOT_FOUND"


def test_teachers_cannot_use_student_endpoints(api, tutor):
    assert api(tutor).get("/api/students/me/subscriptions").status_code == 403


def test_the_student_list_runs_a_constant_number_of_queries(api, student, make_teacher, django_assert_max_num_queries):
    def add_teacher(i):
        teacher = make_teacher(f"T{i}")
        TeacherStudentLink.objects.create(teacher=teacher.profile, student=student.profile)
        make_sub(teacher, student)

    add_teacher(0)
    client = api(student)
    with django_assert_max_num_queries(5) as one:
        assert len(client.get("/api/students/me/subscriptions").json()) == 1
    for i in range(1, 15):
        add_teacher(i)
    with django_assert_max_num_queries(len(one)):
        assert len(client.get("/api/students/me/subscriptions").json()) == 15


@pytest.mark.parametrize("path", ["subscription", "has-subscription"])
def test_teacher_reads_run_a_constant_number_of_queries(api, tutor, student, path, django_assert_max_num_queries):
    make_sub(tutor, student)
    client = api(tutor)  # signing in is not part of the read
    with django_assert_max_num_queries(4):
        assert client.get(f"/api/teachers/me/students/{student.id}/{path}").status_code == 200


def test_create_runs_a_constant_number_of_queries(api, tutor, student, django_assert_max_num_queries):
    client = api(tutor)  # signing in is not part of the write
    with django_assert_max_num_queries(8):
        assert (
            client.post(sub_url(student.id), {"type": "lessons", "totalLessons": 3}, format="json").status_code == 201
        )
