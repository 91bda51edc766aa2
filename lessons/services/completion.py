"""Completing a lesson: per-student attendance, rating and payment, charging or refunding packages."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import TeacherProfile
from lessons.models import Lesson, LessonStudent
from subscriptions.services import subscription_consume_many, subscription_refund_many
from tutorcal import events
from tutorcal.errors import DomainError

from ._common import (
    ACTOR,
    _as_uuid,
    _clear_subscription,
    _lesson_for_update,
    lock_in_order,
)


def lesson_complete(*, teacher: TeacherProfile, lesson_id, students: list[dict], actor: str = ACTOR) -> Lesson:
    """Mark a lesson done with per-student attendance (reference §3.5 with B12 fixed).

    Each entry: student_id, attendance (attended|missed|unknown|cancelled), optional rating, payment_status,
    use_subscription. Entries for students not on the lesson are ignored. Idempotent: a row already paid from a
    subscription is never charged again; switching it away from `attended` refunds the lesson.
    A cancelled lesson → 409 LESSON_CANCELLED.
    """

    with transaction.atomic():
        lesson = _lesson_for_update(teacher=teacher, lesson_id=lesson_id)
        if lesson.status == Lesson.Status.CANCELLED:
            raise DomainError("LESSON_CANCELLED")
        rows = {row.student_id: row for row in lock_in_order(LessonStudent.objects.filter(lesson_id=lesson.id))}
        now = timezone.now()
        marked = [(rows[sid], entry) for entry in students if (sid := _as_uuid(entry["student_id"])) in rows]
        # Packages are refunded and charged in one statement each, whatever the group's size.
        refunds = []
        to_charge = []
        for row, entry in marked:
            attended = entry["attendance"] == LessonStudent.Attendance.ATTENDED
            if not attended and row.paid_from_subscription:
                refunds.append(row.subscription_id)
                _clear_subscription(row)
            if attended and entry.get("use_subscription") and not row.paid_from_subscription:
                to_charge.append(row.student_id)
        subscription_refund_many(subscription_ids=refunds)
        charged = subscription_consume_many(teacher_id=teacher.id, student_ids=to_charge)
        changed = []
        for row, entry in marked:
            attendance = entry["attendance"]
            row.attendance = attendance
            if attendance != LessonStudent.Attendance.ATTENDED:
                if attendance == LessonStudent.Attendance.MISSED:
                    row.rating = None
                    row.payment_status = LessonStudent.PaymentStatus.UNPAID
            else:
                if "rating" in entry:
                    row.rating = entry["rating"]
                subscription = charged.get(row.student_id)
                if subscription is not None:
                    row.subscription = subscription
                    row.paid_from_subscription = True
                    row.payment_type = LessonStudent.PaymentType.SUBSCRIPTION
                    row.payment_status = LessonStudent.PaymentStatus.PAID
                    row.price_rub = 0
                elif not row.paid_from_subscription and entry.get("payment_status") is not None:
                    row.payment_status = entry["payment_status"]
            row.updated_at = now
            changed.append(row)
        if changed:
            LessonStudent.objects.bulk_update(
                changed,
                [
                    "attendance",
                    "rating",
                    "payment_status",
                    "payment_type",
                    "paid_from_subscription",
                    "subscription",
                    "price_rub",
                    "updated_at",
                ],
            )
        lesson.status = Lesson.Status.DONE
        lesson.updated_at = now
        lesson.save(update_fields=["status", "updated_at"])
        events.announce(events.lesson_completed, lesson_ids=[lesson.id], teacher_id=teacher.id, actor=actor)
        return lesson
