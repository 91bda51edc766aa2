"""Writes for the people area: profiles, links (custom fields, archive, restore, purge), parent relations,
students' own lesson rows (notes, reminder, cancel) and notification settings.

Every write runs in a transaction; domain events are sent on commit (tutorcal.events)."""

import logging
import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import (
    RESTORE_DAYS,
    ParentProfile,
    ParentStudentRelation,
    StudentNotificationSettings,
    StudentProfile,
    TeacherProfile,
    TeacherStudentLink,
    User,
)
from lessons.models import Lesson, LessonStudent, SeriesStudent
from subscriptions.services import subscription_refund, subscription_refund_many
from tutorcal import events
from tutorcal.errors import ApiError

from .selectors import visible_relations

logger = logging.getLogger(__name__)

PURGE_BATCH = 200


# --- profiles -------------------------------------------------------------------------------------------


@transaction.atomic
def teacher_profile_update(*, teacher: TeacherProfile, data: dict) -> TeacherProfile:
    """Whitelisted fields only: displayName, bio (profile); city, timezone (user)."""
    profile_fields = {"displayName": "display_name", "bio": "bio"}
    user_fields = {"city": "city", "timezone": "timezone"}
    changed = [model for key, model in profile_fields.items() if key in data]
    for key, attr in profile_fields.items():
        if key in data:
            setattr(teacher, attr, data[key])
    if changed:
        teacher.save(update_fields=[*changed, "updated_at"])
    _user_update(user=teacher.user, data=data, fields=user_fields)
    return teacher


def _user_update(*, user: User, data: dict, fields: dict) -> None:
    changed = [attr for key, attr in fields.items() if key in data]
    for key, attr in fields.items():
        if key in data:
            setattr(user, attr, data[key])
    if changed:
        user.save(update_fields=[*changed, "updated_at"])


@transaction.atomic
def own_profile_update(*, profile: StudentProfile | ParentProfile, data: dict) -> StudentProfile | ParentProfile:
    """PATCH /students/me and /parents/me: `customFields` (replaced wholesale) and the user's `timezone`."""
    if "customFields" in data:
        profile.custom_fields = data["customFields"]
        profile.save(update_fields=["custom_fields", "updated_at"])
    _user_update(user=profile.user, data=data, fields={"timezone": "timezone"})
    return profile


# --- teacher ↔ student link -----------------------------------------------------------------------------


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
def student_archive(*, teacher: TeacherProfile, student_id: uuid.UUID, delete_individual_lessons: bool) -> datetime:
    """Archive an active link (B14): hide it, drop the student from future planned lessons and from the
    teacher's series, keep all past history and the parent relations (hidden while archived, back on restore).
    Returns the restore deadline."""
    link = (
        TeacherStudentLink.objects.select_for_update()
        .filter(teacher=teacher, student_id=student_id, archived_at__isnull=True)
        .first()
    )
    if link is None:
        raise ApiError(404, "STUDENT_NOT_FOUND")
    now = timezone.now()
    updated, deleted = _detach_future_lessons(
        teacher_id=teacher.id, student_id=student_id, delete_individual=delete_individual_lessons, now=now
    )
    SeriesStudent.objects.filter(series__teacher=teacher, student_id=student_id).delete()
    link.archived_at = now
    link.save(update_fields=["archived_at", "updated_at"])
    if updated:
        events.send_on_commit(
            events.lesson_updated,
            lesson_ids=updated,
            teacher_id=teacher.id,
            actor="teacher",
            moved=False,
            previous_start=None,
        )
    if deleted:
        events.send_on_commit(
            events.lesson_deleted,
            lesson_ids=[uuid.UUID(d["id"]) for d in deleted],
            teacher_id=teacher.id,
            actor="teacher",
            snapshots=deleted,
        )
    events.send_on_commit(events.student_archived, teacher_id=teacher.id, student_id=student_id)
    return now + timedelta(days=RESTORE_DAYS)


@transaction.atomic
def student_restore(*, teacher: TeacherProfile, student_id: uuid.UUID) -> TeacherStudentLink:
    """Un-archive within 7 days (inclusive); the link's parent relations become visible again."""
    link = (
        TeacherStudentLink.objects.select_for_update()
        .filter(teacher=teacher, student_id=student_id, archived_at__isnull=False)
        .first()
    )
    if link is None:
        raise ApiError(404, "ARCHIVED_STUDENT_NOT_FOUND")
    if timezone.now() > link.archived_at + timedelta(days=RESTORE_DAYS):
        raise ApiError(409, "ARCHIVE_EXPIRED")
    link.archived_at = None
    link.save(update_fields=["archived_at", "updated_at"])
    events.send_on_commit(events.student_restored, teacher_id=teacher.id, student_id=student_id)
    return link


@transaction.atomic
def parent_relation_notifications_set(
    *, teacher: TeacherProfile, student_id: uuid.UUID, parent_id: uuid.UUID, enabled: bool
) -> bool:
    updated = ParentStudentRelation.objects.filter(teacher=teacher, student_id=student_id, parent_id=parent_id).update(
        notifications_enabled=enabled
    )
    if not updated:
        raise ApiError(404, "PARENT_RELATION_NOT_FOUND")
    return enabled


# --- student's own lesson rows --------------------------------------------------------------------------


def _own_row(*, student: StudentProfile, lesson_id: uuid.UUID, lock: bool = False) -> LessonStudent:
    qs = LessonStudent.objects.select_related("lesson").filter(student=student, lesson_id=lesson_id)
    if lock:
        qs = qs.select_for_update()
    row = qs.first()
    if row is None:
        raise ApiError(404, "LESSON_NOT_FOUND")
    return row


@transaction.atomic
def student_lesson_update(*, student: StudentProfile, lesson_id: uuid.UUID, data: dict) -> LessonStudent:
    """The student's notes and reminder live on THEIR row: other students never see them, the teacher sees
    only studentNoteForTeacher."""
    row = _own_row(student=student, lesson_id=lesson_id, lock=True)
    fields = {
        "studentNotePrivate": "student_note_private",
        "studentNoteForTeacher": "student_note_for_teacher",
        "reminderMinutesBefore": "reminder_minutes_before",
    }
    changed = [attr for key, attr in fields.items() if key in data]
    note_for_teacher_changed = "studentNoteForTeacher" in data and data["studentNoteForTeacher"] != (
        row.student_note_for_teacher
    )
    for key, attr in fields.items():
        if key in data:
            setattr(row, attr, data[key])
    if changed:
        row.save(update_fields=[*changed, "updated_at"])
    if note_for_teacher_changed:
        events.send_on_commit(
            events.lesson_updated,
            lesson_ids=[row.lesson_id],
            teacher_id=row.lesson.teacher_id,
            actor="student",
            moved=False,
            previous_start=None,
        )
    return row


@transaction.atomic
def student_lesson_cancel(*, student: StudentProfile, lesson_id: uuid.UUID) -> None:
    """Only a future planned lesson the student is still on. Individual lesson (they are its only active
    participant) -> the lesson is cancelled (cancelledBy student); group -> only their row is cancelled."""
    if not LessonStudent.objects.filter(student=student, lesson_id=lesson_id).exists():
        raise ApiError(404, "LESSON_NOT_FOUND")
    lesson = Lesson.objects.select_for_update().get(pk=lesson_id)
    row = LessonStudent.objects.select_for_update().get(student=student, lesson_id=lesson_id)
    if (
        lesson.status != Lesson.Status.PLANNED
        or lesson.start_at <= timezone.now()
        or row.attendance == LessonStudent.Attendance.CANCELLED
    ):
        raise ApiError(403, "LESSON_NOT_CANCELLABLE")
    others_active = (
        LessonStudent.objects.filter(lesson=lesson)
        .exclude(pk=row.pk)
        .exclude(attendance=LessonStudent.Attendance.CANCELLED)
        .exists()
    )
    if row.paid_from_subscription and row.subscription_id:
        subscription_refund(subscription_id=row.subscription_id)
        row.paid_from_subscription = False
        row.payment_status = LessonStudent.PaymentStatus.UNPAID
    if others_active:
        row.attendance = LessonStudent.Attendance.CANCELLED
        row.save(update_fields=["attendance", "paid_from_subscription", "payment_status", "updated_at"])
    else:
        row.save(update_fields=["paid_from_subscription", "payment_status", "updated_at"])
        lesson.status = Lesson.Status.CANCELLED
        lesson.cancelled_by = Lesson.CancelledBy.STUDENT
        lesson.save(update_fields=["status", "cancelled_by", "updated_at"])
    events.send_on_commit(
        events.lesson_cancelled,
        lesson_ids=[lesson.id],
        teacher_id=lesson.teacher_id,
        actor="student",
        student_ids=[student.id],
    )


@transaction.atomic
def student_notification_settings_update(*, student: StudentProfile, data: dict) -> StudentNotificationSettings:
    row, _ = StudentNotificationSettings.objects.select_for_update().get_or_create(student=student)
    fields = {
        "defaultReminderMinutesBefore": "default_reminder_minutes_before",
        "enableLessonReminders": "enable_lesson_reminders",
        "enableLessonReports": "enable_lesson_reports",
    }
    changed = [attr for key, attr in fields.items() if key in data]
    for key, attr in fields.items():
        if key in data:
            setattr(row, attr, data[key])
    if changed:
        row.save(update_fields=[*changed, "updated_at"])
    return row


# --- parent ---------------------------------------------------------------------------------------------


@transaction.atomic
def parent_child_notifications_set(*, parent, child_id: uuid.UUID, enabled: bool) -> bool:
    """Per-child toggle: updates ALL the parent's relations with that child (B16), hidden ones too so that a
    restored link keeps the parent's choice."""
    if not visible_relations(parent.id).filter(student_id=child_id).exists():
        raise ApiError(403, "NOT_YOUR_CHILD")
    ParentStudentRelation.objects.filter(parent=parent, student_id=child_id).update(notifications_enabled=enabled)
    return enabled


@transaction.atomic
def parent_notification_settings_update(*, parent, children: list[dict]) -> None:
    """[{childId, notificationsEnabled}]: unknown children are ignored; each child's relations all follow."""
    visible = set(visible_relations(parent.id).values_list("student_id", flat=True))
    for wanted in (True, False):
        ids = [c["childId"] for c in children if c["notificationsEnabled"] is wanted and c["childId"] in visible]
        if ids:
            ParentStudentRelation.objects.filter(parent=parent, student_id__in=ids).update(notifications_enabled=wanted)


# --- purge ----------------------------------------------------------------------------------------------


def purge_archived_links(*, now: datetime | None = None) -> int:
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


def purge_deleted_users(*, now: datetime | None = None) -> int:
    """Hard-delete users soft-deleted more than 7 days ago (their restore window is over); profiles, links,
    lessons and the rest cascade. Same claiming scheme as links."""
    cutoff = (now or timezone.now()) - timedelta(days=RESTORE_DAYS)
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                User.objects.select_for_update(skip_locked=True)
                .filter(deleted_at__isnull=False, deleted_at__lte=cutoff)
                .order_by()
                .values_list("id", flat=True)[:PURGE_BATCH]
            )
            if not ids:
                return total
            User.objects.filter(id__in=ids, deleted_at__lte=cutoff).delete()
            total += len(ids)
