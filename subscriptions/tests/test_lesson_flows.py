"""Consumption and refunds through the lesson endpoints (decisions §4: completion idempotent and reversible)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lessons.models import Lesson, LessonStudent
from subscriptions.models import Subscription

pytestmark = pytest.mark.django_db


def make_sub(tutor, student, **kw) -> Subscription:
    fields = {"type": "lessons", "total_lessons": 5} | kw
    return Subscription.objects.create(teacher=tutor.profile, student=student.profile, **fields)


def make_lesson(tutor, *students, days: int = -1, price: int = 1500) -> Lesson:
    lesson = Lesson.objects.create(
        teacher=tutor.profile, start_at=timezone.now() + timedelta(days=days), duration_minutes=60, price_rub=price
    )
    for s in students:
        LessonStudent.objects.create(lesson=lesson, student=s.profile, price_rub=price)
    return lesson


def complete(client, lesson, *entries):
    return client.patch(f"/api/teachers/me/lessons/{lesson.id}/complete", {"students": list(entries)}, format="json")


def attended(student, use=True) -> dict:
    return {"studentId": str(student.id), "attendance": "attended", "useSubscription": use}


def used(sub) -> int:
    sub.refresh_from_db()
    return sub.used_lessons


def test_completing_with_use_subscription_charges_one_lesson_and_marks_the_row_paid(api, tutor, student):
    sub = make_sub(tutor, student)
    lesson = make_lesson(tutor, student)
    response = complete(api(tutor), lesson, attended(student))
    assert response.status_code == 200, response.json()
    assert used(sub) == 1
    row = LessonStudent.objects.get(lesson=lesson)
    assert row.paid_from_subscription and row.subscription_id == sub.id
    assert (row.payment_type, row.payment_status) == ("subscription", "paid")
    students = response.json()["students"]
    assert students[0]["paidFromSubscription"] is True and students[0]["paymentType"] == "subscription"


def test_re_completing_a_lesson_never_charges_twice(api, tutor, student):
    sub = make_sub(tutor, student)
    lesson = make_lesson(tutor, student)
    client = api(tutor)
    for _ in range(3):
        assert complete(client, lesson, attended(student)).status_code == 200
    assert used(sub) == 1


def test_without_use_subscription_nothing_is_charged(api, tutor, student):
    sub = make_sub(tutor, student)
    lesson = make_lesson(tutor, student)
    assert complete(api(tutor), lesson, attended(student, use=False)).status_code == 200
    assert used(sub) == 0


def test_a_used_up_subscription_falls_back_to_the_sent_payment_status(api, tutor, student):
    sub = make_sub(tutor, student, total_lessons=1, used_lessons=1)
    lesson = make_lesson(tutor, student)
    entry = attended(student) | {"paymentStatus": "unpaid"}
    assert complete(api(tutor), lesson, entry).status_code == 200
    assert used(sub) == 1
    row = LessonStudent.objects.get(lesson=lesson)
    assert not row.paid_from_subscription and row.payment_status == "unpaid" and row.subscription_id is None


def test_an_expired_date_subscription_charges_nothing(api, tutor, student):
    sub = make_sub(tutor, student, type="date", total_lessons=None, expires_at=timezone.now() - timedelta(minutes=1))
    lesson = make_lesson(tutor, student)
    assert complete(api(tutor), lesson, attended(student)).status_code == 200
    assert used(sub) == 0
    assert not LessonStudent.objects.get(lesson=lesson).paid_from_subscription


def test_switching_to_missed_refunds_the_lesson(api, tutor, student):
    sub = make_sub(tutor, student)
    lesson = make_lesson(tutor, student)
    client = api(tutor)
    complete(client, lesson, attended(student))
    assert used(sub) == 1
    response = complete(client, lesson, {"studentId": str(student.id), "attendance": "missed"})
    assert response.status_code == 200
    assert used(sub) == 0
    row = LessonStudent.objects.get(lesson=lesson)
    assert not row.paid_from_subscription and row.subscription_id is None and row.payment_status == "unpaid"
    # And back to attended charges exactly once again.
    complete(client, lesson, attended(student))
    assert used(sub) == 1


def test_bulk_missed_refunds_the_lesson(api, tutor, student):
    sub = make_sub(tutor, student)
    lesson = make_lesson(tutor, student)
    client = api(tutor)
    complete(client, lesson, attended(student))
    response = client.patch(
        f"/api/teachers/me/lessons/{lesson.id}/students/bulk",
        {"action": "set_attendance", "value": "missed"},
        format="json",
    )
    assert response.status_code == 200
    assert used(sub) == 0


def test_cancelling_a_charged_lesson_refunds_it(api, tutor, student):
    sub = make_sub(tutor, student)
    lesson = make_lesson(tutor, student)
    client = api(tutor)
    complete(client, lesson, attended(student))
    response = client.patch(
        f"/api/teachers/me/lessons/{lesson.id}", {"status": "cancelled", "cancelledBy": "teacher"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert used(sub) == 0


def test_deleting_a_charged_lesson_refunds_it(api, tutor, student):
    sub = make_sub(tutor, student)
    lesson = make_lesson(tutor, student)
    client = api(tutor)
    complete(client, lesson, attended(student))
    assert client.delete(f"/api/teachers/me/lessons/{lesson.id}").status_code == 200
    assert used(sub) == 0


def test_removing_the_student_from_a_charged_lesson_refunds_it(api, tutor, student):
    sub = make_sub(tutor, student)
    lesson = make_lesson(tutor, student)
    client = api(tutor)
    complete(client, lesson, attended(student))
    assert client.delete(f"/api/teachers/me/lessons/{lesson.id}/students/{student.id}").status_code == 200
    assert used(sub) == 0


def test_a_refund_goes_back_to_the_subscription_that_paid_even_after_it_was_replaced(api, tutor, student):
    old = make_sub(tutor, student)
    lesson = make_lesson(tutor, student)
    client = api(tutor)
    complete(client, lesson, attended(student))
    client.delete(f"/api/teachers/me/subscriptions/{old.id}")
    new = make_sub(tutor, student, total_lessons=3)
    client.delete(f"/api/teachers/me/lessons/{lesson.id}")
    assert (used(old), used(new)) == (0, 0)


def test_a_group_lesson_charges_each_student_their_own_subscription(api, tutor, student, make_student):
    other = make_student("Олег", teacher=tutor)
    mine, theirs = make_sub(tutor, student), make_sub(tutor, other)
    lesson = make_lesson(tutor, student, other)
    response = complete(
        api(tutor),
        lesson,
        attended(student),
        {"studentId": str(other.id), "attendance": "missed", "useSubscription": True},
    )
    assert response.status_code == 200
    assert (used(mine), used(theirs)) == (1, 0)


def test_the_subscription_is_charged_only_with_the_lessons_teacher(api, tutor, student, stranger_tutor):
    from accounts.models import TeacherStudentLink

    TeacherStudentLink.objects.create(teacher=stranger_tutor.profile, student=student.profile)
    foreign = make_sub(stranger_tutor, student)
    lesson = make_lesson(tutor, student)
    complete(api(tutor), lesson, attended(student))
    assert used(foreign) == 0


def test_creating_a_subscription_lesson_prices_it_zero_for_that_student(api, tutor, student):
    make_sub(tutor, student)
    response = api(tutor).post(
        "/api/teachers/me/lessons",
        {
            "startAt": (timezone.now() + timedelta(days=1)).isoformat(),
            "durationMinutes": 60,
            "priceRub": 2000,
            "studentIds": [str(student.id)],
            "paymentType": "subscription",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    row = response.json()["students"][0]
    assert (row["priceRub"], row["paymentType"]) == (0, "subscription")


def test_a_student_cancel_refunds_the_package_and_unlinks_the_row_from_it(api, tutor, student, make_student):
    sub = make_sub(tutor, student, used_lessons=1)
    other = make_student("Ольга", "С", teacher=tutor)
    lesson = make_lesson(tutor, student, other, days=2)
    LessonStudent.objects.filter(lesson=lesson, student=student.profile).update(
        paid_from_subscription=True, subscription=sub, payment_type="subscription", payment_status="paid"
    )
    response = api(student).post(f"/api/students/me/lessons/{lesson.id}/cancel")
    assert response.status_code == 201, response.json()
    row = LessonStudent.objects.get(lesson=lesson, student=student.profile)
    assert used(sub) == 0
    assert (row.paid_from_subscription, row.subscription_id, row.payment_status) == (False, None, "unpaid")
