import pytest

from lessons.models import Lesson, LessonStudent
from lessons.services.completion import lesson_complete
from lessons.tests.calendar_helpers import BASE, create_lesson, rows_of
from subscriptions.models import Subscription
from tutorcal.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.fixture
def package(tutor, student):
    return Subscription.objects.create(teacher=tutor.profile, student=student.profile, type="lessons", total_lessons=5)


def complete(client, lesson_id, *entries):
    return client.patch(f"{BASE}/lessons/{lesson_id}/complete", {"students": list(entries)}, format="json")


def entry(student, attendance="attended", **extra):
    return {"studentId": str(student.id), "attendance": attendance, **extra}


def test_completing_marks_attendance_rating_payment_and_done(api, tutor, student, make_student):
    client = api(tutor)
    other = make_student("Ольга", "С", teacher=tutor)
    lesson = create_lesson(client, studentIds=[str(student.id), str(other.id)], priceRub=900)
    response = complete(
        client, lesson["id"], entry(student, rating=4, paymentStatus="paid"), entry(other, "missed", rating=5)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "done"
    rows = {r["studentId"]: r for r in body["students"]}
    assert (rows[str(student.id)]["attendance"], rows[str(student.id)]["rating"]) == ("attended", 4)
    assert rows[str(student.id)]["paymentStatus"] == "paid"
    assert (rows[str(other.id)]["attendance"], rows[str(other.id)]["rating"]) == ("missed", None)
    assert rows[str(other.id)]["paymentStatus"] == "unpaid"


def test_entries_for_students_not_on_the_lesson_are_ignored(api, tutor, student, stranger_student):
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)])
    response = complete(client, lesson["id"], entry(stranger_student))
    assert response.status_code == 200
    assert rows_of(lesson["id"])[student.id].attendance == "unknown"
    assert not LessonStudent.objects.filter(student=stranger_student.profile).exists()


def test_completion_charges_a_subscription_once_and_is_idempotent(api, tutor, student, package):
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)], priceRub=900)
    for _ in range(3):
        body = complete(client, lesson["id"], entry(student, useSubscription=True)).json()
    (row,) = body["students"]
    assert (row["paymentType"], row["paidFromSubscription"], row["paymentStatus"], row["priceRub"]) == (
        "subscription",
        True,
        "paid",
        0,
    )
    package.refresh_from_db()
    assert package.used_lessons == 1
    assert rows_of(lesson["id"])[student.id].subscription_id == package.id


def test_switching_to_missed_refunds_the_subscription_lesson(api, tutor, student, package):
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)], priceRub=900)
    complete(client, lesson["id"], entry(student, useSubscription=True))
    body = complete(client, lesson["id"], entry(student, "missed")).json()
    (row,) = body["students"]
    assert (row["paidFromSubscription"], row["paymentStatus"]) == (False, "unpaid")
    package.refresh_from_db()
    assert package.used_lessons == 0
    complete(client, lesson["id"], entry(student, useSubscription=True))
    package.refresh_from_db()
    assert package.used_lessons == 1


def test_without_a_usable_subscription_the_payment_status_applies(api, tutor, student):
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)], priceRub=900)
    (row,) = complete(client, lesson["id"], entry(student, useSubscription=True, paymentStatus="paid")).json()[
        "students"
    ]
    assert (row["paidFromSubscription"], row["paymentStatus"], row["paymentType"]) == (False, "paid", "fixed")


def test_cancelling_or_deleting_a_lesson_and_removing_a_student_refund(api, tutor, student, package):
    client = api(tutor)
    lessons = [
        create_lesson(client, studentIds=[str(student.id)], startAt=f"2030-03-0{d}T09:00:00Z") for d in (4, 5, 6)
    ]
    for lesson in lessons:
        complete(client, lesson["id"], entry(student, useSubscription=True))
    package.refresh_from_db()
    assert package.used_lessons == 3
    client.patch(f"{BASE}/lessons/{lessons[0]['id']}", {"status": "cancelled"}, format="json")
    client.delete(f"{BASE}/lessons/{lessons[1]['id']}")
    client.delete(f"{BASE}/lessons/{lessons[2]['id']}/students/{student.id}")
    package.refresh_from_db()
    assert package.used_lessons == 0
    assert rows_of(lessons[0]["id"])[student.id].paid_from_subscription is False


def test_a_cancelled_lesson_cannot_be_completed(api, tutor, student):
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)])
    Lesson.objects.filter(id=lesson["id"]).update(status="cancelled")
    response = complete(client, lesson["id"], entry(student))
    assert response.status_code == 409
    assert response.json() == {"statusCode": 409, "message": "LESSON_CANCELLED", "error": "Conflict"}
    assert rows_of(lesson["id"])[student.id].attendance == "unknown"
    with pytest.raises(DomainError, match="LESSON_CANCELLED"):
        lesson_complete(teacher=tutor.profile, lesson_id=lesson["id"], students=[])


def test_the_service_takes_snake_case_entries_for_the_bot(tutor, student, api):
    lesson = create_lesson(api(tutor), studentIds=[str(student.id)])
    done = lesson_complete(
        teacher=tutor.profile, lesson_id=lesson["id"], students=[{"student_id": student.id, "attendance": "attended"}]
    )
    assert done.status == "done"
    assert rows_of(lesson["id"])[student.id].attendance == "attended"


@pytest.mark.parametrize(
    "students",
    [
        None,
        "all",
        [{"studentId": "{s}", "attendance": "maybe"}],
        [{"studentId": "{s}", "attendance": "attended", "rating": 7}],
        [{"studentId": "{s}", "attendance": "attended", "rating": -1}],
        [{"studentId": "{s}", "attendance": "attended", "paymentStatus": "prepaid"}],
        [{"studentId": "nope", "attendance": "attended"}],
        [{"attendance": "attended"}],
    ],
)
def test_bad_completion_input_is_400_and_writes_nothing(api, tutor, student, students):
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)])
    if isinstance(students, list):
        students = [{k: (str(student.id) if v == "{s}" else v) for k, v in e.items()} for e in students]
    body = {} if students is None else {"students": students}
    response = client.patch(f"{BASE}/lessons/{lesson['id']}/complete", body, format="json")
    assert response.status_code == 400
    assert Lesson.objects.get(id=lesson["id"]).status == "planned"
    assert rows_of(lesson["id"])[student.id].attendance == "unknown"


def test_completion_runs_constant_queries(api, tutor, make_student, django_assert_max_num_queries):
    client = api(tutor)
    students = [make_student(f"S{i}", "X", teacher=tutor) for i in range(8)]
    lesson = create_lesson(client, studentIds=[str(s.id) for s in students])
    with django_assert_max_num_queries(18):  # +6: the balance messages (botapp.services.money), constant too
        complete(client, lesson["id"], *[entry(s, rating=5, paymentStatus="paid") for s in students])


# ------------------------------------------------------------------------------------------ per-student


def test_adding_a_student_uses_the_lesson_price_or_the_given_one(api, tutor, student, make_student):
    client = api(tutor)
    other = make_student("Ольга", "С", teacher=tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)], priceRub=800)
    response = client.post(f"{BASE}/lessons/{lesson['id']}/students", {"studentId": str(other.id)}, format="json")
    assert response.status_code == 201
    assert response.json()["isGroupLesson"] is True
    assert rows_of(lesson["id"])[other.id].price_rub == 800
    third = make_student("Third", "X", teacher=tutor)
    client.post(f"{BASE}/lessons/{lesson['id']}/students", {"studentId": str(third.id), "priceRub": 500}, format="json")
    assert rows_of(lesson["id"])[third.id].price_rub == 500


def test_adding_to_a_free_lesson_is_free(api, tutor, student, make_student):
    client = api(tutor)
    other = make_student("Ольга", "С", teacher=tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)], isFree=True)
    client.post(f"{BASE}/lessons/{lesson['id']}/students", {"studentId": str(other.id), "priceRub": 500}, format="json")
    row = rows_of(lesson["id"])[other.id]
    assert (row.price_rub, row.payment_type) == (0, "free")


def test_adding_twice_or_an_unlinked_student_is_refused(api, tutor, student, stranger_student):
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)])
    url = f"{BASE}/lessons/{lesson['id']}/students"
    again = client.post(url, {"studentId": str(student.id)}, format="json")
    assert (again.status_code, again.json()["message"]) == (409, "STUDENT_ALREADY_ON_LESSON")
    foreign = client.post(url, {"studentId": str(stranger_student.id)}, format="json")
    assert (foreign.status_code, foreign.json()["message"]) == (403, "STUDENT_NOT_LINKED")
    assert client.post(url, {"studentId": "bad"}, format="json").status_code == 400
    assert client.post(url, {"studentId": str(student.id), "priceRub": -3}, format="json").status_code == 400


def test_removing_a_student_returns_the_lesson_and_404s_when_absent(api, tutor, student):
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)])
    response = client.delete(f"{BASE}/lessons/{lesson['id']}/students/{student.id}")
    assert response.status_code == 200 and response.json()["students"] == []
    again = client.delete(f"{BASE}/lessons/{lesson['id']}/students/{student.id}")
    assert (again.status_code, again.json()["message"]) == (404, "STUDENT_NOT_ON_LESSON")
    bad = client.delete(f"{BASE}/lessons/{lesson['id']}/students/xyz")
    assert (bad.status_code, bad.json()["message"]) == (404, "STUDENT_NOT_ON_LESSON")


def test_patching_a_students_payment_status(api, tutor, student):
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)], priceRub=100)
    url = f"{BASE}/lessons/{lesson['id']}/students/{student.id}"
    response = client.patch(url, {"paymentStatus": "paid"}, format="json")
    assert response.status_code == 200
    assert response.json()["success"] is True and response.json()["paymentStatus"] == "paid"
    assert client.patch(url, {"paymentStatus": "prepaid"}, format="json").status_code == 400
    assert rows_of(lesson["id"])[student.id].payment_status == "paid"


def test_the_bulk_route_is_reachable_and_applies_to_every_row(api, tutor, student, make_student, package):
    client = api(tutor)
    other = make_student("Ольга", "С", teacher=tutor)
    lesson = create_lesson(client, studentIds=[str(student.id), str(other.id)], priceRub=600)
    url = f"{BASE}/lessons/{lesson['id']}/students/bulk"
    complete(client, lesson["id"], entry(student, useSubscription=True), entry(other, "unknown"))
    body = client.patch(url, {"action": "set_rating", "value": 5}, format="json").json()
    assert {r["studentId"]: r["rating"] for r in body["students"]} == {str(student.id): 5, str(other.id): None}
    body = client.patch(url, {"action": "set_attendance", "value": "attended"}, format="json").json()
    assert {r["attendance"] for r in body["students"]} == {"attended"}
    body = client.patch(url, {"action": "set_payment", "value": "paid"}, format="json").json()
    assert {r["paymentStatus"] for r in body["students"]} == {"paid"}
    body = client.patch(url, {"action": "set_attendance", "value": "missed"}, format="json").json()
    assert {(r["attendance"], r["rating"], r["paymentStatus"]) for r in body["students"]} == {
        ("missed", None, "unpaid")
    }
    package.refresh_from_db()
    assert package.used_lessons == 0
    assert body["status"] == "done"


@pytest.mark.parametrize(
    "body",
    [
        {"action": "set_attendance", "value": "late"},
        {"action": "set_rating", "value": 7},
        {"action": "set_rating", "value": "5"},
        {"action": "set_payment", "value": "prepaid"},
        {"action": "delete_all", "value": 1},
        {"value": 1},
    ],
)
def test_bad_bulk_input_is_400(api, tutor, student, body):
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)])
    assert client.patch(f"{BASE}/lessons/{lesson['id']}/students/bulk", body, format="json").status_code == 400
    assert rows_of(lesson["id"])[student.id].attendance == "unknown"


def _group_with_packages(tutor, size):
    from accounts.models import TeacherStudentLink
    from accounts.tests.factories import StudentProfileFactory
    from lessons.tests.factories import LessonFactory

    students = StudentProfileFactory.create_batch(size)
    TeacherStudentLink.objects.bulk_create([TeacherStudentLink(teacher=tutor.profile, student=s) for s in students])
    Subscription.objects.bulk_create(
        [Subscription(teacher=tutor.profile, student=s, type="lessons", total_lessons=5) for s in students]
    )
    lesson = LessonFactory(teacher=tutor.profile, students=students, days=-1)
    return lesson, [{"studentId": str(s.id), "attendance": "attended", "useSubscription": True} for s in students]


def test_completing_with_packages_runs_the_same_queries_for_1_and_20_students(
    api, tutor, django_assert_max_num_queries
):
    client = api(tutor)
    small, small_entries = _group_with_packages(tutor, 1)
    big, big_entries = _group_with_packages(tutor, 20)
    with django_assert_max_num_queries(27) as one:  # incl. the balance messages (constant)
        assert complete(client, small.id, *small_entries).status_code == 200
    with django_assert_max_num_queries(27) as twenty:
        assert complete(client, big.id, *big_entries).status_code == 200
    assert len(twenty.captured_queries) == len(one.captured_queries)
    assert LessonStudent.objects.filter(lesson=big, paid_from_subscription=True).count() == 20
    assert set(Subscription.objects.filter(lesson_rows__lesson=big).values_list("used_lessons", flat=True)) == {1}


def test_patching_status_done_on_a_cancelled_lesson_is_409_and_changes_nothing(api, tutor, student):
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)])
    assert client.patch(f"{BASE}/lessons/{lesson['id']}", {"status": "cancelled"}, format="json").status_code == 200
    response = client.patch(f"{BASE}/lessons/{lesson['id']}", {"status": "done"}, format="json")
    assert response.status_code == 409 and response.json()["message"] == "LESSON_CANCELLED"
    assert Lesson.objects.get(id=lesson["id"]).status == "cancelled"


def test_patching_status_done_runs_the_completion_flow(api, tutor, student, django_capture_on_commit_callbacks):
    from tutorcal import events

    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs["lesson_ids"])

    events.lesson_completed.connect(receiver)
    try:
        client = api(tutor)
        lesson = create_lesson(client, studentIds=[str(student.id)])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.patch(f"{BASE}/lessons/{lesson['id']}", {"status": "done"}, format="json")
    finally:
        events.lesson_completed.disconnect(receiver)
    assert response.status_code == 200 and response.json()["status"] == "done"
    assert [str(x) for ids in seen for x in ids] == [lesson["id"]]
