"""Teacher–student links: the teacher's private notes, archive (drops the student from future lessons),
restore within the window, and the purge of archives past it. Events are announced inside the transaction."""

import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import (
    RESTORE_DAYS,
    ParentStudentRelation,
    TeacherProfile,
    TeacherStudentLink,
)
from lessons.models import Lesson, LessonStudent, SeriesStudent
from subscriptions.services import subscription_refund_many
from tutorcal import events
from tutorcal.errors import DomainError

PURGE_BATCH = 200  # links per purge transaction


@transaction.atomic
def link_custom_fields_update(*, link: TeacherStudentLink, custom_fields: dict | None) -> TeacherStudentLink:
    """Replaces the teacher's private map about this student wholesale (reference §2.3)."""
    link.custom_fields = custom_fields
    link.save(update_fields=["custom_fields", "updated_at"])
    return link


def _detach_future_lessons(
    *, teacher_id: uuid.UUID, student_id: uuid.UUID, delete_individual: bool, now: datetime
) -> tuple[list[uuid.UUID], list[dict]]:
    """Remove the student from the teacher's FUTURE PLANNED lessons; optionally delete those where they are
    the only student. Past lessons (any status) are never touched. Returns (updated ids, deleted snapshots)."""
    rows = LessonStudent.objects.filter(
        student_id=student_id,
        lesson__teacher_id=teacher_id,
        lesson__status=Lesson.Status.PLANNED,
        lesson__start_at__gt=now,
    )
    lesson_ids = list(rows.values_list("lesson_id", flat=True))
    if not lesson_ids:
        return [], []
    # One UPDATE for however many charged rows (a future lesson may have been completed early).
    subscription_refund_many(
        subscription_ids=list(
            rows.filter(paid_from_subscription=True, subscription__isnull=False).values_list(
                "subscription_id", flat=True
            )
        )
    )
    deleted: list[dict] = []
    if delete_individual:
        individual = list(
            Lesson.objects.filter(id__in=lesson_ids)
            .annotate(n=Count("lesson_students"))
            .filter(n=1)
            .select_related("subject")
            .order_by("start_at")
        )
        deleted = [
            {
                "id": str(lesson.id),
                "startAt": lesson.start_at,
                "studentIds": [str(student_id)],
                "subjectName": lesson.subject.name if lesson.subject else None,
            }
            for lesson in individual
        ]
        Lesson.objects.filter(id__in=[lesson.id for lesson in individual]).delete()
    deleted_ids = {d["id"] for d in deleted}
    rows.delete()
    return [lid for lid in lesson_ids if str(lid) not in deleted_ids], deleted


@transaction.atomic
def link_archive(*, teacher: TeacherProfile, student_id: uuid.UUID, delete_individual_lessons: bool) -> datetime:
    """Archive an active link (B14): hide it, drop the student from future planned lessons and from the
    teacher's series, keep all past history and the parent relations (hidden while archived, back on restore).
    Returns the restore deadline."""
    link = (
        TeacherStudentLink.objects.select_for_update()
        .filter(teacher=teacher, student_id=student_id, archived_at__isnull=True)
        .first()
    )
    if link is None:
        raise DomainError("STUDENT_NOT_FOUND")
    now = timezone.now()
    updated, deleted = _detach_future_lessons(
        teacher_id=teacher.id, student_id=student_id, delete_individual=delete_individual_lessons, now=now
    )
    SeriesStudent.objects.filter(series__teacher=teacher, student_id=student_id).delete()
    link.archived_at = now
    link.save(update_fields=["archived_at", "updated_at"])
    if updated:
        events.announce(
            events.lesson_updated,
            lesson_ids=updated,
            teacher_id=teacher.id,
            actor="teacher",
            moved=False,
            previous_start=None,
        )
    if deleted:
        events.announce(
            events.lesson_deleted,
            lesson_ids=[uuid.UUID(d["id"]) for d in deleted],
            teacher_id=teacher.id,
            actor="teacher",
            snapshots=deleted,
        )
    events.announce(events.student_archived, teacher_id=teacher.id, student_id=student_id)
    return now + timedelta(days=RESTORE_DAYS)


@transaction.atomic
def link_restore(*, teacher: TeacherProfile, student_id: uuid.UUID) -> TeacherStudentLink:
    """Un-archive within 7 days (inclusive); the link's parent relations become visible again."""
    link = (
        TeacherStudentLink.objects.select_for_update()
        .filter(teacher=teacher, student_id=student_id, archived_at__isnull=False)
        .first()
    )
    if link is None or link.archived_at is None:  # (the filter makes archived_at set)
        raise DomainError("ARCHIVED_STUDENT_NOT_FOUND")
    if timezone.now() > link.archived_at + timedelta(days=RESTORE_DAYS):
        raise DomainError("ARCHIVE_EXPIRED")
    link.archived_at = None
    link.save(update_fields=["archived_at", "updated_at"])
    events.announce(events.student_restored, teacher_id=teacher.id, student_id=student_id)
    return link


def links_purge_archived(*, now: datetime | None = None) -> int:
    """Hard-delete links archived more than 7 days ago with their (teacher, child) parent relations.
    Idempotent and safe concurrently: rows are claimed with SKIP LOCKED, each batch in its own transaction."""
    cutoff = (now or timezone.now()) - timedelta(days=RESTORE_DAYS)
    total = 0
    while True:
        with transaction.atomic():
            links = list(
                TeacherStudentLink.objects.select_for_update(skip_locked=True)
                .filter(archived_at__lte=cutoff)
                .values_list("id", "teacher_id", "student_id")[:PURGE_BATCH]
            )
            if not links:
                return total
            pairs = Q()
            for _, teacher_id, student_id in links:
                pairs |= Q(teacher_id=teacher_id, student_id=student_id)
            ParentStudentRelation.objects.filter(pairs).delete()
            TeacherStudentLink.objects.filter(id__in=[link[0] for link in links]).delete()
            total += len(links)
