"""How the service is used: registrations, activity, lessons, referral sources, users. Each figure is one SQL
aggregate over a bounded date range (never a whole-table load)."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import CharField, Count, F, Max, Q, Value
from django.db.models.functions import TruncDate

from accounts.models import ParentProfile, StudentProfile, TeacherProfile, User
from lessons.models import Lesson

from ..models import RequestLog
from .common import DateRange, today, tz

ROLES = ("teacher", "student", "parent")
_PROFILES: dict[str, type[TeacherProfile] | type[StudentProfile] | type[ParentProfile]] = {
    "teacher": TeacherProfile,
    "student": StudentProfile,
    "parent": ParentProfile,
}


def dashboard_stats() -> dict:
    """{totalTeachers, totalStudents, newTeachersToday, newStudentsToday} (+ parents): one query."""
    midnight = datetime.combine(today(), time.min, tzinfo=tz())
    row = User.objects.filter(deleted_at__isnull=True).aggregate(
        totalTeachers=Count("teacher_profile"),
        totalStudents=Count("student_profile"),
        totalParents=Count("parent_profile"),
        newTeachersToday=Count("teacher_profile", filter=Q(teacher_profile__created_at__gte=midnight)),
        newStudentsToday=Count("student_profile", filter=Q(student_profile__created_at__gte=midnight)),
        newParentsToday=Count("parent_profile", filter=Q(parent_profile__created_at__gte=midnight)),
    )
    return row


def registrations_by_day(rng: DateRange) -> list[dict]:
    """[{date, teachers, students, parents}] for every day of the range, zeros included: one UNION ALL query."""
    parts = [
        model.objects.filter(created_at__gte=rng.since, created_at__lt=rng.until)
        .annotate(day=TruncDate("created_at", tzinfo=tz()), role=Value(role, output_field=CharField()))
        .values("day", "role")
        .annotate(n=Count("id"))
        .order_by()
        for role, model in _PROFILES.items()
    ]
    counts: dict[tuple[date, str], int] = {}
    for row in parts[0].union(*parts[1:], all=True):
        counts[(row["day"], row["role"])] = row["n"]
    return [
        {
            "date": day.isoformat(),
            "teachers": counts.get((day, "teacher"), 0),
            "students": counts.get((day, "student"), 0),
            "parents": counts.get((day, "parent"), 0),
        }
        for day in rng.days()
    ]


def active_users(rng: DateRange) -> dict:
    """Distinct users with at least one verified request in the range, per role (from the request log)."""
    row = RequestLog.objects.filter(
        created_at__gte=rng.since, created_at__lt=rng.until, user_id__isnull=False
    ).aggregate(
        teachers=Count("user_id", distinct=True, filter=Q(user_role="teacher")),
        students=Count("user_id", distinct=True, filter=Q(user_role="student")),
        parents=Count("user_id", distinct=True, filter=Q(user_role="parent")),
    )
    return row


def lessons_by_day(rng: DateRange) -> list[dict]:
    """[{date, total, done, cancelled}] per day of lesson start, zeros included: one grouped query."""
    rows = (
        Lesson.objects.filter(start_at__gte=rng.since, start_at__lt=rng.until)
        .annotate(day=TruncDate("start_at", tzinfo=tz()))
        .values("day")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(status=Lesson.Status.DONE)),
            cancelled=Count("id", filter=Q(status=Lesson.Status.CANCELLED)),
        )
        .order_by()
    )
    by_day = {r["day"]: r for r in rows}
    empty = {"total": 0, "done": 0, "cancelled": 0}
    out = []
    for day in rng.days():
        r = by_day.get(day, empty)
        out.append({"date": day.isoformat(), "total": r["total"], "done": r["done"], "cancelled": r["cancelled"]})
    return out


def referral_sources(rng: DateRange | None = None) -> list[dict]:
    """[{source, count, teachers, students, parents, lastRegisteredAt}] by count desc: one grouped query."""
    qs = User.objects.filter(deleted_at__isnull=True)
    if rng is not None:
        qs = qs.filter(created_at__gte=rng.since, created_at__lt=rng.until)
    rows = (
        qs.values(source=F("referral_source"))
        .annotate(
            count=Count("id"),
            teachers=Count("teacher_profile"),
            students=Count("student_profile"),
            parents=Count("parent_profile"),
            lastRegisteredAt=Max("created_at"),
        )
        .order_by("-count", "source")[:200]
    )
    return [{**r, "source": r["source"] or None} for r in rows]


def users_page(*, role: str, page: int, limit: int) -> tuple[list, int]:
    """Users having a profile of `role`, newest first (parents included), with that profile. Two queries."""
    model = _PROFILES[role]
    qs = model.objects.filter(user__deleted_at__isnull=True).select_related("user").order_by("-user__created_at", "-id")
    total = qs.count()
    rows = list(qs[(page - 1) * limit : page * limit])
    return rows, total
