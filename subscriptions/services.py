"""Writes on subscriptions (абонементы).

Atomicity (the contract's "never overspend, never lose a count"):

* `subscription_consume(_many)` locks the chargeable packages with ONE ``SELECT … FOR UPDATE`` (in id order)
  whose WHERE is ``deleted_at IS NULL AND ((type = 'lessons' AND used_lessons < total_lessons) OR
  (type = 'date' AND expires_at > now))``, then increments them with ONE UPDATE computed by the database
  (F()), never read-modify-write in Python, so no count is lost. On PostgreSQL a concurrent consumer of the
  same row waits for the row lock and then re-checks the WHERE clause against the committed row (READ
  COMMITTED re-evaluation), so once the package is empty every waiting consumer locks 0 rows: nothing is
  overspent, whatever the size of the group being marked. The CHECK constraint `used_lessons <= total_lessons` is the
  last line of defence.
* `subscription_refund` is ONE conditional UPDATE ``SET used_lessons = used_lessons - 1 WHERE id = … AND
  used_lessons > 0`` (the column is also CHECKed >= 0); `subscription_refund_many` is ONE UPDATE for any
  number of rows (``GREATEST(used_lessons - CASE id WHEN … THEN n END, 0)``).
* Create/restore rely on the partial unique constraint (one non-deleted row per teacher + student); the
  IntegrityError of a lost race is turned into the contract's 409, never a 500.
"""

import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import TeacherStudentLink
from tutorcal import events
from tutorcal.errors import DomainError

from .models import Subscription


def _notify(*, teacher_id, student_id, subscription_id) -> None:
    events.announce(
        events.subscription_updated, teacher_id=teacher_id, student_id=student_id, subscription_id=subscription_id
    )


def _chargeable(now: datetime) -> Q:
    """Rows that can pay for one more lesson right now (non-deleted is filtered separately)."""
    return Q(type=Subscription.Type.LESSONS, total_lessons__isnull=False, used_lessons__lt=F("total_lessons")) | Q(
        type=Subscription.Type.DATE, expires_at__gt=now
    )


def subscription_consume(*, teacher_id: uuid.UUID, student_id: uuid.UUID) -> Subscription | None:
    """Charge one lesson to the active (non-deleted, not expired) subscription of teacher + student.

    Returns the charged subscription (with its new counter) or None when there is nothing to charge.
    A `date` subscription never runs out before expiresAt; its counter only counts.
    Safe under any concurrency: see the module docstring. Call it inside the caller's transaction so the
    charge commits or rolls back together with the lesson row that records it.
    """
    return subscription_consume_many(teacher_id=teacher_id, student_ids=[student_id]).get(student_id)


def subscription_consume_many(
    *, teacher_id: uuid.UUID, student_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Subscription]:
    """`subscription_consume` for several students of one teacher in a constant number of queries (lesson
    completion marks a whole group at once): lock the chargeable packages (one SELECT … FOR UPDATE, in id order
    so concurrent callers never deadlock), charge them (one UPDATE, the WHERE re-checked by the database).
    Returns {student_id: charged subscription}; students without a chargeable package are absent."""
    student_ids = list(dict.fromkeys(student_ids))
    if not student_ids:
        return {}
    now = timezone.now()
    with transaction.atomic():
        locked = list(
            Subscription.objects.select_for_update()
            .filter(teacher_id=teacher_id, student_id__in=student_ids, deleted_at__isnull=True)
            .filter(_chargeable(now))
            .order_by("id")
        )
        if not locked:
            return {}
        Subscription.objects.filter(id__in=[sub.id for sub in locked]).filter(_chargeable(now)).update(
            used_lessons=F("used_lessons") + 1, updated_at=now
        )
        charged = {}
        for sub in locked:
            sub.used_lessons += 1
            sub.updated_at = now
            charged[sub.student_id] = sub
            _notify(teacher_id=teacher_id, student_id=sub.student_id, subscription_id=sub.id)
        return charged


def subscription_refund(*, subscription_id: uuid.UUID) -> bool:
    """Give one lesson back to the subscription that paid for it. Returns whether a lesson was returned.

    Decision: the refund goes to that exact subscription even if it was soft-deleted or has expired since
    (the counter is the package's history; a restored package then shows the right balance, and an emptied
    `lessons` package becomes usable again).
    """
    if subscription_id is None:
        return False
    now = timezone.now()
    with transaction.atomic():
        refunded = Subscription.objects.filter(id=subscription_id, used_lessons__gt=0).update(
            used_lessons=F("used_lessons") - 1, updated_at=now
        )
        if not refunded:
            return False
        teacher_id, student_id = Subscription.objects.filter(id=subscription_id).values_list(
            "teacher_id", "student_id"
        )[0]
        _notify(teacher_id=teacher_id, student_id=student_id, subscription_id=subscription_id)
        return True


def subscription_refund_many(*, subscription_ids: Iterable[uuid.UUID | None]) -> int:
    """Give back one lesson per occurrence of an id (a series delete or a student removal refunds many rows at
    once) in ONE UPDATE, whatever the number of rows: ``used_lessons = GREATEST(used_lessons - CASE id WHEN …
    THEN n … END, 0)``. Same decision as `subscription_refund` for deleted/expired packages.
    Returns the number of subscriptions touched."""
    counts = Counter(sid for sid in subscription_ids if sid is not None)
    if not counts:
        return 0
    now = timezone.now()
    minus = Case(
        *(When(id=sid, then=Value(n)) for sid, n in counts.items()), default=Value(0), output_field=IntegerField()
    )
    with transaction.atomic():
        touched = Subscription.objects.filter(id__in=list(counts), used_lessons__gt=0).update(
            used_lessons=Greatest(F("used_lessons") - minus, Value(0)), updated_at=now
        )
        for sid, teacher_id, student_id in Subscription.objects.filter(id__in=list(counts)).values_list(
            "id", "teacher_id", "student_id"
        ):
            _notify(teacher_id=teacher_id, student_id=student_id, subscription_id=sid)
        return touched


def _require_link(*, teacher_id: uuid.UUID, student_id: uuid.UUID) -> None:
    """Subscriptions exist only between linked people (an archived link counts, as in the reference)."""
    if not TeacherStudentLink.objects.filter(teacher_id=teacher_id, student_id=student_id).exists():
        raise DomainError("STUDENT_NOT_FOUND")


def subscription_create(
    *,
    teacher_id: uuid.UUID,
    student_id: uuid.UUID,
    type: str,
    total_lessons: int | None = None,
    expires_at: datetime | None = None,
    name: str | None = None,
) -> Subscription:
    """Create the one active subscription of teacher + student (input already validated by the serializer).

    404 STUDENT_NOT_FOUND without a link; 409 SUBSCRIPTION_ALREADY_EXISTS while a non-deleted one exists
    (expired included: the teacher deletes it first), also when a parallel request wins the race.
    """
    if type == Subscription.Type.LESSONS:
        if not total_lessons or total_lessons < 1:
            raise DomainError("TOTAL_LESSONS_REQUIRED")
        expires_at = None
    elif type == Subscription.Type.DATE:
        if expires_at is None:
            raise DomainError("EXPIRES_AT_REQUIRED")
        total_lessons = None
    else:
        raise DomainError("INVALID_SUBSCRIPTION_TYPE")
    _require_link(teacher_id=teacher_id, student_id=student_id)
    active = Subscription.objects.filter(teacher_id=teacher_id, student_id=student_id, deleted_at__isnull=True)
    if active.exists():
        raise DomainError("SUBSCRIPTION_ALREADY_EXISTS")
    try:
        with transaction.atomic():
            subscription = Subscription.objects.create(
                teacher_id=teacher_id,
                student_id=student_id,
                type=type,
                total_lessons=total_lessons,
                expires_at=expires_at,
                name=name,
            )
    except IntegrityError:
        # A parallel create committed first: the partial unique constraint rejected this one.
        raise DomainError("SUBSCRIPTION_ALREADY_EXISTS")
    _notify(teacher_id=teacher_id, student_id=student_id, subscription_id=subscription.id)
    return subscription


def subscription_delete(*, teacher_id: uuid.UUID, subscription_id: uuid.UUID) -> None:
    """Soft delete. 404 SUBSCRIPTION_NOT_FOUND when not the teacher's or already deleted."""
    with transaction.atomic():
        deleted = Subscription.objects.filter(
            id=subscription_id, teacher_id=teacher_id, deleted_at__isnull=True
        ).update(deleted_at=timezone.now(), updated_at=timezone.now())
        if not deleted:
            raise DomainError("SUBSCRIPTION_NOT_FOUND")
        student_id = Subscription.objects.filter(id=subscription_id).values_list("student_id", flat=True)[0]
        _notify(teacher_id=teacher_id, student_id=student_id, subscription_id=subscription_id)


def subscription_restore(*, teacher_id: uuid.UUID, subscription_id: uuid.UUID) -> Subscription:
    """Bring a soft-deleted subscription back.

    404 SUBSCRIPTION_NOT_FOUND (not the teacher's, or the student is no longer linked);
    409 SUBSCRIPTION_NOT_DELETED; 409 ANOTHER_SUBSCRIPTION_EXISTS (also when a parallel create/restore wins).
    """
    subscription = Subscription.objects.filter(id=subscription_id, teacher_id=teacher_id).first()
    if subscription is None:
        raise DomainError("SUBSCRIPTION_NOT_FOUND")
    if not TeacherStudentLink.objects.filter(teacher_id=teacher_id, student_id=subscription.student_id).exists():
        raise DomainError("SUBSCRIPTION_NOT_FOUND")
    if subscription.deleted_at is None:
        raise DomainError("SUBSCRIPTION_NOT_DELETED")
    others = Subscription.objects.filter(
        teacher_id=teacher_id, student_id=subscription.student_id, deleted_at__isnull=True
    ).exclude(id=subscription.id)
    if others.exists():
        raise DomainError("ANOTHER_SUBSCRIPTION_EXISTS")
    now = timezone.now()
    try:
        with transaction.atomic():
            restored = Subscription.objects.filter(id=subscription.id, deleted_at__isnull=False).update(
                deleted_at=None, updated_at=now
            )
    except IntegrityError:
        raise DomainError("ANOTHER_SUBSCRIPTION_EXISTS")
    if not restored:  # restored by a parallel request in the meantime
        raise DomainError("SUBSCRIPTION_NOT_DELETED")
    subscription.deleted_at = None
    subscription.updated_at = now
    _notify(teacher_id=teacher_id, student_id=subscription.student_id, subscription_id=subscription.id)
    return subscription
