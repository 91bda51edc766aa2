"""Concurrency on PostgreSQL: every thread has its own database connection (closed at thread end)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from subscriptions.models import Subscription
from subscriptions.services import subscription_consume, subscription_create, subscription_refund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 8


def run_parallel(fn, n: int = WORKERS) -> list:
    """Run fn(i) in n threads released together by a barrier; each thread closes its own connection."""
    barrier = threading.Barrier(n)

    def worker(i):
        try:
            barrier.wait(timeout=10)
            return fn(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(worker, range(n)))


def make_sub(tutor, student, **kw) -> Subscription:
    fields = {"type": "lessons", "total_lessons": 10} | kw
    return Subscription.objects.create(teacher=tutor.profile, student=student.profile, **fields)


def test_eight_parallel_consumers_take_exactly_the_two_lessons_left(tutor, student):
    sub = make_sub(tutor, student, used_lessons=8)

    def consume(_):
        with transaction.atomic():
            charged = subscription_consume(teacher_id=tutor.id, student_id=student.id)
            time.sleep(0.05)  # keep the row lock while the others queue up behind it
            return charged

    results = run_parallel(consume)
    assert sum(r is not None for r in results) == 2
    sub.refresh_from_db()
    assert sub.used_lessons == 10


def test_parallel_consumers_never_lose_a_count(tutor, student):
    sub = make_sub(tutor, student, total_lessons=100)

    def consume_five(_):
        return sum(subscription_consume(teacher_id=tutor.id, student_id=student.id) is not None for _ in range(5))

    assert sum(run_parallel(consume_five)) == 40
    sub.refresh_from_db()
    assert sub.used_lessons == 40


def test_parallel_refunds_never_lose_a_count_nor_go_below_zero(tutor, student):
    sub = make_sub(tutor, student, used_lessons=6)

    def refund(_):
        return subscription_refund(subscription_id=sub.id)

    assert sum(run_parallel(refund)) == 6
    sub.refresh_from_db()
    assert sub.used_lessons == 0


def test_a_date_subscription_counts_every_parallel_lesson(tutor, student):
    from datetime import timedelta

    from django.utils import timezone

    sub = make_sub(tutor, student, type="date", total_lessons=None, expires_at=timezone.now() + timedelta(days=30))
    results = run_parallel(lambda _: subscription_consume(teacher_id=tutor.id, student_id=student.id))
    assert all(r is not None for r in results)
    sub.refresh_from_db()
    assert sub.used_lessons == WORKERS


def test_two_parallel_creates_leave_exactly_one_subscription_and_the_loser_gets_409(api, tutor, make_student):
    students = [make_student(f"Гонка{i}", teacher=tutor) for i in range(5)]
    for s in students:
        clients = [api(tutor), api(tutor)]

        def create(i, s=s, clients=clients):
            return clients[i].post(
                f"/api/teachers/me/students/{s.id}/subscription",
                {"type": "lessons", "totalLessons": 4 + i},
                format="json",
            )

        responses = run_parallel(create, n=2)
        assert sorted(r.status_code for r in responses) == [201, 409]
        loser = next(r for r in responses if r.status_code == 409)
        assert loser.json()["message"] == "SUBSCRIPTION_ALREADY_EXISTS"
        assert Subscription.objects.filter(student=s.profile, deleted_at__isnull=True).count() == 1


def test_a_create_that_loses_the_race_at_the_database_gets_409_not_500(api, tutor, student):
    """Force the interleaving: A inserts (uncommitted), B passes the existence check and blocks on the unique
    index until A commits, then the constraint rejects B."""
    inserted = threading.Event()

    def first():
        try:
            with transaction.atomic():
                subscription_create(teacher_id=tutor.id, student_id=student.id, type="lessons", total_lessons=3)
                inserted.set()
                time.sleep(0.5)
        finally:
            connection.close()

    def second():
        try:
            inserted.wait(timeout=10)
            return api(tutor).post(
                f"/api/teachers/me/students/{student.id}/subscription",
                {"type": "lessons", "totalLessons": 9},
                format="json",
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        a = pool.submit(first)
        b = pool.submit(second)
        a.result()
        response = b.result()
    assert response.status_code == 409
    assert response.json()["message"] == "SUBSCRIPTION_ALREADY_EXISTS"
    assert list(Subscription.objects.values_list("total_lessons", flat=True)) == [3]


def test_a_restore_that_loses_the_race_at_the_database_gets_409_not_500(api, tutor, student):
    from django.utils import timezone

    old = make_sub(tutor, student, deleted_at=timezone.now())
    inserted = threading.Event()

    def first():
        try:
            with transaction.atomic():
                subscription_create(teacher_id=tutor.id, student_id=student.id, type="lessons", total_lessons=3)
                inserted.set()
                time.sleep(0.5)
        finally:
            connection.close()

    def second():
        try:
            inserted.wait(timeout=10)
            return api(tutor).post(f"/api/teachers/me/subscriptions/{old.id}/restore")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        a = pool.submit(first)
        b = pool.submit(second)
        a.result()
        response = b.result()
    assert response.status_code == 409
    assert response.json()["message"] == "ANOTHER_SUBSCRIPTION_EXISTS"
    old.refresh_from_db()
    assert old.deleted_at is not None


# --- end to end through PATCH /api/teachers/me/lessons/:id/complete ---------------------------------------


def make_lesson(tutor, student):
    from datetime import timedelta

    from django.utils import timezone

    from lessons.models import Lesson, LessonStudent

    lesson = Lesson.objects.create(
        teacher=tutor.profile, start_at=timezone.now() - timedelta(hours=2), duration_minutes=60, price_rub=1000
    )
    LessonStudent.objects.create(lesson=lesson, student=student.profile, price_rub=1000)
    return lesson


def complete_in_parallel(api, tutor, student, lessons) -> list:
    clients = [api(tutor) for _ in lessons]
    body = {"students": [{"studentId": str(student.id), "attendance": "attended", "useSubscription": True}]}

    def complete(i):
        return clients[i].patch(f"/api/teachers/me/lessons/{lessons[i].id}/complete", body, format="json")

    return run_parallel(complete, n=len(lessons))


def test_eight_clients_completing_the_same_and_different_lessons_consume_exactly_the_two_left(api, tutor, student):
    from lessons.models import LessonStudent

    sub = make_sub(tutor, student, used_lessons=8)
    same = make_lesson(tutor, student)
    others = [make_lesson(tutor, student) for _ in range(4)]
    # 4 clients complete the same lesson, 4 complete one different lesson each: 5 lessons want a charge, 2 are left.
    responses = complete_in_parallel(api, tutor, student, [same] * 4 + others)
    assert [r.status_code for r in responses] == [200] * 8
    sub.refresh_from_db()
    assert sub.used_lessons == 10
    paid = LessonStudent.objects.filter(student=student.profile, paid_from_subscription=True)
    assert paid.count() == 2
    assert set(paid.values_list("subscription_id", flat=True)) == {sub.id}


def test_eight_clients_completing_the_same_lesson_charge_it_once(api, tutor, student):
    sub = make_sub(tutor, student, used_lessons=2)
    lesson = make_lesson(tutor, student)
    responses = complete_in_parallel(api, tutor, student, [lesson] * 8)
    assert [r.status_code for r in responses] == [200] * 8
    sub.refresh_from_db()
    assert sub.used_lessons == 3
