"""The teacher's calendar. The lesson list is the hot path: the same rows (calendar_pg's keys) turned into the
contract's TeacherLesson dicts — on PostgreSQL read as text (calendar_pg), elsewhere with `.values()` — in a
constant number of queries (lessons, their students, the overlap window, the waitlists when a lesson has a
capacity)."""

from __future__ import annotations

import bisect
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Q, QuerySet

from lessons.models import Lesson, LessonSeries, LessonStudent
from lessons.selectors.calendar_pg import LESSON_KEYS, STUDENT_KEYS, lesson_rows
from lessons.selectors.waitlist import waitlist_json

# Lessons longer than this are rejected on input, so an overlap search only needs this much look-behind.
MAX_DURATION_MINUTES = 24 * 60


def _s(value) -> str | None:
    return None if value is None else str(value)


def _iso(value: datetime | str | None) -> str | None:
    """Same output as tutorcal.timeutil.iso ("2025-01-15T10:00:00.000Z"), ~10x faster (C isoformat). Text is
    already in that format (PostgreSQL formatted it: calendar_pg)."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="milliseconds")[:23] + "Z"


def teacher_lessons_qs(
    *, teacher_id, lesson_ids=None, start=None, end=None, subject_id=None, student_id=None, status=None
) -> QuerySet[Lesson]:
    qs = Lesson.objects.filter(teacher_id=teacher_id)
    if lesson_ids is not None:
        qs = qs.filter(id__in=list(lesson_ids))
    if start is not None:
        qs = qs.filter(start_at__gte=start)
    if end is not None:
        qs = qs.filter(start_at__lte=end)
    if subject_id is not None:
        qs = qs.filter(subject_id=subject_id)
    if status is not None:
        qs = qs.filter(status=status)
    if student_id is not None:
        qs = qs.filter(id__in=LessonStudent.objects.filter(student_id=student_id).values("lesson_id"))
    return qs


def _conflict_index(teacher_id, lessons: list[dict], *, window: tuple | None = None) -> dict:
    """lesson id -> [ids of the teacher's other planned lessons overlapping it], one query.

    `window=(start, end)` says `lessons` are ALL the teacher's lessons starting in [start, end] (an unfiltered
    range list): then only the planned lessons just outside the window are fetched (a few rows) instead of
    reading the whole window again."""
    if not lessons:
        return {}
    lo = min(row["start_at"] for row in lessons) - timedelta(minutes=MAX_DURATION_MINUTES)
    hi = max(row["start_at"] + timedelta(minutes=row["duration_minutes"]) for row in lessons)
    planned_qs = Lesson.objects.filter(teacher_id=teacher_id, status=Lesson.Status.PLANNED)
    if window is not None:
        outside = planned_qs.filter(
            Q(start_at__gte=lo, start_at__lt=window[0]) | Q(start_at__gt=window[1], start_at__lt=hi)
        )
        planned = [
            (row["id"], row["start_at"], row["duration_minutes"])
            for row in lessons
            if row["status"] == Lesson.Status.PLANNED
        ]
        planned += list(outside.values_list("id", "start_at", "duration_minutes"))
        planned.sort(key=lambda p: p[1])
    else:
        planned = list(
            planned_qs.filter(start_at__gte=lo, start_at__lt=hi)
            .order_by("start_at", "id")
            .values_list("id", "start_at", "duration_minutes")
        )
    starts = [p[1] for p in planned]
    ends = [start + timedelta(minutes=minutes) for _, start, minutes in planned]
    texts = [str(p[0]) for p in planned]  # rows may carry text ids (calendar_pg), the planned query UUIDs
    # Look behind only as far as the longest planned lesson actually fetched (usually 1-2 h, not 24 h).
    behind = timedelta(minutes=max((p[2] for p in planned), default=0))
    out = {}
    for row in lessons:
        begin = row["start_at"]
        finish = begin + timedelta(minutes=row["duration_minutes"])
        first = bisect.bisect_left(starts, begin - behind)
        last = bisect.bisect_left(starts, finish)
        me = str(row["id"])
        out[row["id"]] = [texts[k] for k in range(first, last) if ends[k] > begin and texts[k] != me]
    return out


def lesson_student_row(row: dict) -> dict:
    return {
        "id": str(row["id"]),
        "studentId": str(row["student_id"]),
        "firstName": row["student__user__first_name"],
        "lastName": row["student__user__last_name"],
        "username": row["student__user__username"] or None,
        "priceRub": row["price_rub"],
        "attendance": row["attendance"],
        "rating": row["rating"],
        "paymentStatus": row["payment_status"],
        "paymentType": row["payment_type"],
        "paidFromSubscription": row["paid_from_subscription"],
        "studentNoteForTeacher": row["student_note_for_teacher"],
        "reminderMinutesBefore": row["reminder_minutes_before"],
        "cancelOutcome": row["cancel_outcome"],
        "cancelNote": row["cancel_note"],
        "confirmedAt": _iso(row["confirmed_at"]),
    }


def lesson_dict(row: dict, students: list[dict], conflicts: list[str], waitlist: list | None = None) -> dict:
    """One TeacherLesson (reference §2 'TeacherLesson') from a `.values()` row and its student rows."""
    only = students[0] if len(students) == 1 else None
    return {
        "id": str(row["id"]),
        "seriesId": _s(row["series_id"]),
        "teacherId": str(row["teacher_id"]),
        "subjectId": _s(row["subject_id"]),
        "startAt": _iso(row["start_at"]),
        "durationMinutes": row["duration_minutes"],
        "priceRub": row["price_rub"],
        "isFree": row["is_free"],
        "status": row["status"],
        "isGroupLesson": len(students) > 1,
        "cancelledBy": row["cancelled_by"],
        "rescheduledTo": row["rescheduled_to"],
        "teacherNote": row["teacher_note"],
        "teacherNoteUpdatedAt": _iso(row["teacher_note_updated_at"]),
        "lessonReport": row["lesson_report"],
        # Per-student notes live on the student's row (decisions §4): the teacher never sees the private one;
        # the lesson-level fields mirror the only student of an individual lesson.
        "studentNotePrivate": None,
        "studentNoteForTeacher": only["studentNoteForTeacher"] if only else None,
        "reminderMinutesBefore": only["reminderMinutesBefore"] if only else None,
        "meetingUrl": row["meeting_url"],
        "createdAt": _iso(row["created_at"]),
        "updatedAt": _iso(row["updated_at"]),
        "students": students,
        "subject": {"name": row["subject__name"], "colorHex": row["subject__color_hex"]}
        if row["subject_id"] is not None
        else None,
        "conflicts": conflicts,
        "capacity": row["capacity"],
        "seatsTaken": sum(1 for x in students if x["attendance"] != "cancelled"),
        "waitlist": waitlist or [],
    }


def teacher_lesson_dicts(
    *, teacher_id, lesson_ids=None, start=None, end=None, subject_id=None, student_id=None, status=None
) -> list[dict]:
    """Lessons of one teacher in the exact TeacherLesson wire shape, ordered by startAt. Three queries whatever
    the number of lessons: the lessons (with subject), their student rows (with names), the overlap window."""
    qs = teacher_lessons_qs(
        teacher_id=teacher_id,
        lesson_ids=lesson_ids,
        start=start,
        end=end,
        subject_id=subject_id,
        student_id=student_id,
        status=status,
    )
    unfiltered = lesson_ids is None and None not in (start, end) and subject_id is None and student_id is None
    window = (start, end) if unfiltered and status is None else None
    if connection.vendor == "postgresql":
        lessons, student_rows, overlap = lesson_rows(qs)  # ids and instants as text (calendar_pg)
    else:
        lessons = list(qs.order_by("start_at", "id").values(*LESSON_KEYS))
        # A subquery, not a list of ids: no per-lesson bound parameters to send and parse.
        rows_qs = LessonStudent.objects.filter(lesson_id__in=qs.values("id"))
        student_rows = list(rows_qs.order_by("created_at", "id").values(*STUDENT_KEYS)) if lessons else []
        overlap = lessons
    if not lessons:
        return []
    by_lesson: dict = {}
    for row in student_rows:
        by_lesson.setdefault(row["lesson_id"], []).append(lesson_student_row(row))
    conflicts = _conflict_index(teacher_id, overlap, window=window)
    # The queues cost a query only when some listed lesson has a capacity (a waitlist needs one).
    capped = [row["id"] for row in lessons if row["capacity"] is not None]
    queues = {str(k): v for k, v in waitlist_json(capped).items()} if capped else {}
    return [
        lesson_dict(row, by_lesson.get(row["id"], []), conflicts[row["id"]], queues.get(str(row["id"])))
        for row in lessons
    ]


def teacher_lesson_dict(*, teacher_id, lesson_id) -> dict | None:
    found = teacher_lesson_dicts(teacher_id=teacher_id, lesson_ids=[lesson_id])
    return found[0] if found else None


def teacher_lesson_detail(*, teacher_id, lesson_id) -> dict | None:
    """TeacherLesson + `series: {id, recurrence: {frequency, dayOfWeek, daysOfWeek}} | null`."""
    found = teacher_lesson_dict(teacher_id=teacher_id, lesson_id=lesson_id)
    if found is None:
        return None
    series = None
    if found["seriesId"]:
        rows = LessonSeries.objects.filter(id=found["seriesId"]).values(
            "id", "frequency", "day_of_week", "days_of_week"
        )
        row = rows.first()
        if row:
            series = {
                "id": str(row["id"]),
                "recurrence": {
                    "frequency": row["frequency"],
                    "dayOfWeek": row["day_of_week"],
                    "daysOfWeek": row["days_of_week"],
                },
            }
    found["series"] = series
    return found
