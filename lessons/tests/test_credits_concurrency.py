"""Make-up credits under concurrency (PostgreSQL): 8 parallel make-up bookings on one credit book exactly one
lesson; the other seven are 409 NO_MAKEUP_CREDITS and create nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lessons.models import Lesson
from lessons.services.lessons import lesson_create
from subscriptions.models import MakeUpCredit
from subscriptions.tests.test_concurrency import run_parallel
from tutorcal.errors import DomainError

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_parallel_makeup_bookings_spend_the_one_credit_once(tutor, student):
    MakeUpCredit.objects.create(
        teacher=tutor.profile, student=student.profile, expires_at=timezone.now() + timedelta(days=30)
    )
    start = timezone.now() + timedelta(days=2)

    def book(i):
        try:
            lesson_create(
                teacher=tutor.profile,
                start_at=start + timedelta(hours=i),
                duration_minutes=60,
                student_ids=[student.id],
                payment_type="makeup",
            )
            return "booked"
        except DomainError as exc:
            return exc.code

    results = run_parallel(book)
    assert sorted(results) == ["NO_MAKEUP_CREDITS"] * 7 + ["booked"]
    assert Lesson.objects.count() == 1
    credit = MakeUpCredit.objects.get()
    assert credit.spent_lesson_id == Lesson.objects.get().id
