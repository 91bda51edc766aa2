"""Parent relations: created by a parent's join, notification toggles set by the teacher or the parent."""

import uuid

from django.db import transaction

from accounts.models import (
    ParentStudentRelation,
    StudentProfile,
    TeacherProfile,
    TeacherStudentLink,
    User,
)
from accounts.services.users import profile_ensure
from lessons.roster.selectors.links import visible_relations
from tutorcal import events
from tutorcal.errors import DomainError


def parent_relations_create(*, user: User, student: StudentProfile, teacher_ids: list, via: str) -> bool:
    """The user becomes a parent of `student` through each of `teacher_ids`; returns whether any is new.
    A tutor of the student can never become their parent (a co-tutor would read the other tutors' lessons, notes,
    prices and debts through the parent views), whatever code or invitation they hold."""
    if student.user_id == user.pk:
        raise DomainError("CANNOT_JOIN_OWN_CODE")
    if TeacherStudentLink.objects.filter(student=student, teacher__user_id=user.pk).exists():
        raise DomainError("TUTOR_CANNOT_BE_PARENT")
    parent, _ = profile_ensure(user=user, role="parent")
    existing = set(
        ParentStudentRelation.objects.filter(parent=parent, student=student).values_list("teacher_id", flat=True)
    )
    new = [tid for tid in teacher_ids if tid not in existing]
    ParentStudentRelation.objects.bulk_create(
        [ParentStudentRelation(parent=parent, student=student, teacher_id=tid) for tid in new],
        ignore_conflicts=True,
    )
    if new:
        events.announce(events.parent_joined, parent_id=parent.pk, student_id=student.pk, teacher_ids=new, via=via)
    return bool(new)


@transaction.atomic
def parent_relation_notifications_set(
    *, teacher: TeacherProfile, student_id: uuid.UUID, parent_id: uuid.UUID, enabled: bool
) -> bool:
    updated = ParentStudentRelation.objects.filter(teacher=teacher, student_id=student_id, parent_id=parent_id).update(
        notifications_enabled=enabled
    )
    if not updated:
        raise DomainError("PARENT_RELATION_NOT_FOUND")
    return enabled


@transaction.atomic
def parent_child_notifications_set(*, parent, child_id: uuid.UUID, enabled: bool) -> bool:
    """Per-child toggle: updates ALL the parent's relations with that child (B16), hidden ones too so that a
    restored link keeps the parent's choice."""
    if not visible_relations(parent.id).filter(student_id=child_id).exists():
        raise DomainError("NOT_YOUR_CHILD")
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
