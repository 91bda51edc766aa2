"""A student's writes on their own lesson rows: private notes, the note for the teacher, the reminder, cancel."""

import uuid

from django.db import transaction
from django.utils import timezone

from accounts.models import (
    StudentProfile,
)
from lessons.models import Lesson, LessonStudent
from tutorcal import events
from tutorcal.errors import DomainError

from .cancel_policy import CancelDecision, apply_decision, student_cancel_decision
from .waitlist import waitlist_promote


def _own_row(*, student: StudentProfile, lesson_id: uuid.UUID, lock: bool = False) -> LessonStudent:
    qs = LessonStudent.objects.select_related("lesson").filter(student=student, lesson_id=lesson_id)
    if lock:
        qs = qs.select_for_update()
    row = qs.first()
    if row is None:
        raise DomainError("LESSON_NOT_FOUND")
    return row


@transaction.atomic
def student_lesson_update(*, student: StudentProfile, lesson_id: uuid.UUID, data: dict) -> LessonStudent:
    """The student's notes and reminder live on THEIR row: other students never see them, the teacher sees
    only studentNoteForTeacher."""
    row = _own_row(student=student, lesson_id=lesson_id, lock=True)
    fields = {
        "studentNotePrivate": "student_note_private",
        "studentNoteForTeacher": "student_note_for_teacher",
        "reminderMinutesBefore": "reminder_minutes_before",
    }
    changed = [attr for key, attr in fields.items() if key in data]
    note_for_teacher_changed = "studentNoteForTeacher" in data and data["studentNoteForTeacher"] != (
        row.student_note_for_teacher
    )
    for key, attr in fields.items():
        if key in data:
            setattr(row, attr, data[key])
    if changed:
        row.save(update_fields=[*changed, "updated_at"])
    if note_for_teacher_changed:
        events.announce(
            events.lesson_updated,
            lesson_ids=[row.lesson_id],
            teacher_id=row.lesson.teacher_id,
            actor="student",
            moved=False,
            previous_start=None,
        )
    return row


def _cancellable(*, student: StudentProfile, lesson_id: uuid.UUID, lock: bool) -> tuple[Lesson, LessonStudent]:
    if not LessonStudent.objects.filter(student=student, lesson_id=lesson_id).exists():
        raise DomainError("LESSON_NOT_FOUND")
    lessons = Lesson.objects.select_related("teacher")
    rows = LessonStudent.objects.all()
    if lock:
        lessons, rows = lessons.select_for_update(of=("self",)), rows.select_for_update()
    lesson = lessons.get(pk=lesson_id)
    row = rows.get(student=student, lesson_id=lesson_id)
    if (
        lesson.status != Lesson.Status.PLANNED
        or lesson.start_at <= timezone.now()
        or row.attendance == LessonStudent.Attendance.CANCELLED
    ):
        raise DomainError("LESSON_NOT_CANCELLABLE")
    return lesson, row


def student_cancel_preview(*, student: StudentProfile, lesson_id: uuid.UUID) -> CancelDecision:
    """What cancelling now would do (free, charged, credited) and why, before the student confirms."""
    lesson, _row = _cancellable(student=student, lesson_id=lesson_id, lock=False)
    return student_cancel_decision(teacher=lesson.teacher, lesson=lesson)


@transaction.atomic
def student_lesson_cancel(
    *, student: StudentProfile, lesson_id: uuid.UUID, reason: str | None = None
) -> CancelDecision:
    """Only a future planned lesson the student is still on. Individual lesson (they are its only active
    participant) -> the lesson is cancelled (cancelledBy student, or illness when that is the `reason`);
    group -> only their row is cancelled. The tutor's policy decides what it costs (cancel_policy)."""
    lesson, row = _cancellable(student=student, lesson_id=lesson_id, lock=True)
    others_active = (
        LessonStudent.objects.filter(lesson=lesson)
        .exclude(pk=row.pk)
        .exclude(attendance=LessonStudent.Attendance.CANCELLED)
        .exists()
    )
    decision = student_cancel_decision(teacher=lesson.teacher, lesson=lesson)
    if others_active:
        row.attendance = LessonStudent.Attendance.CANCELLED
    apply_decision(teacher=lesson.teacher, lesson=lesson, row=row, decision=decision)
    if others_active:
        waitlist_promote(lesson=lesson, actor="student")  # the seat they left goes to the first waiting
    else:
        lesson.status = Lesson.Status.CANCELLED
        ill = reason == Lesson.CancelledBy.ILLNESS
        lesson.cancelled_by = Lesson.CancelledBy.ILLNESS if ill else Lesson.CancelledBy.STUDENT
        lesson.save(update_fields=["status", "cancelled_by", "updated_at"])
    events.announce(
        events.lesson_cancelled,
        lesson_ids=[lesson.id],
        teacher_id=lesson.teacher_id,
        actor="student",
        student_ids=[student.id],
    )
    return decision


@transaction.atomic
def lesson_student_confirm(*, student: StudentProfile, lesson_id: uuid.UUID) -> LessonStudent:
    """"I'll come": stamp the student's row (the tutor's agenda shows it). Idempotent — the first stamp stays.
    Only a planned lesson that has not started, on a row that is not cancelled."""
    _lesson, row = _cancellable(student=student, lesson_id=lesson_id, lock=True)
    if row.confirmed_at is None:
        row.confirmed_at = timezone.now()
        row.save(update_fields=["confirmed_at", "updated_at"])
    return row
