"""Per-student writes on a teacher's lesson: add, remove, update one row, bulk attendance/rating/payment."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import TeacherProfile
from lessons.models import Lesson, LessonStudent, WaitlistEntry
from subscriptions.services import subscription_refund_many
from tutorcal import events
from tutorcal.errors import DomainError

from ._common import (
    ACTOR,
    _check_linked,
    _clear_subscription,
    _lesson_for_update,
    _refund_rows,
    _row_terms,
    lock_in_order,
)
from .waitlist import free_seats, waitlist_add, waitlist_promote


def lesson_student_add(
    *, teacher: TeacherProfile, lesson_id, student_id, price_rub: int | None = None, actor: str = ACTOR
) -> LessonStudent | None:
    """Seat a linked student on the lesson, or queue them when it is full (returns None then)."""
    with transaction.atomic():
        lesson = _lesson_for_update(teacher=teacher, lesson_id=lesson_id)
        _check_linked(teacher=teacher, student_ids=[student_id])
        if LessonStudent.objects.filter(lesson_id=lesson.id, student_id=student_id).exists():
            raise DomainError("STUDENT_ALREADY_ON_LESSON")
        if free_seats(lesson) == 0:  # a full group lesson: the student queues for the next free seat
            if not waitlist_add(lesson=lesson, student_ids=[student_id]):
                raise DomainError("STUDENT_ALREADY_ON_LESSON")
            Lesson.objects.filter(id=lesson.id).update(updated_at=timezone.now())
            events.announce(
                events.lesson_updated, lesson_ids=[lesson.id], teacher_id=teacher.id, actor=actor, moved=False
            )
            return None
        price, ptype = _row_terms(
            is_free=lesson.is_free, payment_type=None, price_rub=lesson.price_rub if price_rub is None else price_rub
        )
        try:
            with transaction.atomic():
                row = LessonStudent.objects.create(
                    lesson=lesson, student_id=student_id, price_rub=price, payment_type=ptype
                )
        except IntegrityError:
            raise DomainError("STUDENT_ALREADY_ON_LESSON") from None
        WaitlistEntry.objects.filter(lesson_id=lesson.id, student_id=student_id).delete()
        Lesson.objects.filter(id=lesson.id).update(updated_at=timezone.now())
        events.announce(
            events.lesson_students_added, lesson_id=lesson.id, teacher_id=teacher.id, student_ids=[student_id]
        )
        events.announce(
            events.lesson_updated, lesson_ids=[lesson.id], teacher_id=teacher.id, actor=actor, moved=False,
            previous_start=None,
        )  # fmt: skip
        return row


def _row_for_update(*, lesson: Lesson, student_id) -> LessonStudent:
    row = LessonStudent.objects.select_for_update().filter(lesson_id=lesson.id, student_id=student_id).first()
    if row is None:
        raise DomainError("STUDENT_NOT_ON_LESSON")
    return row


def lesson_student_remove(*, teacher: TeacherProfile, lesson_id, student_id, actor: str = ACTOR) -> None:
    with transaction.atomic():
        lesson = _lesson_for_update(teacher=teacher, lesson_id=lesson_id)
        row = _row_for_update(lesson=lesson, student_id=student_id)
        _refund_rows([row])
        row.delete()
        Lesson.objects.filter(id=lesson.id).update(updated_at=timezone.now())
        waitlist_promote(lesson=lesson, actor=actor)
        events.announce(
            events.lesson_updated, lesson_ids=[lesson.id], teacher_id=teacher.id, actor=actor, moved=False,
            previous_start=None,
        )  # fmt: skip


def lesson_student_update(
    *, teacher: TeacherProfile, lesson_id, student_id, data: dict, actor: str = ACTOR
) -> LessonStudent:
    """PATCH …/students/:studentId: `payment_status` (and the row's own `price_rub`)."""
    with transaction.atomic():
        lesson = _lesson_for_update(teacher=teacher, lesson_id=lesson_id)
        row = _row_for_update(lesson=lesson, student_id=student_id)
        if "payment_status" in data and not row.paid_from_subscription:
            row.payment_status = data["payment_status"]
        if "price_rub" in data and row.payment_type == LessonStudent.PaymentType.FIXED:
            row.price_rub = data["price_rub"]
        row.save()
        events.announce(
            events.lesson_updated, lesson_ids=[lesson.id], teacher_id=teacher.id, actor=actor, moved=False,
            previous_start=None,
        )  # fmt: skip
        return row


def lesson_students_bulk(*, teacher: TeacherProfile, lesson_id, action: str, value, actor: str = ACTOR) -> Lesson:
    """PATCH …/students/bulk (B1 fixed): set_attendance | set_rating | set_payment for every student row."""
    with transaction.atomic():
        lesson = _lesson_for_update(teacher=teacher, lesson_id=lesson_id)
        rows = lock_in_order(LessonStudent.objects.filter(lesson_id=lesson.id))
        refund: list = []
        now = timezone.now()
        for row in rows:
            if action == "set_attendance":
                row.attendance = value
                if value != LessonStudent.Attendance.ATTENDED and row.paid_from_subscription:
                    refund.append(row)
                    _clear_subscription(row)
                if value == LessonStudent.Attendance.MISSED:
                    row.rating = None
                    row.payment_status = LessonStudent.PaymentStatus.UNPAID
            elif action == "set_rating":
                if row.attendance == LessonStudent.Attendance.ATTENDED:
                    row.rating = value
            elif action == "set_payment":
                if row.attendance == LessonStudent.Attendance.ATTENDED and not row.paid_from_subscription:
                    row.payment_status = value
            row.updated_at = now
        subscription_refund_many(subscription_ids=[row.subscription_id_before for row in refund])
        if rows:
            LessonStudent.objects.bulk_update(
                rows, ["attendance", "rating", "payment_status", "paid_from_subscription", "subscription", "updated_at"]
            )
        Lesson.objects.filter(id=lesson.id).update(updated_at=timezone.now())
        events.announce(
            events.lesson_updated, lesson_ids=[lesson.id], teacher_id=teacher.id, actor=actor, moved=False,
            previous_start=None,
        )  # fmt: skip
        return lesson
