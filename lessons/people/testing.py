"""Test/bench data builders for the people area (ORM only, no HTTP)."""

from datetime import datetime, timedelta

from django.utils import timezone

from lessons.models import Lesson, LessonStudent, Subject


def make_subject(teacher_profile, name: str = "Математика", color: str = "#4CAF50", code: str | None = None) -> Subject:
    return Subject.objects.create(teacher=teacher_profile, name=name, code=code or name.lower()[:50], color_hex=color)


def make_lesson(
    teacher_profile,
    students=(),
    *,
    start: datetime | None = None,
    days: float | None = None,
    status: str = "planned",
    attendance: str = "unknown",
    payment_status: str = "unpaid",
    payment_type: str = "fixed",
    price: int = 1000,
    subject: Subject | None = None,
    cancelled_by: str | None = None,
    duration: int = 60,
    rows: dict | None = None,
) -> Lesson:
    """A lesson of `teacher_profile` with one row per student profile. `days` = offset from now.
    `rows` = {student_profile_id: {field: value}} overrides per student."""
    if start is None:
        start = timezone.now() + timedelta(days=days if days is not None else 1)
    lesson = Lesson.objects.create(
        teacher=teacher_profile,
        subject=subject,
        start_at=start,
        duration_minutes=duration,
        price_rub=price,
        status=status,
        cancelled_by=cancelled_by,
    )
    LessonStudent.objects.bulk_create(
        [
            LessonStudent(
                lesson=lesson,
                student=s,
                **{
                    "price_rub": price,
                    "attendance": attendance,
                    "payment_status": payment_status,
                    "payment_type": payment_type,
                    **((rows or {}).get(s.id, {})),
                },
            )
            for s in students
        ]
    )
    return lesson
