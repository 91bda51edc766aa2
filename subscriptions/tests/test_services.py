from datetime import timedelta

import pytest
from django.utils import timezone

from subscriptions.models import Subscription
from subscriptions.selectors import active_subscription, subscription_json, subscriptions_by_student
from subscriptions.services import subscription_consume, subscription_refund
from tutorcal import events

pytestmark = pytest.mark.django_db


def make_sub(tutor, student, **kw):
    fields = {"type": "lessons", "total_lessons": 2} | kw
    return Subscription.objects.create(teacher=tutor.profile, student=student.profile, **fields)


@pytest.fixture
def updates():
    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    events.subscription_updated.connect(receiver, weak=False)
    yield seen
    events.subscription_updated.disconnect(receiver)


def test_it_consumes_one_lesson_and_stops_at_the_total(tutor, student):
    sub = make_sub(tutor, student)
    first = subscription_consume(teacher_id=tutor.id, student_id=student.id)
    second = subscription_consume(teacher_id=tutor.id, student_id=student.id)
    third = subscription_consume(teacher_id=tutor.id, student_id=student.id)
    assert first.id == sub.id and first.used_lessons == 1
    assert second.used_lessons == 2
    assert third is None
    sub.refresh_from_db()
    assert sub.used_lessons == 2


def test_it_sends_subscription_updated_on_consume_and_refund(
    tutor, student, updates, django_capture_on_commit_callbacks
):
    sub = make_sub(tutor, student)
    with django_capture_on_commit_callbacks(execute=True):
        subscription_consume(teacher_id=tutor.id, student_id=student.id)
        subscription_refund(subscription_id=sub.id)
    assert (
        updates
        == [
            {
                "teacher_id": tutor.id,
                "student_id": student.id,
                "subscription_id": sub.id,
                "signal": events.subscription_updated,
            },
        ]
        * 2
    )


def test_it_returns_none_without_a_subscription(tutor, student):
    assert subscription_consume(teacher_id=tutor.id, student_id=student.id) is None


def test_it_never_charges_a_deleted_subscription(tutor, student):
    make_sub(tutor, student, deleted_at=timezone.now())
    assert subscription_consume(teacher_id=tutor.id, student_id=student.id) is None


def test_a_date_subscription_counts_lessons_until_it_expires(tutor, student):
    sub = make_sub(tutor, student, type="date", total_lessons=None, expires_at=timezone.now() + timedelta(days=3))
    for _ in range(5):
        assert subscription_consume(teacher_id=tutor.id, student_id=student.id) is not None
    sub.refresh_from_db()
    assert sub.used_lessons == 5
    Subscription.objects.filter(id=sub.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert subscription_consume(teacher_id=tutor.id, student_id=student.id) is None


def test_it_never_charges_another_teachers_subscription(tutor, student, stranger_tutor):
    make_sub(stranger_tutor, student)
    assert subscription_consume(teacher_id=tutor.id, student_id=student.id) is None


def test_a_refund_gives_one_lesson_back_and_never_goes_below_zero(tutor, student):
    sub = make_sub(tutor, student, used_lessons=1)
    assert subscription_refund(subscription_id=sub.id) is True
    assert subscription_refund(subscription_id=sub.id) is False
    sub.refresh_from_db()
    assert sub.used_lessons == 0


def test_a_refund_reaches_a_used_up_and_deleted_subscription(tutor, student):
    sub = make_sub(tutor, student, used_lessons=2, deleted_at=timezone.now())
    assert subscription_refund(subscription_id=sub.id) is True
    sub.refresh_from_db()
    assert sub.used_lessons == 1


def test_a_refund_without_a_subscription_does_nothing():
    assert subscription_refund(subscription_id=None) is False


def test_the_bulk_helper_reads_many_students_in_one_query(tutor, make_student, django_assert_num_queries):
    students = [make_student(f"S{i}", teacher=tutor) for i in range(5)]
    for s in students[:3]:
        make_sub(tutor, s)
    with django_assert_num_queries(1):
        found = subscriptions_by_student(tutor.id, [s.id for s in students])
    assert set(found) == {s.id for s in students[:3]}
    assert subscription_json(found.get(students[4].id)) is None
    assert active_subscription(tutor.id, students[0].id).id == found[students[0].id].id


def test_a_bulk_refund_returns_one_lesson_per_row_in_constant_queries(
    tutor, student, stranger_tutor, django_assert_num_queries
):
    from accounts.models import TeacherStudentLink
    from subscriptions.services import subscription_refund_many

    TeacherStudentLink.objects.create(teacher=stranger_tutor.profile, student=student.profile)
    a = make_sub(tutor, student, total_lessons=10, used_lessons=5)
    b = make_sub(stranger_tutor, student, total_lessons=10, used_lessons=1)
    with django_assert_num_queries(4):  # SAVEPOINT, UPDATE, SELECT, RELEASE — whatever the number of rows
        assert subscription_refund_many(subscription_ids=[a.id, a.id, a.id, b.id, b.id, None]) == 2
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.used_lessons, b.used_lessons) == (2, 0)
    assert subscription_refund_many(subscription_ids=[]) == 0
