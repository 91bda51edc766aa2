"""Attendance statistics over lesson rows, shared by the teacher's, student's and parent's views.

Everything is computed with SQL aggregates (`Count`/`Sum` with `filter=`) grouped per student / teacher /
subject, so every function runs a constant number of queries whatever the number of students or lessons."""

import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import (
    User,
)
from lessons.models import CancelOutcome, Lesson, LessonStudent, Subject

DEFAULT_COLOR = "#888888"


RU_WEEKDAYS = ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]  # date.weekday(): Monday = 0


# A row is debt when the student attended a done lesson priced in money and has not paid (B21), or cancelled
# late under the tutor's `charge` policy without a package to take it from (the lesson counts).
DEBT_Q = Q(
    payment_status=LessonStudent.PaymentStatus.UNPAID,
    payment_type=LessonStudent.PaymentType.FIXED,
    price_rub__gt=0,
) & (
    Q(attendance=LessonStudent.Attendance.ATTENDED, lesson__status=Lesson.Status.DONE)
    | Q(cancel_outcome=CancelOutcome.CHARGED)
)

DONE_Q = Q(lesson__status=Lesson.Status.DONE) & ~Q(attendance=LessonStudent.Attendance.CANCELLED)


ATTENDED_Q = Q(lesson__status=Lesson.Status.DONE, attendance=LessonStudent.Attendance.ATTENDED)


MISSED_Q = Q(lesson__status=Lesson.Status.DONE, attendance=LessonStudent.Attendance.MISSED)


# Cancellations are counted by who cancelled (B5): a student's own group cancel marks only their row.
CANCELLED_BY_STUDENT_Q = Q(attendance=LessonStudent.Attendance.CANCELLED) | Q(
    lesson__status=Lesson.Status.CANCELLED, lesson__cancelled_by=Lesson.CancelledBy.STUDENT
)


CANCELLED_BY_ILLNESS_Q = Q(
    lesson__status=Lesson.Status.CANCELLED, lesson__cancelled_by=Lesson.CancelledBy.ILLNESS
) & ~Q(attendance=LessonStudent.Attendance.CANCELLED)


CANCELLED_BY_TEACHER_Q = (
    Q(lesson__status=Lesson.Status.CANCELLED)
    & ~Q(lesson__cancelled_by__in=[Lesson.CancelledBy.STUDENT, Lesson.CancelledBy.ILLNESS])
    & ~Q(attendance=LessonStudent.Attendance.CANCELLED)
)


def user_info(user: User) -> dict:
    """UserInfo = {id, firstName, lastName, username}."""
    return {"id": str(user.id), "firstName": user.first_name, "lastName": user.last_name, "username": user.username}


def rate(part: int, total: int) -> int:
    """Integer percentage rounded half up (JS Math.round): 2/3 -> 67, 0/0 -> 0."""
    if not total:
        return 0
    return (200 * part + total) // (2 * total)


def stats_aggregates() -> dict:
    """Aggregate expressions over LessonStudent rows: attendance stats + debt."""
    return {
        "planned": Count("id", filter=DONE_Q),
        "attended": Count("id", filter=ATTENDED_Q),
        "missed": Count("id", filter=MISSED_Q),
        "cancelled_student": Count("id", filter=CANCELLED_BY_STUDENT_Q),
        "cancelled_teacher": Count("id", filter=CANCELLED_BY_TEACHER_Q),
        "cancelled_illness": Count("id", filter=CANCELLED_BY_ILLNESS_Q),
        "debt_count": Count("id", filter=DEBT_Q),
        "debt_amount": Coalesce(Sum("price_rub", filter=DEBT_Q), Value(0)),
    }


def attendance_json(agg: Mapping[str, Any] | None) -> dict:
    """AttendanceStats from a `stats_aggregates()` result (missing -> zeros)."""
    agg = agg or {}
    planned, attended = agg.get("planned", 0), agg.get("attended", 0)
    return {
        "totalLessonsPlanned": planned,
        "totalLessonsAttended": attended,
        "totalLessonsMissed": agg.get("missed", 0),
        "cancelledByStudent": agg.get("cancelled_student", 0),
        "cancelledByTeacher": agg.get("cancelled_teacher", 0),
        "cancelledByIllness": agg.get("cancelled_illness", 0),
        "attendanceRate": rate(attended, planned),
    }


def lesson_subject_json(subject: Subject | None) -> dict:
    """Student/parent lesson `subject`: always an object, keys omitted when the lesson has none."""
    if subject is None:
        return {}
    return {"name": subject.name, "colorHex": subject.color_hex}


def zone_of(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.timezone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def subjects_by(rows: QuerySet, key: str) -> dict:
    """{key value: [{subjectId, name, colorHex}]} from LessonStudent rows (distinct subjects, by name)."""
    out: dict = defaultdict(list)
    values = (
        rows.filter(lesson__subject__isnull=False)
        .values(key, "lesson__subject_id", "lesson__subject__name", "lesson__subject__color_hex")
        .distinct()
        .order_by(key, "lesson__subject__name")
    )
    for row in values:
        out[row[key]].append(
            {
                "subjectId": str(row["lesson__subject_id"]),
                "name": row["lesson__subject__name"],
                "colorHex": row["lesson__subject__color_hex"],
            }
        )
    return out


def by_subject(rows: QuerySet) -> list[dict]:
    """SubjectStats over done rows, one query: {subjectId, subjectName, colorHex, lessonsPlanned, …}."""
    values = (
        rows.filter(lesson__subject__isnull=False)
        .values("lesson__subject_id", "lesson__subject__name", "lesson__subject__color_hex")
        .annotate(planned=Count("id", filter=DONE_Q), attended=Count("id", filter=ATTENDED_Q))
        .filter(planned__gt=0)
        .order_by("lesson__subject__name")
    )
    return [
        {
            "subjectId": str(v["lesson__subject_id"]),
            "subjectName": v["lesson__subject__name"] or "",
            "colorHex": v["lesson__subject__color_hex"] or DEFAULT_COLOR,
            "lessonsPlanned": v["planned"],
            "lessonsAttended": v["attended"],
            "attendanceRate": rate(v["attended"], v["planned"]),
        }
        for v in values
    ]


def teacher_rows(teacher_id: uuid.UUID, student_id: uuid.UUID | None = None) -> QuerySet[LessonStudent]:
    qs = LessonStudent.objects.filter(lesson__teacher_id=teacher_id)
    return qs.filter(student_id=student_id) if student_id is not None else qs


def next_planned(rows: QuerySet, now: datetime):
    return rows.filter(lesson__status=Lesson.Status.PLANNED, lesson__start_at__gt=now).exclude(
        attendance=LessonStudent.Attendance.CANCELLED
    )


def teacher_name(display_name: str, first_name: str) -> str:
    return display_name or first_name or ""


def by_teacher(rows: QuerySet) -> list[dict]:
    values = (
        rows.values("lesson__teacher_id", "lesson__teacher__display_name", "lesson__teacher__user__first_name")
        .annotate(planned=Count("id", filter=DONE_Q), attended=Count("id", filter=ATTENDED_Q))
        .order_by("lesson__teacher__display_name", "lesson__teacher_id")
    )
    return [
        {
            "teacherId": str(v["lesson__teacher_id"]),
            "teacherName": teacher_name(v["lesson__teacher__display_name"], v["lesson__teacher__user__first_name"]),
            "lessonsPlanned": v["planned"],
            "lessonsAttended": v["attended"],
            "attendanceRate": rate(v["attended"], v["planned"]),
        }
        for v in values
    ]
