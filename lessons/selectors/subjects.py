"""The teacher's subjects, active and archived."""

from __future__ import annotations

from lessons.models import Subject
from tutorcal.timeutil import iso

# ---- subjects ----


def subject_json(subject: Subject) -> dict:
    return {
        "id": str(subject.id),
        "teacherId": str(subject.teacher_id),
        "name": subject.name,
        "code": subject.code,
        "colorHex": subject.color_hex,
        "archivedAt": iso(subject.archived_at),
        "createdAt": iso(subject.created_at),
        "updatedAt": iso(subject.updated_at),
    }


def subjects_active(*, teacher_id) -> list[Subject]:
    return list(Subject.objects.filter(teacher_id=teacher_id, archived_at__isnull=True).order_by("created_at", "id"))


def subjects_archived(*, teacher_id) -> list[Subject]:
    return list(Subject.objects.filter(teacher_id=teacher_id, archived_at__isnull=False).order_by("-archived_at", "id"))
