"""Subscriptions as seen through the teacher's student endpoints (details, archive = student removal)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lessons.models import Lesson, LessonStudent
from subscriptions.models import Subscription

pytestmark = pytest.mark.django_db


def make_sub(tutor, student, **kw) -> Subscription:
    fields = {"type": "lessons", "total_lessons": 5} | kw
    return Subscription.objects.create(teacher=tutor.profile, student=student.profile, **fields)


def charged_lesson(tutor, student, sub, *, days: int) -> Lesson:
    """A lesson row already paid from `sub` (as completion or a subscription-priced lesson leaves it)."""
    lesson = Lesson.objects.create(
        teacher=tutor.profile, start_at=timezone.now() + timedelta(days=days), duration_minutes=60
    )
    LessonStudent.objects.create(
        lesson=lesson,
        student=student.profile,
        price_rub=0,
        payment_type="subscription",
        payment_status="paid",
        paid_from_subscription=True,
        subscription=sub,
    )
    Subscription.objects.filter(id=sub.id).update(used_lessons=sub.used_lessons + 1)
    sub.refresh_from_db()
    return lesson


def test_the_student_details_carry_the_subscription(api, tutor, student):
    assert api(tutor).get(f"/api/teachers/me/students/{student.id}").json()["subscription"] is None
    sub = make_sub(tutor, student, used_lessons=2)
    body = api(tutor).get(f"/api/teachers/me/students/{student.id}").json()
    assert body["subscription"]["id"] == str(sub.id)
    assert body["subscription"]["remainingLessons"] == 3 and body["subscription"]["isActive"] is True


def test_removing_a_student_refunds_their_charged_future_lessons_but_keeps_the_past(api, tutor, student):
    sub = make_sub(tutor, student)
    charged_lesson(tutor, student, sub, days=-3)
    future = charged_lesson(tutor, student, sub, days=3)
    assert sub.used_lessons == 2
    response = api(tutor).delete(f"/api/teachers/me/students/{student.id}", {}, format="json")
    assert response.status_code == 200, response.json()
    sub.refresh_from_db()
    assert sub.used_lessons == 1
    assert not LessonStudent.objects.filter(lesson=future, student=student.profile).exists()
