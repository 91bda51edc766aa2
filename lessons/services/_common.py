"""Shared pieces of the calendar writes: row locking, ownership checks, row terms, refunds, snapshots."""

from __future__ import annotations

import uuid

from accounts.models import TeacherProfile
from lessons.models import Lesson, LessonStudent, Subject
from lessons.roster.selectors.links import linked_student_ids
from subscriptions.services import subscription_refund_many
from tutorcal.errors import DomainError

ACTOR = "teacher"


SERIES_SCOPES = ("this", "future", "all")


# Fields a series edit applies to every matched lesson (and stores as the series' defaults).
SERIES_SAFE = ("subject_id", "duration_minutes", "is_free", "price_rub", "meeting_url", "capacity")


def _tz(teacher: TeacherProfile) -> str:
    return teacher.user.timezone or "Europe/Moscow"


def _lesson_for_update(*, teacher: TeacherProfile, lesson_id, scope: str = "this") -> Lesson:
    """Lock the lesson. For a series-wide scope (future/all) every lesson of its series is locked first, in id
    order: the one global lock order (ORDER BY id FOR UPDATE) that makes two edits of one series started from
    different lessons queue instead of deadlocking (each used to lock its own lesson first, then the rest)."""
    if scope != "this":
        series_id = (
            Lesson.objects.filter(id=lesson_id, teacher_id=teacher.id).values_list("series_id", flat=True).first()
        )
        if series_id is not None:
            lock_in_order(Lesson.objects.filter(series_id=series_id, teacher_id=teacher.id))
    lesson = Lesson.objects.select_for_update().filter(id=lesson_id, teacher_id=teacher.id).first()
    if lesson is None:
        raise DomainError("LESSON_NOT_FOUND")
    return lesson


def lock_in_order(queryset) -> list:
    """SELECT … ORDER BY id FOR UPDATE: every multi-row lock goes through here, so locks are always taken in the
    same (primary key) order and two transactions can wait for each other but never deadlock."""
    return list(queryset.select_for_update().order_by("id"))


def _check_subject(*, teacher: TeacherProfile, subject_id) -> None:
    """Any subject of the teacher, archived included; None means 'no subject'."""
    if subject_id is not None and not Subject.objects.filter(id=subject_id, teacher_id=teacher.id).exists():
        raise DomainError("SUBJECT_NOT_FOUND")


def _check_linked(*, teacher: TeacherProfile, student_ids) -> None:
    ids = set(student_ids)
    if ids and linked_student_ids(teacher_id=teacher.id, student_ids=ids) != ids:
        raise DomainError("STUDENT_NOT_LINKED")


def _unique(ids) -> list:
    seen: dict = {}
    for value in ids or []:
        seen.setdefault(value, None)
    return list(seen)


def _row_terms(*, is_free: bool, payment_type: str | None, price_rub: int) -> tuple[int, str]:
    """(price, paymentType) of a student's row: free ⇒ 0 + free; subscription ⇒ 0 + subscription (B13)."""
    if is_free or payment_type == LessonStudent.PaymentType.FREE:
        return 0, LessonStudent.PaymentType.FREE
    if payment_type == LessonStudent.PaymentType.SUBSCRIPTION:
        return 0, LessonStudent.PaymentType.SUBSCRIPTION
    if payment_type == LessonStudent.PaymentType.MAKEUP:
        return 0, LessonStudent.PaymentType.MAKEUP
    return price_rub, LessonStudent.PaymentType.FIXED


def _refund_rows(rows) -> list[uuid.UUID]:
    """Give back every subscription lesson consumed by `rows` (one UPDATE); returns the ids of those rows."""
    charged = [row for row in rows if row.paid_from_subscription]
    subscription_refund_many(subscription_ids=[row.subscription_id for row in charged])
    return [row.id for row in charged]


def _clear_subscription(row: LessonStudent) -> None:
    row.subscription_id_before = row.subscription_id
    row.paid_from_subscription = False
    row.subscription = None
    row.payment_status = LessonStudent.PaymentStatus.UNPAID


def _snapshots(lessons: list[Lesson]) -> list[dict]:
    from tutorcal.timeutil import iso

    ids = [lesson.id for lesson in lessons]
    students: dict = {}
    for lesson_id, student_id in LessonStudent.objects.filter(lesson_id__in=ids).values_list("lesson_id", "student_id"):
        students.setdefault(lesson_id, []).append(str(student_id))
    names = dict(Subject.objects.filter(lessons__id__in=ids).values_list("lessons__id", "name"))
    return [
        {
            "id": str(lesson.id),
            "startAt": iso(lesson.start_at),
            "studentIds": students.get(lesson.id, []),
            "subjectName": names.get(lesson.id),
        }
        for lesson in lessons
    ]


def _new_rows(lessons: list[Lesson], students: list[tuple], reminder=None) -> list[LessonStudent]:
    """students: (student_id, price, payment_type)."""
    return [
        LessonStudent(
            lesson=lesson,
            student_id=sid,
            price_rub=price,
            payment_type=ptype,
            reminder_minutes_before=reminder,
        )
        for lesson in lessons
        for sid, price, ptype in students
    ]


def _as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError):
        return None
