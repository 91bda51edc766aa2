"""The teacher's lesson list, PostgreSQL rows for the hot path (issue 18). The same rows the `.values()` path
reads (same keys), but ids and instants arrive as text PostgreSQL formatted (`tutorcal.timeutil.iso`'s format),
so Python builds no UUID or datetime objects, and each lesson's students are found by their own index lookup
(LATERAL), so the cost follows the lessons listed, never the tutor's whole history.

Profile that led here (172-lesson month of the 2,080-lesson tutor): 23 ms in the `.values()` path, most of it
psycopg building datetimes and UUIDs and Django's row iteration; rendering the JSON inside PostgreSQL
(json_build_object / json_agg) took 12-14 ms in the database alone; these two queries take ~4 ms with the dicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import QuerySet

from lessons.models import Lesson

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMNS = (
    "id",
    "series_id",
    "teacher_id",
    "subject_id",
    "start_at",
    "duration_minutes",
    "price_rub",
    "is_free",
    "status",
    "cancelled_by",
    "rescheduled_to",
    "teacher_note",
    "teacher_note_updated_at",
    "lesson_report",
    "meeting_url",
    "capacity",
    "created_at",
    "updated_at",
)


def _iso(column: str) -> str:
    """tutorcal.timeutil.iso in SQL: UTC, milliseconds, Z ("2025-01-15T10:00:00.000Z")."""
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""


_LESSONS = f"""
SELECT l.id::text, l.series_id::text, l.teacher_id::text, l.subject_id::text, {_iso("l.start_at")},
       l.duration_minutes, l.price_rub, l.is_free, l.status, l.cancelled_by, l.rescheduled_to, l.teacher_note,
       {_iso("l.teacher_note_updated_at")}, l.lesson_report, l.meeting_url, l.capacity, {_iso("l.created_at")},
       {_iso("l.updated_at")}, s.name, s.color_hex, (extract(epoch FROM l.start_at) * 1000000)::bigint
FROM ({{lessons}}) l LEFT JOIN subjects s ON s.id = l.subject_id
ORDER BY l.start_at, l.id
"""  # noqa: S608 - constants only; {lessons} is Django's parameterised SQL
LESSON_KEYS = (*_COLUMNS, "subject__name", "subject__color_hex")

_STUDENTS = f"""
SELECT ls.id::text, ls.lesson_id::text, ls.student_id::text, u.first_name, u.last_name, u.username, ls.price_rub,
       ls.attendance, ls.rating, ls.payment_status, ls.payment_type, ls.paid_from_subscription,
       ls.student_note_for_teacher, ls.reminder_minutes_before, ls.cancel_outcome, ls.cancel_note,
       {_iso("ls.confirmed_at")}
FROM ({{lessons}}) l
CROSS JOIN LATERAL (SELECT * FROM lesson_students WHERE lesson_id = l.id) ls
JOIN student_profiles sp ON sp.id = ls.student_id
JOIN users u ON u.id = sp.user_id
ORDER BY ls.created_at, ls.id
"""  # noqa: S608 - as above
STUDENT_KEYS = (
    "id",
    "lesson_id",
    "student_id",
    "student__user__first_name",
    "student__user__last_name",
    "student__user__username",
    "price_rub",
    "attendance",
    "rating",
    "payment_status",
    "payment_type",
    "paid_from_subscription",
    "student_note_for_teacher",
    "reminder_minutes_before",
    "cancel_outcome",
    "cancel_note",
    "confirmed_at",
)


def lesson_rows(qs: QuerySet[Lesson]) -> tuple[list[dict], list[dict], list[dict]]:
    """(lessons, their student rows, overlap rows) for the lessons `qs` selects, in two statements. Lessons and
    student rows carry the `.values()` keys with ids and instants as text; overlap rows are what
    calendar._conflict_index reads (id, start_at as a datetime, duration_minutes, status)."""
    inner, params = qs.order_by().values(*_COLUMNS).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_LESSONS.format(lessons=inner), params)
        fetched = cursor.fetchall()
        if not fetched:
            return [], [], []
        cursor.execute(_STUDENTS.format(lessons=inner), params)
        students = [dict(zip(STUDENT_KEYS, row, strict=True)) for row in cursor.fetchall()]
    lessons, overlap = [], []
    for row in fetched:
        lesson = dict(zip(LESSON_KEYS, row[:-1], strict=True))
        lessons.append(lesson)
        start = EPOCH + timedelta(microseconds=row[-1])
        overlap.append(
            {"id": lesson["id"], "start_at": start, "duration_minutes": row[5], "status": lesson["status"]}
        )
    return lessons, students, overlap
