"""Waitlist reads: the queues of a tutor's lessons and a student's places in queues."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import StudentProfile
from lessons.models import Lesson, WaitlistEntry
from tutorcal.timeutil import iso


def waitlist_json(lesson_ids) -> dict:
    """{lesson_id: [{studentId, position}]} for these lessons, one query."""
    out: dict = {}
    for lesson_id, student_id in (
        WaitlistEntry.objects.filter(lesson_id__in=lesson_ids).order_by("id").values_list("lesson_id", "student_id")
    ):
        queue = out.setdefault(lesson_id, [])
        queue.append({"studentId": str(student_id), "position": len(queue) + 1})
    return out


def student_waitlist(*, student: StudentProfile) -> list[dict]:
    """The student's places in queues of planned future lessons (two queries)."""
    mine = list(
        WaitlistEntry.objects.filter(
            student=student, lesson__status=Lesson.Status.PLANNED, lesson__start_at__gt=timezone.now()
        ).values("id", "lesson_id", "lesson__teacher_id", "lesson__start_at")
    )
    if not mine:
        return []
    ahead: dict = {}
    for lesson_id, entry_id in WaitlistEntry.objects.filter(lesson_id__in=[m["lesson_id"] for m in mine]).values_list(
        "lesson_id", "id"
    ):
        ahead.setdefault(lesson_id, []).append(entry_id)
    return [
        {
            "lessonId": str(m["lesson_id"]),
            "teacherId": str(m["lesson__teacher_id"]),
            "startAt": iso(m["lesson__start_at"]),
            "position": sorted(ahead[m["lesson_id"]]).index(m["id"]) + 1,
        }
        for m in sorted(mine, key=lambda m: m["lesson__start_at"])
    ]
