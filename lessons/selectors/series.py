"""The teacher's recurring series (GET /teachers/me/lesson-series)."""

from __future__ import annotations

from django.db.models import Count, Q

from lessons.models import Lesson, LessonSeries, SeriesStudent

from .calendar import _s


def lesson_series_list(*, teacher_id) -> list[dict]:
    """GET /me/lesson-series: two queries (series with counts and subject, series students with names)."""
    series = list(
        LessonSeries.objects.filter(teacher_id=teacher_id)
        .annotate(
            lessons_count=Count("lessons"),
            lessons_done=Count("lessons", filter=Q(lessons__status=Lesson.Status.DONE)),
        )
        .order_by("created_at", "id")
        .values(
            "id",
            "subject_id",
            "frequency",
            "day_of_week",
            "days_of_week",
            "end_date",
            "time_of_day",
            "timezone",
            "duration_minutes",
            "price_rub",
            "is_free",
            "meeting_url",
            "subject__name",
            "subject__color_hex",
            "lessons_count",
            "lessons_done",
        )
    )
    if not series:
        return []
    students: dict = {}
    for member in (
        SeriesStudent.objects.filter(series__teacher_id=teacher_id)
        .order_by("created_at", "id")
        .values("series_id", "student_id", "student__user__first_name", "student__user__last_name", "price_rub")
    ):
        students.setdefault(member["series_id"], []).append(
            {
                "studentId": str(member["student_id"]),
                "firstName": member["student__user__first_name"],
                "lastName": member["student__user__last_name"],
                "priceRub": member["price_rub"],
            }
        )
    out = []
    for row in series:
        recurrence: dict[str, object] = {
            "frequency": row["frequency"],
            "dayOfWeek": row["day_of_week"],
            "daysOfWeek": row["days_of_week"],
        }
        if row["end_date"] is not None:
            # the reference returns endDate.toISOString(): the day's UTC midnight, as the client sent it
            recurrence["endDate"] = f"{row['end_date'].isoformat()}T00:00:00.000Z"
        out.append(
            {
                "id": str(row["id"]),
                "subjectId": _s(row["subject_id"]),
                "recurrence": recurrence,
                "timeOfDay": row["time_of_day"],
                "timezone": row["timezone"],
                "durationMinutes": row["duration_minutes"],
                "priceRub": row["price_rub"],
                "isFree": row["is_free"],
                "meetingUrl": row["meeting_url"],
                "students": students.get(row["id"], []),
                "subject": {"name": row["subject__name"], "colorHex": row["subject__color_hex"]}
                if row["subject_id"] is not None
                else None,
                "lessonsCount": row["lessons_count"],
                "lessonsDone": row["lessons_done"],
                "lessonsRemaining": row["lessons_count"] - row["lessons_done"],
            }
        )
    return out
