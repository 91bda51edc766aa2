"""Make-up credits: granted by a cancellation under the tutor's policy, spent by a make-up booking, lapsed by
the daily job, revoked when the tutor reverses the decision. Atomic like packages: a credit is claimed with
SELECT … FOR UPDATE SKIP LOCKED inside the booking's transaction, so parallel bookings never spend one twice."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import TeacherProfile
from tutorcal.errors import DomainError

from .models import MakeUpCredit


def available_q(now: datetime) -> Q:
    return Q(spent_at__isnull=True, lapsed_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


def credit_grant(*, teacher: TeacherProfile, student_id: uuid.UUID, lesson_id: uuid.UUID, reason: str) -> MakeUpCredit:
    now = timezone.now()
    return MakeUpCredit.objects.create(
        teacher_id=teacher.id,
        student_id=student_id,
        source_lesson_id=lesson_id,
        reason=reason[:255],
        expires_at=now + timedelta(days=teacher.make_up_credit_days),
    )


def credits_spend(*, teacher_id: uuid.UUID, student_ids: list[uuid.UUID], lesson_id: uuid.UUID) -> dict:
    """Spend one credit per student for `lesson_id` (the soonest to expire first), all or nothing:
    409 NO_MAKEUP_CREDITS when any student has none left. Returns {student_id: credit}."""
    now = timezone.now()
    spent: dict = {}
    with transaction.atomic():
        for student_id in sorted(set(student_ids)):
            credit = (
                MakeUpCredit.objects.select_for_update(skip_locked=True)
                .filter(available_q(now), teacher_id=teacher_id, student_id=student_id)
                .order_by("expires_at", "id")
                .first()
            )
            if credit is None:
                raise DomainError("NO_MAKEUP_CREDITS")
            credit.spent_at = now
            credit.spent_lesson_id = lesson_id
            credit.save(update_fields=["spent_at", "spent_lesson_id"])
            spent[student_id] = credit
    return spent


def credits_unspend(*, credit_ids) -> int:
    """A make-up lesson was cancelled or deleted: its credits are owed again (if not expired meanwhile)."""
    ids = [c for c in credit_ids if c is not None]
    if not ids:
        return 0
    return MakeUpCredit.objects.filter(id__in=ids, spent_at__isnull=False).update(spent_at=None, spent_lesson_id=None)


def credit_revoke(*, credit_id: uuid.UUID) -> None:
    """The tutor reversed the decision that granted the credit: 409 CREDIT_ALREADY_SPENT once it paid a lesson."""
    with transaction.atomic():
        credit = MakeUpCredit.objects.select_for_update().filter(id=credit_id).first()
        if credit is None or credit.revoked_at is not None:
            return
        if credit.spent_at is not None:
            raise DomainError("CREDIT_ALREADY_SPENT")
        credit.revoked_at = timezone.now()
        credit.save(update_fields=["revoked_at"])


def credits_lapse_expired(*, now: datetime | None = None) -> int:
    """The worker's daily job: unspent credits past their expiry lapse (one UPDATE)."""
    now = now or timezone.now()
    return MakeUpCredit.objects.filter(
        spent_at__isnull=True, lapsed_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now
    ).update(lapsed_at=now)
