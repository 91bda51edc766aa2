"""Group capacity and the waitlist. Every function runs with the lesson row locked by the caller (or locks it),
so seats are counted and taken one join at a time: 16 parallel joins for 3 seats seat exactly 3 and queue the
rest in the order they got the lock.

Seated = the lesson's student rows that are not cancelled. A freed seat (a removal, a student's own cancel, a
larger capacity) goes at once to the first student waiting, who hears about it like any added student."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from accounts.models import StudentProfile
from lessons.models import Lesson, LessonStudent, WaitlistEntry
from tutorcal import events
from tutorcal.errors import DomainError

from ._common import _row_terms


def seats_taken(lesson: Lesson) -> int:
    return LessonStudent.objects.filter(lesson=lesson).exclude(attendance=LessonStudent.Attendance.CANCELLED).count()


def free_seats(lesson: Lesson) -> int | None:
    """None = unlimited."""
    if lesson.capacity is None:
        return None
    return max(lesson.capacity - seats_taken(lesson), 0)


def waitlist_add(*, lesson: Lesson, student_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Queue students (in the given order) who are neither seated nor already waiting. Returns those queued."""
    already = set(
        WaitlistEntry.objects.filter(lesson=lesson, student_id__in=student_ids).values_list("student_id", flat=True)
    )
    queued = [sid for sid in dict.fromkeys(student_ids) if sid not in already]
    for sid in queued:  # one INSERT each, so ids keep the arrival order
        WaitlistEntry.objects.create(lesson=lesson, student_id=sid)
    return queued


def waitlist_promote(*, lesson: Lesson, actor: str = "system") -> list[uuid.UUID]:
    """Give free seats to the first students waiting; they become ordinary rows at the lesson's price."""
    free = free_seats(lesson)
    if free == 0 or lesson.status != Lesson.Status.PLANNED:
        return []
    entries = list(WaitlistEntry.objects.filter(lesson=lesson).order_by("id"))
    if free is not None:
        entries = entries[:free]
    if not entries:
        return []
    price, ptype = _row_terms(is_free=lesson.is_free, payment_type=None, price_rub=lesson.price_rub)
    LessonStudent.objects.bulk_create(
        [LessonStudent(lesson=lesson, student_id=e.student_id, price_rub=price, payment_type=ptype) for e in entries],
        ignore_conflicts=True,
    )
    WaitlistEntry.objects.filter(id__in=[e.id for e in entries]).delete()
    promoted = [e.student_id for e in entries]
    events.announce(
        events.lesson_students_added, lesson_id=lesson.id, teacher_id=lesson.teacher_id, student_ids=promoted
    )
    events.announce(events.waitlist_promoted, lesson_id=lesson.id, teacher_id=lesson.teacher_id, student_ids=promoted)
    events.announce(
        events.lesson_updated, lesson_ids=[lesson.id], teacher_id=lesson.teacher_id, actor=actor, moved=False
    )
    return promoted


def capacity_check(*, lesson: Lesson, capacity: int | None) -> None:
    """400 for 0 or less (the serializer), 409 CAPACITY_BELOW_SEATED below the students already seated."""
    if capacity is not None and capacity < seats_taken(lesson):
        raise DomainError("CAPACITY_BELOW_SEATED")


def waitlist_leave(*, student: StudentProfile, lesson_id: uuid.UUID) -> None:
    with transaction.atomic():
        deleted, _ = WaitlistEntry.objects.filter(lesson_id=lesson_id, student=student).delete()
        if not deleted:
            raise DomainError("NOT_ON_WAITLIST")
        Lesson.objects.filter(id=lesson_id).update(updated_at=timezone.now())
