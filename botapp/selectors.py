"""Reads for the bot: who a Telegram user is, lesson lists for commands, debts, notification gates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from accounts.models import ParentStudentRelation, User
from accounts.selectors import users_with_profiles
from lessons.models import Lesson, LessonStudent

from .models import Outbox, UserNotificationSettings


def user_by_telegram(telegram_id: int) -> User | None:
    return users_with_profiles().filter(telegram_id=telegram_id, deleted_at__isnull=True).first()


def display_name(user: User | None) -> str:
    if user is None:
        return "Ученик"
    return user.full_name or (f"@{user.username}" if user.username else "Ученик")


def teacher_name(teacher) -> str:
    return teacher.display_name or display_name(teacher.user) or "Учитель"


def lessons_with_people() -> QuerySet[Lesson]:
    rows = LessonStudent.objects.select_related("student__user").order_by("created_at")
    return Lesson.objects.select_related("subject", "teacher__user").prefetch_related(
        Prefetch("lesson_students", queryset=rows)
    )


def lesson_dict(lesson: Lesson, *, only_student_id=None) -> dict:
    rows = [r for r in lesson.lesson_students.all() if only_student_id is None or r.student_id == only_student_id]
    return {
        "id": lesson.id,
        "start": lesson.start_at,
        "end": lesson.start_at + timedelta(minutes=lesson.duration_minutes),
        "subject": lesson.subject.name if lesson.subject else None,
        "status": lesson.status,
        "meeting_url": lesson.meeting_url,
        "teacher": teacher_name(lesson.teacher),
        "students": [(display_name(r.student.user), r.attendance) for r in rows],
    }


def teacher_lessons(*, teacher_id, start: datetime, end: datetime) -> list[dict]:
    qs = lessons_with_people().filter(teacher_id=teacher_id, start_at__gte=start, start_at__lt=end)
    return [lesson_dict(lesson) for lesson in qs.order_by("start_at")]


def student_lessons(*, student_id, start: datetime, end: datetime) -> list[dict]:
    qs = lessons_with_people().filter(lesson_students__student_id=student_id, start_at__gte=start, start_at__lt=end)
    return [lesson_dict(lesson, only_student_id=student_id) for lesson in qs.order_by("start_at").distinct()]


def teacher_next_lesson(*, teacher_id) -> dict | None:
    lesson = (
        lessons_with_people()
        .filter(teacher_id=teacher_id, status=Lesson.Status.PLANNED, start_at__gte=timezone.now())
        .order_by("start_at")
        .first()
    )
    return lesson_dict(lesson) if lesson else None


def student_next_lesson(*, student_id) -> dict | None:
    lesson = (
        lessons_with_people()
        .filter(
            lesson_students__student_id=student_id,
            status=Lesson.Status.PLANNED,
            start_at__gte=timezone.now(),
        )
        .exclude(lesson_students__student_id=student_id, lesson_students__attendance="cancelled")
        .order_by("start_at")
        .first()
    )
    return lesson_dict(lesson, only_student_id=student_id) if lesson else None


def teacher_debts(*, teacher_id) -> list[dict]:
    """Who owes this tutor what (the students area's aggregate: one query), biggest debt first."""
    from lessons.selectors.debts import teacher_debts as people_teacher_debts

    return [
        {"name": r["name"] or "Ученик", "amount": r["unpaidAmountRub"], "lessons": r["unpaidLessonsCount"]}
        for r in people_teacher_debts(teacher_id=teacher_id)
    ]


def settings_by_user(user_ids: Iterable) -> dict:
    return {s.user_id: s for s in UserNotificationSettings.objects.filter(user_id__in=set(user_ids))}


def parent_relations(pairs: Iterable[tuple]) -> dict[tuple, list[User]]:
    """(teacher_id, student_id) -> parent users whose relation has notifications on (one query)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    teachers = {t for t, _ in pairs}
    students = {s for _, s in pairs}
    out: dict[tuple, list[User]] = {}
    qs = ParentStudentRelation.objects.filter(
        teacher_id__in=teachers, student_id__in=students, notifications_enabled=True
    ).select_related("parent__user")
    for rel in qs:
        key = (rel.teacher_id, rel.student_id)
        if key in pairs:
            out.setdefault(key, []).append(rel.parent.user)
    return out


def already_queued(event_type: str, *, recipient_field: str, lesson_field: str, start_field: str) -> Exists:
    return Exists(
        Outbox.objects.filter(
            event_type=event_type,
            lesson_id=OuterRef(lesson_field),
            recipient_id=OuterRef(recipient_field),
            lesson_start=OuterRef(start_field),
        )
    )
