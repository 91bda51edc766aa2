"""Wire-contract audit of the teacher calendar API against the reference (reference-domain §2.2/§2.4/§3,
decisions §2/§4): inputs the reference frontend may send that the reference accepts, and output formats."""

import pytest

from lessons.models import Lesson, LessonSeries, Subject
from lessons.tests.calendar_helpers import BASE, create_lesson, rows_of, series_lessons

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------------------ create input


def test_create_takes_null_price_free_flag_and_student_list_as_not_given_like_the_reference(api, tutor, student):
    # reference §3.1: priceRub = body.priceRub || 0, isFree = body.isFree || false,
    # students = studentIds || (studentId ? [studentId] : [])
    body = create_lesson(
        api(tutor), priceRub=None, isFree=None, studentIds=None, studentId=str(student.id), paymentType=None
    )
    assert (body["priceRub"], body["isFree"]) == (0, False)
    assert [row["studentId"] for row in body["students"]] == [str(student.id)]
    assert body["students"][0]["paymentType"] == "fixed"


def test_an_empty_subject_or_student_id_on_create_means_none(api, tutor, student):
    # reference §3.1: subjectId is checked only "if truthy", studentId used only if truthy
    body = create_lesson(api(tutor), subjectId="", studentId="")
    assert body["subjectId"] is None and body["subject"] is None
    assert body["students"] == []


def test_a_recurrence_end_date_may_be_an_iso_datetime_read_as_a_day_in_the_teacher_zone(api, tutor):
    client = api(tutor)
    # Mondays 12:00 Moscow from 2030-03-04; 2030-03-24T21:00Z is midnight of Monday 25 March in Moscow
    for end in ("2030-03-24T21:00:00.000Z", "2030-03-25T00:00:00.000Z", "2030-03-25"):
        body = create_lesson(client, recurrence={"frequency": "weekly", "endDate": end})
        assert body["lessonsCreated"] == 4, end
        assert body["lessons"][-1]["startAt"] == "2030-03-25T09:00:00.000Z"
    series = LessonSeries.objects.order_by("created_at")
    assert {str(x.end_date) for x in series} == {"2030-03-25"}


@pytest.mark.parametrize("end", ["2030-13-01T00:00:00Z", "0001-01-01T00:00:00Z", "yesterday", 20300325])
def test_a_bad_recurrence_end_date_is_still_a_400(api, tutor, end):
    response = api(tutor).post(
        f"{BASE}/lessons",
        {
            "startAt": "2030-03-04T09:00:00Z",
            "durationMinutes": 60,
            "recurrence": {"frequency": "weekly", "endDate": end},
        },
        format="json",
    )
    assert response.status_code == 400
    assert Lesson.objects.count() == 0


# ------------------------------------------------------------------------------------------ update input


def test_a_null_student_list_on_patch_is_ignored_not_a_removal(api, tutor, student):
    # reference §3.2: studentIds is applied only when it is an array
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)])
    response = client.patch(f"{BASE}/lessons/{lesson['id']}", {"studentIds": None, "teacherNote": "ok"}, format="json")
    assert response.status_code == 200, response.json()
    assert [row["studentId"] for row in response.json()["students"]] == [str(student.id)]
    assert response.json()["teacherNote"] == "ok"


# ------------------------------------------------------------------------------------------ per-student input


def test_adding_a_student_with_a_null_price_takes_the_lesson_price(api, tutor, student):
    # reference §3.5: row price = body.priceRub ?? lesson.priceRub
    client = api(tutor)
    lesson = create_lesson(client, priceRub=1200)
    response = client.post(
        f"{BASE}/lessons/{lesson['id']}/students", {"studentId": str(student.id), "priceRub": None}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["students"][0]["priceRub"] == 1200


def test_completion_takes_a_null_use_subscription_flag_as_false(api, tutor, student):
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)], priceRub=1000)
    response = client.patch(
        f"{BASE}/lessons/{lesson['id']}/complete",
        {"students": [{"studentId": str(student.id), "attendance": "attended", "useSubscription": None}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    row = rows_of(lesson["id"])[student.id]
    assert (row.attendance, row.paid_from_subscription) == ("attended", False)


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_a_malformed_student_id_on_another_teachers_lesson_is_lesson_not_found(
    api, tutor, stranger_tutor, student, method
):
    # reference §2.4: the lesson is looked up first (404 LESSON_NOT_FOUND), then the student row
    lesson = create_lesson(api(tutor), studentIds=[str(student.id)])
    path = f"{BASE}/lessons/{lesson['id']}/students/not-a-uuid"
    response = getattr(api(stranger_tutor), method)(path, {"paymentStatus": "paid"}, format="json")
    assert (response.status_code, response.json()["message"]) == (404, "LESSON_NOT_FOUND")
    own = getattr(api(tutor), method)(path, {"paymentStatus": "paid"}, format="json")
    assert (own.status_code, own.json()["message"]) == (404, "STUDENT_NOT_ON_LESSON")


# ------------------------------------------------------------------------------------------ output formats


def test_lesson_series_end_date_is_an_iso_utc_timestamp_like_the_reference(api, tutor):
    # reference getLessonSeries: endDate = series.endDate?.toISOString(); omitted when null
    client = api(tutor)
    create_lesson(client, recurrence={"frequency": "weekly", "endDate": "2030-03-25"})
    create_lesson(client, startAt="2030-04-01T09:00:00Z", recurrence={"frequency": "weekly", "count": 2})
    first, second = client.get(f"{BASE}/lesson-series").json()
    assert first["recurrence"]["endDate"] == "2030-03-25T00:00:00.000Z"
    assert "endDate" not in second["recurrence"]
    assert len(series_lessons(first["id"])) == 4


def test_subject_rows_and_lessons_carry_every_reference_field_with_iso_utc_times(api, tutor):
    client = api(tutor)
    subject = client.post(f"{BASE}/subjects", {"name": "Физика", "colorHex": "#112233"}, format="json")
    assert subject.status_code == 201
    assert set(subject.json()) == {
        "id",
        "teacherId",
        "name",
        "code",
        "colorHex",
        "archivedAt",
        "createdAt",
        "updatedAt",
    }
    assert subject.json()["createdAt"].endswith("Z") and subject.json()["archivedAt"] is None
    Subject.objects.filter(id=subject.json()["id"]).update(archived_at="2030-01-01T10:00:00Z")
    (archived,) = client.get(f"{BASE}/subjects/archived").json()
    assert archived["archivedAt"] == "2030-01-01T10:00:00.000Z"


# ------------------------------------------------------------------------------------------ naive datetimes


def test_a_naive_start_is_wall_clock_time_in_the_teacher_zone(api, make_teacher):
    # the reference ran `new Date(naive)` in the server zone (Moscow, every teacher's); we use the teacher's zone
    berlin = make_teacher("Hans", "Weber", "Europe/Berlin")
    body = create_lesson(api(berlin), startAt="2030-03-04T12:00:00")
    assert body["startAt"] == "2030-03-04T11:00:00.000Z"


def test_a_naive_list_bound_is_wall_clock_time_in_the_teacher_zone_like_the_start(api, tutor):
    client = api(tutor)  # Europe/Moscow
    lesson = create_lesson(client, startAt="2030-03-04T12:00:00")
    assert lesson["startAt"] == "2030-03-04T09:00:00.000Z"
    found = client.get(f"{BASE}/lessons", {"from": "2030-03-04T12:00:00", "to": "2030-03-04T12:00:00"})
    assert [x["id"] for x in found.json()] == [lesson["id"]]
    later = client.get(f"{BASE}/lessons", {"from": "2030-03-04T12:00:01", "to": "2030-03-04T15:00:00"})
    assert later.json() == []


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "0001-01-01T00:00:00+05:00"])
def test_naive_datetimes_at_the_edge_of_the_calendar_are_400_not_500(api, tutor, value):
    client = api(tutor)
    start = client.post(f"{BASE}/lessons", {"startAt": value, "durationMinutes": 60}, format="json")
    recurrence = {"frequency": "weekly", "endDate": value}
    end = client.post(
        f"{BASE}/lessons",
        {"startAt": "2030-03-04T09:00:00Z", "durationMinutes": 60, "recurrence": recurrence},
        format="json",
    )
    listed = client.get(f"{BASE}/lessons", {"from": value, "to": value})
    assert (start.status_code, end.status_code, listed.status_code) == (400, 400, 400)
    assert Lesson.objects.count() == 0
