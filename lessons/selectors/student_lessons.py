"""Lessons as a student and a parent see them: only rows of their own (a parent: of their visible children),
with the student's own notes and reminder, never other students' data."""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery

from lessons.models import LessonStudent
from lessons.roster.selectors.links import visible_relations
from lessons.selectors.stats import lesson_subject_json
from tutorcal.errors import DomainError, parse_uuid
from tutorcal.timeutil import iso

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _Counted(TypedDict):
    total_students: int


def _students_count() -> Subquery:
    return Subquery(
        LessonStudent.objects.filter(lesson_id=OuterRef("lesson_id"))
        .order_by()
        .values("lesson_id")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )


def _lesson_rows(student_id: uuid.UUID) -> QuerySet[LessonStudent]:
    return (
        LessonStudent.objects.filter(student_id=student_id)
        .select_related("lesson__subject", "lesson__teacher__user")
        .annotate(total_students=_students_count())
    )


def _filter_rows(rows, *, lesson_ids=None, start=None, end=None, subject_id=None, teacher_id=None, status=None):
    if lesson_ids is not None:
        rows = rows.filter(lesson_id__in=list(lesson_ids))
    if start is not None:
        rows = rows.filter(lesson__start_at__gte=start)
    if end is not None:
        rows = rows.filter(lesson__start_at__lte=end)
    if subject_id is not None:
        rows = rows.filter(lesson__subject_id=subject_id)
    if teacher_id is not None:
        rows = rows.filter(lesson__teacher_id=teacher_id)
    if status is not None:
        rows = rows.filter(lesson__status=status)
    return rows.order_by("lesson__start_at", "lesson_id")


def _common_lesson(row: "WithAnnotations[LessonStudent, _Counted]", *, detail: bool) -> dict:
    lesson = row.lesson
    total = row.total_students or 1
    teacher_user = lesson.teacher.user
    teacher = {"firstName": teacher_user.first_name, "lastName": teacher_user.last_name}
    if detail:
        teacher["username"] = teacher_user.username
    return {
        "id": str(lesson.id),
        "seriesId": str(lesson.series_id) if lesson.series_id else None,
        "teacherId": str(lesson.teacher_id),
        "subjectId": str(lesson.subject_id) if lesson.subject_id else None,
        "startAt": iso(lesson.start_at),
        "durationMinutes": lesson.duration_minutes,
        "status": lesson.status,
        "cancelledBy": lesson.cancelled_by,
        "attendance": row.attendance,
        "paymentStatus": row.payment_status,
        "cancelOutcome": row.cancel_outcome,
        "cancelNote": row.cancel_note,
        "confirmedAt": iso(row.confirmed_at),
        "teacherNote": lesson.teacher_note,
        "lessonReport": lesson.lesson_report,
        "meetingUrl": lesson.meeting_url,
        "isGroupLesson": total > 1,
        "totalStudentsCount": total,
        "otherStudentsCount": max(0, total - 1),
        "teacher": teacher,
        "subject": lesson_subject_json(lesson.subject),
    }


def student_lesson_json(row: "WithAnnotations[LessonStudent, _Counted]", *, detail: bool = False) -> dict:
    """StudentLesson: the lesson as one student sees it — their own row, never other students' names/notes."""
    data = _common_lesson(row, detail=detail)
    data.update(
        studentNotePrivate=row.student_note_private,
        studentNoteForTeacher=row.student_note_for_teacher,
        reminderMinutesBefore=row.reminder_minutes_before,
    )
    if detail:
        data.update(
            priceRub=row.price_rub,
            rating=row.rating,
            paymentType=row.payment_type,
            createdAt=iso(row.lesson.created_at),
            updatedAt=iso(max(row.lesson.updated_at, row.updated_at)),
        )
    return data


def student_lesson_dicts(
    *,
    student_id: uuid.UUID,
    lesson_ids=None,
    start: datetime | None = None,
    end: datetime | None = None,
    subject_id: uuid.UUID | None = None,
    teacher_id: uuid.UUID | None = None,
    status: str | None = None,
    detail: bool = False,
) -> list[dict]:
    """The student's lessons (StudentLesson wire shape), ascending by start, in one query."""
    rows = _filter_rows(
        _lesson_rows(student_id),
        lesson_ids=lesson_ids,
        start=start,
        end=end,
        subject_id=subject_id,
        teacher_id=teacher_id,
        status=status,
    )
    return [student_lesson_json(row, detail=detail) for row in rows]


def student_lesson_detail(*, student_id: uuid.UUID, lesson_id) -> dict:
    lid = parse_uuid(lesson_id, "LESSON_NOT_FOUND")
    found = student_lesson_dicts(student_id=student_id, lesson_ids=[lid], detail=True)
    if not found:
        raise DomainError("LESSON_NOT_FOUND")
    return found[0]


def _visible_to(parent_id: uuid.UUID) -> Exists:
    """A row's (teacher, child) pair is one the parent has a visible relation with."""
    return Exists(
        visible_relations(parent_id).filter(
            student_id=OuterRef("student_id"), teacher_id=OuterRef("lesson__teacher_id")
        )
    )


def parent_visible_rows(parent_id: uuid.UUID) -> QuerySet[LessonStudent]:
    """LessonStudent rows of the parent's children restricted to visible (teacher, child) pairs."""
    return LessonStudent.objects.filter(_visible_to(parent_id))


def parent_lesson_json(row: "WithAnnotations[LessonStudent, _Counted]", *, detail: bool = False) -> dict:
    """The child's lesson as the parent sees it: no student notes, the child's own row."""
    data = _common_lesson(row, detail=detail)
    data["priceRub"] = row.price_rub
    if detail:
        data.update(
            rating=row.rating,
            createdAt=iso(row.lesson.created_at),
            updatedAt=iso(max(row.lesson.updated_at, row.updated_at)),
        )
    return data


def parent_lesson_dicts(
    *,
    parent_id: uuid.UUID,
    student_id: uuid.UUID,
    lesson_ids=None,
    start: datetime | None = None,
    end: datetime | None = None,
    subject_id: uuid.UUID | None = None,
    teacher_id: uuid.UUID | None = None,
    status: str | None = None,
    detail: bool = False,
) -> list[dict]:
    """The child's lessons with teachers visible to the parent (parent wire shape), one query."""
    rows = _filter_rows(
        _lesson_rows(student_id).filter(_visible_to(parent_id)),
        lesson_ids=lesson_ids,
        start=start,
        end=end,
        subject_id=subject_id,
        teacher_id=teacher_id,
        status=status,
    )
    return [parent_lesson_json(row, detail=detail) for row in rows]


def child_rows(parent_id: uuid.UUID, child_id: uuid.UUID) -> QuerySet[LessonStudent]:
    return parent_visible_rows(parent_id).filter(student_id=child_id)
