"""Who is linked to whom: teacher–student links and the parent relations a parent may see."""

from __future__ import annotations

import uuid

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import ParentStudentRelation, TeacherStudentLink
from tutorcal.errors import DomainError, parse_uuid


def linked_student_ids(*, teacher_id, student_ids) -> set[uuid.UUID]:
    """Which of `student_ids` have an ACTIVE (not archived) link to the teacher."""
    return set(
        TeacherStudentLink.objects.filter(
            teacher_id=teacher_id, student_id__in=list(student_ids), archived_at__isnull=True
        ).values_list("student_id", flat=True)
    )


def teacher_link(teacher_id: uuid.UUID, student_id, *, active_only: bool = False) -> TeacherStudentLink:
    """The teacher's link to the student (archived too unless `active_only`) or 404 STUDENT_NOT_FOUND."""
    sid = student_id if isinstance(student_id, uuid.UUID) else parse_uuid(student_id, "STUDENT_NOT_FOUND")
    qs = TeacherStudentLink.objects.select_related("student__user").filter(teacher_id=teacher_id, student_id=sid)
    if active_only:
        qs = qs.filter(archived_at__isnull=True)
    link = qs.first()
    if link is None:
        raise DomainError("STUDENT_NOT_FOUND")
    return link


def student_teacher_link(student_id: uuid.UUID, teacher_id) -> TeacherStudentLink:
    tid = parse_uuid(teacher_id, "TEACHER_NOT_FOUND")
    link = (
        TeacherStudentLink.objects.select_related("teacher__user").filter(student_id=student_id, teacher_id=tid).first()
    )
    if link is None:
        raise DomainError("TEACHER_NOT_FOUND")
    return link


def visible_relations(parent_id: uuid.UUID) -> QuerySet[ParentStudentRelation]:
    """The parent's relations whose teacher–child link is active (archived links hide their relations)."""
    active = TeacherStudentLink.objects.filter(
        teacher_id=OuterRef("teacher_id"), student_id=OuterRef("student_id"), archived_at__isnull=True
    )
    return ParentStudentRelation.objects.filter(parent_id=parent_id).filter(Exists(active))


def teacher_ids_visible_to_parent(parent_id: uuid.UUID, student_id: uuid.UUID) -> list[uuid.UUID]:
    """Teachers whose data about this child the parent may see (one query)."""
    return list(
        visible_relations(parent_id)
        .filter(student_id=student_id)
        .order_by("created_at")
        .values_list("teacher_id", flat=True)
    )


def parent_child_relations(parent_id: uuid.UUID, child_id) -> list[ParentStudentRelation]:
    """Visible relations of this parent with the child (teacher + child user loaded) or 403 NOT_YOUR_CHILD."""
    cid = parse_uuid(child_id, "CHILD_NOT_FOUND")
    rels = list(
        visible_relations(parent_id)
        .filter(student_id=cid)
        .select_related("student__user", "teacher__user")
        .order_by("created_at", "id")
    )
    if not rels:
        raise DomainError("NOT_YOUR_CHILD")
    return rels
