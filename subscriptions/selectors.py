"""Reads on subscriptions and their wire shapes (camelCase, ISO UTC)."""

import math
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import overload

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import TeacherStudentLink
from tutorcal.timeutil import iso

from .credits import available_q
from .models import MakeUpCredit, Subscription

DAY_SECONDS = 86400


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def remaining_lessons(sub: Subscription) -> int | None:
    if sub.type == Subscription.Type.LESSONS and sub.total_lessons is not None:
        return max(0, sub.total_lessons - sub.used_lessons)
    return None


def is_expired(sub: Subscription, now: datetime | None = None) -> bool:
    if sub.type == Subscription.Type.LESSONS:
        return sub.total_lessons is not None and sub.used_lessons >= sub.total_lessons
    if sub.type == Subscription.Type.DATE:
        return sub.expires_at is not None and _now(now) > sub.expires_at
    return False


def is_active(sub: Subscription, now: datetime | None = None) -> bool:
    return sub.deleted_at is None and not is_expired(sub, now)


@overload
def subscription_json(sub: Subscription, now: datetime | None = None) -> dict: ...
@overload
def subscription_json(sub: None, now: datetime | None = None) -> None: ...
def subscription_json(sub: Subscription | None, now: datetime | None = None) -> dict | None:
    """Subscription = {id, type, totalLessons, usedLessons, remainingLessons, expiresAt, name, isExpired,
    isActive, createdAt}; None -> None."""
    if sub is None:
        return None
    now = _now(now)
    return {
        "id": str(sub.id),
        "type": sub.type,
        "totalLessons": sub.total_lessons,
        "usedLessons": sub.used_lessons,
        "remainingLessons": remaining_lessons(sub),
        "expiresAt": iso(sub.expires_at),
        "name": sub.name,
        "isExpired": is_expired(sub, now),
        "isActive": is_active(sub, now),
        "createdAt": iso(sub.created_at),
    }


def archived_subscription_json(sub: Subscription, now: datetime | None = None) -> dict:
    """The archived-list item: the Subscription shape with isDeleted/deletedAt instead of isActive."""
    data = subscription_json(sub, now)
    del data["isActive"]
    data.update(isDeleted=sub.deleted_at is not None, deletedAt=iso(sub.deleted_at))
    return data


def teacher_name(teacher) -> str:
    """displayName || teacher's first name || "Учитель" (needs teacher.user loaded)."""
    return teacher.display_name or teacher.user.first_name or "Учитель"


def student_subscription_json(sub: Subscription, now: datetime | None = None) -> dict:
    """The student's view: Subscription + teacherId + teacherName (needs teacher__user select_related)."""
    return {
        "id": str(sub.id),
        "teacherId": str(sub.teacher_id),
        "teacherName": teacher_name(sub.teacher),
        **{k: v for k, v in subscription_json(sub, now).items() if k != "id"},
    }


def ru_plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural form: 1 урок, 2 урока, 5 уроков, 11 уроков, 21 урок."""
    n = abs(n)
    if 11 <= n % 100 <= 19:
        return many
    last = n % 10
    if last == 1:
        return one
    if 2 <= last <= 4:
        return few
    return many


def display_text(sub: Subscription, now: datetime | None = None) -> str:
    """`Осталось N урок|урока|уроков` / `Безлимитный` / `Осталось N дн.` / `Бессрочный`."""
    if sub.type == Subscription.Type.LESSONS:
        remaining = remaining_lessons(sub)
        if remaining is None:
            return "Безлимитный"
        return f"Осталось {remaining} {ru_plural(remaining, 'урок', 'урока', 'уроков')}"
    if sub.expires_at is None:
        return "Бессрочный"
    days = math.ceil((sub.expires_at - _now(now)).total_seconds() / DAY_SECONDS)
    return f"Осталось {days} дн."


def has_subscription_json(sub: Subscription | None, now: datetime | None = None) -> dict:
    now = _now(now)
    if sub is None or not is_active(sub, now):
        return {"hasSubscription": False}
    return {
        "hasSubscription": True,
        "subscription": {
            "id": str(sub.id),
            "name": sub.name,
            "type": sub.type,
            "remainingLessons": remaining_lessons(sub),
            "expiresAt": iso(sub.expires_at),
            "displayText": display_text(sub, now),
        },
    }


# --- querysets -------------------------------------------------------------------------------------------


def non_deleted() -> QuerySet[Subscription]:
    return Subscription.objects.filter(deleted_at__isnull=True)


def active_subscription(teacher_id: uuid.UUID, student_id: uuid.UUID) -> Subscription | None:
    """The non-deleted subscription of teacher + student (possibly expired: check `is_active`), or None."""
    return non_deleted().filter(teacher_id=teacher_id, student_id=student_id).first()


def subscriptions_by_student(teacher_id: uuid.UUID, student_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Subscription]:
    """{student_id: non-deleted subscription} for many students of one teacher in ONE query (students without
    one are absent). Use with `subscription_json(result.get(student_id))`."""
    ids = list(student_ids)
    if not ids:
        return {}
    return {sub.student_id: sub for sub in non_deleted().filter(teacher_id=teacher_id, student_id__in=ids)}


def subscriptions_by_teacher(student_id: uuid.UUID, teacher_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Subscription]:
    """{teacher_id: non-deleted subscription} for one student and many teachers in ONE query."""
    ids = list(teacher_ids)
    if not ids:
        return {}
    return {sub.teacher_id: sub for sub in non_deleted().filter(student_id=student_id, teacher_id__in=ids)}


def _linked(teacher_field: str = "teacher_id", student_field: str = "student_id") -> Exists:
    return Exists(
        TeacherStudentLink.objects.filter(teacher_id=OuterRef(teacher_field), student_id=OuterRef(student_field))
    )


def archived_subscriptions(teacher_id: uuid.UUID, student_id: uuid.UUID, now: datetime | None = None):
    """Deleted or used-up/expired subscriptions, newest deletion first; expired-not-deleted ones last (B22)."""
    now = _now(now)
    return (
        Subscription.objects.filter(teacher_id=teacher_id, student_id=student_id)
        .filter(
            Q(deleted_at__isnull=False)
            | Q(type=Subscription.Type.LESSONS, total_lessons__isnull=False, used_lessons__gte=F("total_lessons"))
            | Q(type=Subscription.Type.DATE, expires_at__lt=now)
        )
        .order_by(F("deleted_at").desc(nulls_last=True), "-created_at")
    )


def student_subscriptions(student_id: uuid.UUID) -> QuerySet[Subscription]:
    """The student's non-deleted subscriptions with teachers they are (still) linked to, newest first."""
    return (
        non_deleted()
        .filter(student_id=student_id)
        .filter(_linked())
        .select_related("teacher__user")
        .order_by("-created_at")
    )


def credits_json(*, student_id: uuid.UUID, teacher_ids) -> dict:
    """Available make-up credits of a student with these tutors (one query): {available, credits: [...]}."""
    now = timezone.now()
    rows = MakeUpCredit.objects.filter(available_q(now), student_id=student_id, teacher_id__in=list(teacher_ids))
    credits = [
        {
            "id": str(c.id),
            "teacherId": str(c.teacher_id),
            "reason": c.reason,
            "expiresAt": iso(c.expires_at),
            "createdAt": iso(c.created_at),
        }
        for c in rows.order_by("expires_at", "id")
    ]
    return {"available": len(credits), "credits": credits}
