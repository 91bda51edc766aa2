import uuid
from datetime import timedelta

import pytest

from accounts.models import TeacherStudentLink
from lessons.models import Lesson, LessonSeries, LessonStudent, Subject
from lessons.selectors.calendar import teacher_lesson_dicts
from lessons.tests.calendar_helpers import BASE, create_lesson, utc

pytestmark = pytest.mark.django_db

TEACHER_LESSON_KEYS = {
    "id",
    "seriesId",
    "teacherId",
    "subjectId",
    "startAt",
    "durationMinutes",
    "priceRub",
    "isFree",
    "status",
    "isGroupLesson",
    "cancelledBy",
    "rescheduledTo",
    "teacherNote",
    "teacherNoteUpdatedAt",
    "lessonReport",
    "studentNotePrivate",
    "studentNoteForTeacher",
    "reminderMinutesBefore",
    "meetingUrl",
    "createdAt",
    "updatedAt",
    "students",
    "subject",
    "conflicts",
}
ROW_KEYS = {
    "id",
    "studentId",
    "firstName",
    "lastName",
    "username",
    "priceRub",
    "attendance",
    "rating",
    "paymentStatus",
    "paymentType",
    "paidFromSubscription",
}


@pytest.fixture
def subject(tutor):
    return Subject.objects.create(teacher=tutor.profile, name="Математика", code="matematika", color_hex="#FF8800")


def test_it_creates_a_single_lesson_in_the_teacher_lesson_shape(api, tutor, student, subject):
    body = create_lesson(
        api(tutor),
        studentIds=[str(student.id)],
        subjectId=str(subject.id),
        priceRub=1500,
        teacherNote="Повторить дроби",
        meetingUrl="https://meet.example.com/abc",
        reminderMinutesBefore=30,
    )
    assert TEACHER_LESSON_KEYS <= set(body)
    assert body["startAt"] == "2030-03-04T09:00:00.000Z"
    assert body["subject"] == {"name": "Математика", "colorHex": "#FF8800"}
    assert body["status"] == "planned"
    assert body["isGroupLesson"] is False
    assert body["teacherNoteUpdatedAt"] is None
    assert body["meetingUrl"] == "https://meet.example.com/abc"
    assert body["conflicts"] == []
    (row,) = body["students"]
    assert ROW_KEYS <= set(row)
    assert (row["studentId"], row["firstName"], row["lastName"]) == (str(student.id), "Иван", "Иванов")
    assert (row["priceRub"], row["paymentType"], row["attendance"], row["paymentStatus"]) == (
        1500,
        "fixed",
        "unknown",
        "unpaid",
    )
    assert body["reminderMinutesBefore"] == 30


def test_the_legacy_student_id_field_still_creates_the_row(api, tutor, student):
    body = create_lesson(api(tutor), studentId=str(student.id))
    assert [r["studentId"] for r in body["students"]] == [str(student.id)]


def test_a_group_lesson_has_one_row_per_student_and_duplicates_are_collapsed(api, tutor, student, make_student):
    other = make_student("Ольга", "Смирнова", teacher=tutor)
    body = create_lesson(api(tutor), studentIds=[str(student.id), str(other.id), str(student.id)], priceRub=700)
    assert body["isGroupLesson"] is True
    assert sorted(r["studentId"] for r in body["students"]) == sorted([str(student.id), str(other.id)])
    assert body["reminderMinutesBefore"] is None


def test_a_free_lesson_prices_everyone_zero_and_marks_them_free(api, tutor, student):
    body = create_lesson(api(tutor), studentIds=[str(student.id)], isFree=True, priceRub=1000)
    assert (body["isFree"], body["priceRub"]) == (True, 0)
    assert (body["students"][0]["priceRub"], body["students"][0]["paymentType"]) == (0, "free")
    free_type = create_lesson(api(tutor), studentIds=[str(student.id)], paymentType="free", priceRub=1000)
    assert (free_type["isFree"], free_type["students"][0]["priceRub"]) == (True, 0)


def test_a_subscription_lesson_prices_the_student_zero(api, tutor, student):
    body = create_lesson(api(tutor), studentIds=[str(student.id)], paymentType="subscription", priceRub=1000)
    assert body["priceRub"] == 1000
    assert (body["students"][0]["priceRub"], body["students"][0]["paymentType"]) == (0, "subscription")


def test_archived_subjects_remain_usable_for_new_lessons(api, tutor, subject):
    Subject.objects.filter(id=subject.id).update(archived_at=utc(2030, 1, 1))
    assert create_lesson(api(tutor), subjectId=str(subject.id))["subjectId"] == str(subject.id)


@pytest.mark.parametrize(
    ("patch", "status"),
    [
        ({"startAt": None}, 400),
        ({"durationMinutes": None}, 400),
        ({"durationMinutes": 0}, 400),
        ({"durationMinutes": -30}, 400),
        ({"durationMinutes": 24 * 60 + 1}, 400),
        ({"durationMinutes": "abc"}, 400),
        ({"priceRub": -1}, 400),
        ({"startAt": "tomorrow"}, 400),
        ({"recurrence": {"frequency": "daily"}}, 400),
        ({"recurrence": {"frequency": "monthly", "count": 3}}, 400),
        ({"recurrence": {"frequency": "weekly", "count": 0}}, 400),
        ({"recurrence": {"frequency": "weekly", "count": 201}}, 400),
        ({"recurrence": {"frequency": "weekly", "endDate": "2030-03-01"}}, 400),
        ({"recurrence": {"frequency": "weekly", "endDate": "2032-03-05"}}, 400),
        ({"recurrence": {"frequency": "weekly", "daysOfWeek": [7]}}, 400),
        ({"recurrence": {"frequency": "weekly", "daysOfWeek": [-1]}}, 400),
        ({"recurrence": {"frequency": "weekly", "daysOfWeek": []}}, 400),
        ({"recurrence": "weekly"}, 400),
        ({"paymentType": "cash"}, 400),
        ({"meetingUrl": "javascript:alert(1)"}, 400),
        ({"meetingUrl": "ftp://files.example.com"}, 400),
        ({"meetingUrl": "not a url"}, 400),
        ({"studentIds": ["nope"]}, 400),
        ({"studentIds": "abc"}, 400),
        ({"subjectId": "nope"}, 400),
        ({"subjectId": str(uuid.uuid4())}, 404),
        ({"studentIds": [str(uuid.uuid4())]}, 403),
    ],
)
def test_it_rejects_bad_lesson_input_without_writing_anything(api, tutor, student, patch, status):
    body = {"startAt": "2030-03-04T09:00:00Z", "durationMinutes": 60, "studentIds": [str(student.id)], **patch}
    body = {k: v for k, v in body.items() if v is not None}
    response = api(tutor).post(f"{BASE}/lessons", body, format="json")
    assert response.status_code == status, response.json()
    if status == 404:
        assert response.json()["message"] == "SUBJECT_NOT_FOUND"
    if status == 403:
        assert response.json()["message"] == "STUDENT_NOT_LINKED"
    assert not Lesson.objects.exists()
    assert not LessonSeries.objects.exists()
    assert not LessonStudent.objects.exists()


def test_foreign_unlinked_and_archived_students_are_refused_with_nothing_written(
    api, tutor, student, stranger_student, stranger_tutor, subject
):
    client = api(tutor)
    foreign_subject = Subject.objects.create(teacher=stranger_tutor.profile, name="X", code="x", color_hex="#000000")
    for body in (
        {"studentIds": [str(student.id), str(stranger_student.id)]},
        {"studentIds": [str(student.id)], "subjectId": str(foreign_subject.id)},
        {"studentIds": [str(student.id)], "recurrence": {"frequency": "weekly", "count": 5}, "studentId": None},
    ):
        if "studentId" in body:
            TeacherStudentLink.objects.filter(student=student.profile).update(archived_at=utc(2030, 1, 1))
        body = {k: v for k, v in body.items() if v is not None}
        response = client.post(
            f"{BASE}/lessons", {"startAt": "2030-03-04T09:00:00Z", "durationMinutes": 60, **body}, format="json"
        )
        assert response.status_code in (403, 404)
    assert not Lesson.objects.exists() and not LessonSeries.objects.exists()


def test_meeting_url_accepts_http_and_https(api, tutor):
    assert create_lesson(api(tutor), meetingUrl="http://zoom.us/j/1")["meetingUrl"] == "http://zoom.us/j/1"
    assert create_lesson(api(tutor), meetingUrl="")["meetingUrl"] is None


# ------------------------------------------------------------------------------------------ list


def test_it_lists_lessons_in_an_inclusive_range_ordered_by_start(api, tutor, student):
    client = api(tutor)
    late = create_lesson(client, startAt="2030-03-10T10:00:00Z")
    early = create_lesson(client, startAt="2030-03-01T10:00:00Z")
    create_lesson(client, startAt="2030-04-01T10:00:00Z")
    response = client.get(f"{BASE}/lessons", {"from": "2030-03-01T10:00:00Z", "to": "2030-03-10T10:00:00Z"})
    assert response.status_code == 200
    assert [x["id"] for x in response.json()] == [early["id"], late["id"]]
    # dates are whole days in the teacher's zone (Moscow): `to` includes that day (reference B6-like fix)
    response = client.get(f"{BASE}/lessons", {"from": "2030-03-01", "to": "2030-03-09"})
    assert [x["id"] for x in response.json()] == [early["id"]]
    response = client.get(f"{BASE}/lessons", {"from": "2030-03-02", "to": "2030-03-10"})
    assert [x["id"] for x in response.json()] == [late["id"]]
    late_evening = create_lesson(client, startAt="2030-03-10T20:30:00Z")  # 23:30 Moscow, still 10 March
    response = client.get(f"{BASE}/lessons", {"from": "2030-03-10", "to": "2030-03-10"})
    assert [x["id"] for x in response.json()] == [late["id"], late_evening["id"]]


def test_it_filters_by_subject_student_and_status(api, tutor, student, make_student, subject):
    client = api(tutor)
    other = make_student("Ольга", "Смирнова", teacher=tutor)
    a = create_lesson(client, subjectId=str(subject.id), studentIds=[str(student.id)])
    b = create_lesson(client, studentIds=[str(other.id), str(student.id)], startAt="2030-03-05T09:00:00Z")
    c = create_lesson(client, studentIds=[str(other.id)], startAt="2030-03-06T09:00:00Z")
    Lesson.objects.filter(id=c["id"]).update(status="cancelled")
    rng = {"from": "2030-03-01", "to": "2030-03-31"}

    def ids(**q):
        return [x["id"] for x in client.get(f"{BASE}/lessons", {**rng, **q}).json()]

    assert ids(subjectId=str(subject.id)) == [a["id"]]
    assert ids(studentId=str(student.id)) == [a["id"], b["id"]]
    assert ids(status="cancelled") == [c["id"]]
    full = client.get(f"{BASE}/lessons", {**rng, "studentId": str(student.id)}).json()
    assert len(full[1]["students"]) == 2  # the filter selects lessons, it does not hide group mates


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, None),
        ({"from": "2030-03-01"}, None),
        ({"from": "junk", "to": "2030-03-02"}, "INVALID_FROM_DATE"),
        ({"from": "2030-03-01", "to": "2030-13-45"}, "INVALID_TO_DATE"),
        ({"from": "2030-03-10", "to": "2030-03-01"}, "INVALID_DATE_RANGE"),
        ({"from": "2030-01-01", "to": "2031-03-01"}, "RANGE_TOO_LARGE"),
        ({"from": "2030-01-01", "to": "2030-02-01", "status": "weird"}, None),
        ({"from": "2030-01-01", "to": "2030-02-01", "subjectId": "x"}, None),
    ],
)
def test_bad_list_queries_are_400(api, tutor, query, message):
    response = api(tutor).get(f"{BASE}/lessons", query)
    assert response.status_code == 400
    if message:
        assert response.json()["message"] == message


def test_a_400_day_range_is_accepted(api, tutor):
    assert api(tutor).get(f"{BASE}/lessons", {"from": "2030-01-01", "to": "2031-02-04"}).status_code == 200


def test_the_list_is_scoped_to_the_teacher(api, tutor, stranger_tutor):
    create_lesson(api(tutor))
    assert api(stranger_tutor).get(f"{BASE}/lessons", {"from": "2030-01-01", "to": "2030-12-01"}).json() == []


def test_the_list_runs_a_constant_number_of_queries_for_1_or_50_lessons(
    api, tutor, make_student, subject, django_assert_max_num_queries
):
    client = api(tutor)
    students = [make_student(f"S{i}", "X", teacher=tutor) for i in range(3)]
    ids = [str(s.id) for s in students]
    create_lesson(client, studentIds=ids, subjectId=str(subject.id))
    query = {"from": "2030-03-01", "to": "2031-03-01"}
    # auth + the view stamp + lessons, their students, the overlap window
    with django_assert_max_num_queries(5) as one:
        assert len(client.get(f"{BASE}/lessons", query).json()) == 1
    create_lesson(
        client,
        studentIds=ids,
        subjectId=str(subject.id),
        startAt="2030-03-05T09:00:00Z",
        recurrence={"frequency": "weekly", "count": 49},
    )
    with django_assert_max_num_queries(5) as many:
        body = client.get(f"{BASE}/lessons", query).json()
    assert len(body) == 50 and all(len(x["students"]) == 3 for x in body)
    assert len(many.captured_queries) == len(one.captured_queries)


def test_teacher_lesson_dicts_filters_by_ids_and_takes_three_queries(tutor, student, django_assert_num_queries):
    lessons = [
        Lesson.objects.create(teacher=tutor.profile, start_at=utc(2030, 3, d, 9), duration_minutes=60)
        for d in range(1, 8)
    ]
    for lesson in lessons:
        LessonStudent.objects.create(lesson=lesson, student=student.profile, price_rub=100)
    with django_assert_num_queries(3):  # lessons, their students, the overlap window
        found = teacher_lesson_dicts(teacher_id=tutor.id, lesson_ids=[lessons[2].id, lessons[0].id])
    assert [x["id"] for x in found] == [str(lessons[0].id), str(lessons[2].id)]
    assert found[0]["students"][0]["priceRub"] == 100
    assert teacher_lesson_dicts(teacher_id=uuid.uuid4(), lesson_ids=[lessons[0].id]) == []


# ------------------------------------------------------------------------------------------ conflicts


def test_every_lesson_response_lists_overlapping_planned_lessons(api, tutor):
    client = api(tutor)
    a = create_lesson(client, startAt="2030-03-04T09:00:00Z", durationMinutes=60)
    b = create_lesson(client, startAt="2030-03-04T09:30:00Z", durationMinutes=60)
    assert b["conflicts"] == [a["id"]]
    touching = create_lesson(client, startAt="2030-03-04T10:30:00Z", durationMinutes=30)
    assert touching["conflicts"] == []  # ends-at == starts-at is not an overlap
    listed = {
        x["id"]: x["conflicts"]
        for x in client.get(f"{BASE}/lessons", {"from": "2030-03-04", "to": "2030-03-05"}).json()
    }
    assert listed == {a["id"]: [b["id"]], b["id"]: [a["id"]], touching["id"]: []}
    Lesson.objects.filter(id=b["id"]).update(status="cancelled")
    assert client.get(f"{BASE}/lessons/{a['id']}").json()["conflicts"] == []


def test_conflicts_see_a_long_lesson_that_started_before_the_range(api, tutor):
    client = api(tutor)
    long = create_lesson(client, startAt="2030-03-04T20:00:00Z", durationMinutes=600)
    inside = create_lesson(client, startAt="2030-03-05T02:00:00Z", durationMinutes=60)
    body = client.get(f"{BASE}/lessons", {"from": "2030-03-05T01:00:00Z", "to": "2030-03-06T00:00:00Z"}).json()
    assert [(x["id"], x["conflicts"]) for x in body] == [(inside["id"], [long["id"]])]


# ------------------------------------------------------------------------------------------ detail


def test_detail_adds_the_series_and_is_404_for_strangers_and_bad_ids(api, tutor, stranger_tutor):
    client = api(tutor)
    single = create_lesson(client)
    created = create_lesson(client, startAt="2030-03-06T09:00:00Z", recurrence={"frequency": "biweekly", "count": 2})
    detail = client.get(f"{BASE}/lessons/{single['id']}").json()
    assert detail["series"] is None and TEACHER_LESSON_KEYS <= set(detail)
    in_series = client.get(f"{BASE}/lessons/{created['lessons'][1]['id']}").json()
    assert in_series["series"]["id"] == created["series"]["id"]
    assert in_series["series"]["recurrence"]["frequency"] == "biweekly"
    assert in_series["series"]["recurrence"]["dayOfWeek"] == 3
    for path in (f"{BASE}/lessons/{single['id']}", f"{BASE}/lessons/not-a-uuid", f"{BASE}/lessons/{uuid.uuid4()}"):
        response = api(stranger_tutor).get(path) if "not-a" not in path else client.get(path)
        assert response.status_code == 404
        assert response.json()["message"] == "LESSON_NOT_FOUND"


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("patch", "", {"priceRub": 1}),
        ("delete", "", None),
        ("post", "/students", {"studentId": "{student}"}),
        ("delete", "/students/{student}", None),
        ("patch", "/students/{student}", {"paymentStatus": "paid"}),
        ("patch", "/students/bulk", {"action": "set_payment", "value": "paid"}),
        ("patch", "/complete", {"students": []}),
    ],
)
def test_every_lesson_endpoint_is_404_for_a_stranger_tutor(api, tutor, student, stranger_tutor, method, suffix, body):
    lesson = create_lesson(api(tutor), studentIds=[str(student.id)], priceRub=500)
    path = f"{BASE}/lessons/{lesson['id']}{suffix}".replace("{student}", str(student.id))
    if body and "studentId" in body:
        body = {"studentId": str(student.id)}
    response = getattr(api(stranger_tutor), method)(path, body, format="json")
    assert response.status_code == 404
    assert response.json()["message"] == "LESSON_NOT_FOUND"
    after = Lesson.objects.get(id=lesson["id"])
    assert (after.price_rub, after.status) == (500, "planned")
    assert LessonStudent.objects.get(lesson_id=lesson["id"]).payment_status == "unpaid"


def test_students_cannot_use_teacher_lesson_endpoints(api, tutor, student):
    lesson = create_lesson(api(tutor), studentIds=[str(student.id)])
    assert api(student).get(f"{BASE}/lessons/{lesson['id']}").status_code == 403
    assert api().get(f"{BASE}/lessons", {"from": "2030-01-01", "to": "2030-02-01"}).status_code == 401


def test_detail_and_writes_run_constant_queries(api, tutor, make_student, django_assert_max_num_queries):
    client = api(tutor)
    students = [make_student(f"S{i}", "X", teacher=tutor) for i in range(10)]
    lesson = create_lesson(client, studentIds=[str(s.id) for s in students])
    with django_assert_max_num_queries(6):
        client.get(f"{BASE}/lessons/{lesson['id']}")
    with django_assert_max_num_queries(12):
        client.patch(f"{BASE}/lessons/{lesson['id']}", {"priceRub": 900, "teacherNote": "x"}, format="json")
    # 12 for the lesson + 2 for its notifications, queued in the same transaction (botapp's outbox)
    with django_assert_max_num_queries(14):
        create_lesson(client, studentIds=[str(s.id) for s in students], startAt="2030-05-01T09:00:00Z")
    assert Lesson.objects.get(id=lesson["id"]).updated_at - Lesson.objects.get(id=lesson["id"]).created_at >= timedelta(
        0
    )


@pytest.mark.parametrize(
    "value",
    [utc(2025, 1, 15, 10), utc(2030, 3, 4, 9, 5, 7, 123456), utc(1999, 12, 31, 23, 59, 59, 999999)],
)
def test_the_fast_iso_formatter_matches_the_contract_formatter(value):
    from zoneinfo import ZoneInfo

    from lessons.selectors.calendar import _iso
    from tutorcal.timeutil import iso

    assert _iso(value) == iso(value)
    moscow = value.astimezone(ZoneInfo("Europe/Moscow"))
    assert _iso(moscow) == iso(moscow)


def test_conflicts_across_the_end_of_the_range_and_with_filters(api, tutor, student, make_student):
    client = api(tutor)
    inside = create_lesson(client, startAt="2030-03-05T23:30:00Z", durationMinutes=60, studentIds=[str(student.id)])
    after = create_lesson(client, startAt="2030-03-06T00:10:00Z", durationMinutes=30)
    query = {"from": "2030-03-05T00:00:00Z", "to": "2030-03-06T00:00:00Z"}
    body = client.get(f"{BASE}/lessons", query).json()
    assert [(x["id"], x["conflicts"]) for x in body] == [(inside["id"], [after["id"]])]
    body = client.get(f"{BASE}/lessons", {**query, "studentId": str(student.id)}).json()
    assert [(x["id"], x["conflicts"]) for x in body] == [(inside["id"], [after["id"]])]
