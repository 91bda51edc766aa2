"""A student's progress: streaks, achievements and detailed statistics, in the student's own zone (B4/B20)."""

import uuid
import zoneinfo
from datetime import date, datetime

from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from lessons.models import Lesson, LessonStudent
from lessons.selectors.stats import ATTENDED_Q, DONE_Q, attendance_json, by_subject, by_teacher, stats_aggregates
from tutorcal.timeutil import iso

STREAK_GAP_DAYS = 7


ACHIEVEMENTS = [
    ("first_lesson", "Первый шаг", "Посетить первое занятие", "1", 1),
    ("ten_lessons", "Десятка", "Посетить 10 занятий", "10", 10),
    ("perfect_week", "Идеальная неделя", "Посетить все занятия за неделю (минимум 3)", "W", 1),
    ("streak_5", "Пять подряд", "Посетить 5 занятий подряд без пропусков", "5+", 5),
]


def compute_streak(days: list[tuple[date, int, int, datetime]], today: date) -> dict:
    """Streak over the student's lesson days (ascending: day, attended count, missed count, last start).

    A streak is a chain of days with attended lessons where consecutive days are at most 7 days apart and no
    lesson was missed in between (a missed lesson breaks it). `current` is the chain still alive: it ends on
    the last attended day, nothing was missed after it, and that day is at most 7 days before `today`.
    Returns {current, max, reached5At (datetime|None: the moment the first 5-chain completed)}.
    """
    chain, best, last_day, reached5 = 0, 0, None, None
    for day, attended, missed, last_start in days:
        if attended:
            if missed:
                chain = 0  # a miss on the same day breaks before this day's attendance counts
            chain = chain + 1 if (chain and last_day is not None and (day - last_day).days <= STREAK_GAP_DAYS) else 1
            last_day = day
            best = max(best, chain)
            if chain >= 5 and reached5 is None:
                reached5 = last_start
        elif missed:
            chain = 0
            last_day = None
    current = chain if last_day is not None and (today - last_day).days <= STREAK_GAP_DAYS else 0
    return {"current": current, "max": best, "reached5At": reached5}


def _streak_for(rows: QuerySet, zone: zoneinfo.ZoneInfo) -> dict:
    days = (
        rows.filter(lesson__status=Lesson.Status.DONE)
        .annotate(day=TruncDate("lesson__start_at", tzinfo=zone))
        .values("day")
        .annotate(
            attended=Count("id", filter=Q(attendance=LessonStudent.Attendance.ATTENDED)),
            missed=Count("id", filter=Q(attendance=LessonStudent.Attendance.MISSED)),
            last=Max("lesson__start_at"),
        )
        .order_by("day")
    )
    today = timezone.now().astimezone(zone).date()
    return compute_streak([(d["day"], d["attended"], d["missed"], d["last"]) for d in days], today)


def _perfect_weeks(rows: QuerySet, zone: zoneinfo.ZoneInfo) -> tuple[int, datetime | None]:
    """Weeks (Monday–Sunday in the student's zone) with ≥ 3 done lessons, all attended: (count, first earned)."""
    weeks = (
        rows.filter(DONE_Q)
        .annotate(week=TruncWeek("lesson__start_at", tzinfo=zone))
        .values("week")
        .annotate(total=Count("id"), attended=Count("id", filter=ATTENDED_Q), last=Max("lesson__start_at"))
        .filter(total__gte=3)
        .order_by("week")
    )
    perfect = [w for w in weeks if w["attended"] == w["total"]]
    return len(perfect), (perfect[0]["last"] if perfect else None)


def achievements(rows: QuerySet, streak: dict, zone: zoneinfo.ZoneInfo) -> list[dict]:
    attended = rows.filter(ATTENDED_Q)
    agg = attended.aggregate(n=Count("id"), first=Min("lesson__start_at"))
    n = agg["n"]
    tenth = None
    if n >= 10:
        tenth = attended.order_by("lesson__start_at").values_list("lesson__start_at", flat=True)[9]
    perfect_count, perfect_at = _perfect_weeks(rows, zone)
    streak5_at = streak["reached5At"]
    values = {
        "first_lesson": (min(n, 1), agg["first"]),
        "ten_lessons": (min(n, 10), tenth),
        "perfect_week": (min(perfect_count, 1), perfect_at),
        "streak_5": (5 if streak5_at else min(streak["current"], 5), streak5_at),
    }
    return [
        {
            "id": key,
            "name": name,
            "description": description,
            "icon": icon,
            "earnedAt": iso(values[key][1]),
            "progress": values[key][0],
            "target": target,
        }
        for key, name, description, icon, target in ACHIEVEMENTS
    ]


def student_stats(*, student_id: uuid.UUID, zone: zoneinfo.ZoneInfo) -> dict:
    """{total, bySubject, streak:{current,max}, achievements:[4]} over all teachers (constant queries)."""
    rows = LessonStudent.objects.filter(student_id=student_id)
    streak = _streak_for(rows, zone)
    return {
        "total": attendance_json(rows.aggregate(**stats_aggregates())),
        "bySubject": by_subject(rows),
        "streak": {"current": streak["current"], "max": streak["max"]},
        "achievements": achievements(rows, streak, zone),
    }


def detailed_stats(rows: QuerySet, zone: zoneinfo.ZoneInfo) -> dict:
    """DetailedStats = {total, bySubject, byTeacher, currentStreak, maxStreak} (streak computed for real)."""
    streak = _streak_for(rows, zone)
    return {
        "total": attendance_json(rows.aggregate(**stats_aggregates())),
        "bySubject": by_subject(rows),
        "byTeacher": by_teacher(rows),
        "currentStreak": streak["current"],
        "maxStreak": streak["max"],
    }
