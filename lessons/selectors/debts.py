"""Who owes what: unpaid attended lessons (count and amount), per student, per teacher, per subject."""

import uuid
from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import (
    TeacherStudentLink,
)
from lessons.selectors.stats import DEBT_Q, teacher_name, teacher_rows
from lessons.selectors.student_lessons import child_rows
from tutorcal.timeutil import iso


def debt_json(count: int | None, amount: int | None) -> dict:
    count, amount = count or 0, amount or 0
    return {"hasDebt": count > 0, "unpaidLessonsCount": count, "unpaidAmountRub": amount}


def agg_debt_json(agg: Mapping[str, Any] | None) -> dict:
    agg = agg or {}
    return debt_json(agg.get("debt_count"), agg.get("debt_amount"))


def debt_lessons(rows: QuerySet) -> list[dict]:
    return [
        {
            "lessonId": str(v["lesson_id"]),
            "startAt": iso(v["lesson__start_at"]),
            "priceRub": v["price_rub"],
            "subjectName": v["lesson__subject__name"] or "",
        }
        for v in rows.filter(DEBT_Q)
        .values("lesson_id", "lesson__start_at", "price_rub", "lesson__subject__name")
        .order_by("lesson__start_at")
    ]


def detailed_debt(rows: QuerySet) -> dict:
    """DetailedDebt = DebtInfo + lessons:[{lessonId, startAt, priceRub, subjectName}] (two queries)."""
    agg = rows.aggregate(
        debt_count=Count("id", filter=DEBT_Q), debt_amount=Coalesce(Sum("price_rub", filter=DEBT_Q), 0)
    )
    return {**agg_debt_json(agg), "lessons": debt_lessons(rows) if agg["debt_count"] else []}


def teacher_debts(*, teacher_id: uuid.UUID) -> list[dict]:
    """Students (active links) owing this teacher, biggest debt first:
    [{studentId, name, unpaidLessonsCount, unpaidAmountRub}] in one query."""
    active = TeacherStudentLink.objects.filter(
        teacher_id=teacher_id, student_id=OuterRef("student_id"), archived_at__isnull=True
    )
    rows = (
        teacher_rows(teacher_id)
        .filter(DEBT_Q)
        .filter(Exists(active))
        .values("student_id", "student__user__first_name", "student__user__last_name")
        .annotate(count=Count("id"), amount=Sum("price_rub"))
        .order_by("-amount", "student__user__first_name", "student_id")
    )
    return [
        {
            "studentId": str(r["student_id"]),
            "name": " ".join(p for p in (r["student__user__first_name"], r["student__user__last_name"]) if p),
            "unpaidLessonsCount": r["count"],
            "unpaidAmountRub": r["amount"] or 0,
        }
        for r in rows
    ]


def teacher_student_debt(*, teacher_id: uuid.UUID, student_id: uuid.UUID) -> dict:
    return detailed_debt(teacher_rows(teacher_id, student_id))


def child_debt_breakdown(*, parent_id: uuid.UUID, child_id: uuid.UUID) -> dict:
    """{totalDebt: DebtInfo, byTeacher:[{teacherId, teacherName, hasDebt, unpaidLessonsCount,
    unpaidAmountRub, lessons}]} — only visible teachers, only those with debt (two queries)."""
    rows = child_rows(parent_id, child_id).filter(DEBT_Q)
    values = rows.values(
        "lesson_id",
        "lesson__start_at",
        "price_rub",
        "lesson__subject__name",
        "lesson__teacher_id",
        "lesson__teacher__display_name",
        "lesson__teacher__user__first_name",
    ).order_by("lesson__teacher__display_name", "lesson__teacher_id", "lesson__start_at")
    by_teacher: dict = {}
    total_count = total_amount = 0
    for v in values:
        entry = by_teacher.setdefault(
            v["lesson__teacher_id"],
            {
                "teacherId": str(v["lesson__teacher_id"]),
                "teacherName": teacher_name(v["lesson__teacher__display_name"], v["lesson__teacher__user__first_name"]),
                "hasDebt": True,
                "unpaidLessonsCount": 0,
                "unpaidAmountRub": 0,
                "lessons": [],
            },
        )
        entry["unpaidLessonsCount"] += 1
        entry["unpaidAmountRub"] += v["price_rub"]
        entry["lessons"].append(
            {
                "lessonId": str(v["lesson_id"]),
                "startAt": iso(v["lesson__start_at"]),
                "priceRub": v["price_rub"],
                "subjectName": v["lesson__subject__name"] or "",
            }
        )
        total_count += 1
        total_amount += v["price_rub"]
    return {"totalDebt": debt_json(total_count, total_amount), "byTeacher": list(by_teacher.values())}
