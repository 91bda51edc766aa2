"""Joining a teacher by referral code: `T_…` makes the user that teacher's student (re-joining restores an
archived link, B15); `P_…` makes them a parent of that student through each of the student's teachers."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import (
    StudentProfile,
    TeacherProfile,
    TeacherStudentLink,
    User,
)
from accounts.services.users import profile_ensure
from lessons.roster.services.parents import parent_relations_create
from tutorcal import events
from tutorcal.errors import DomainError


@dataclass
class JoinResult:
    role: str
    is_new_connection: bool
    teacher: TeacherProfile | None = None
    student: StudentProfile | None = None


def link_create_or_restore(*, user: User, teacher: TeacherProfile, via: str) -> tuple[StudentProfile, bool]:
    """The user becomes (or again is) a student of `teacher`; returns (student, new connection).
    Re-joining un-archives an archived link (B15)."""
    if teacher.user_id == user.pk:
        raise DomainError("CANNOT_JOIN_OWN_CODE")
    student, _ = profile_ensure(user=user, role="student")
    link, created = TeacherStudentLink.objects.get_or_create(teacher=teacher, student=student)
    restored = not created and link.archived_at is not None
    if restored:
        TeacherStudentLink.objects.filter(pk=link.pk).update(archived_at=None, updated_at=timezone.now())
    if created or restored:
        events.announce(events.student_joined, teacher_id=teacher.pk, student_id=student.pk, via=via, restored=restored)
    return student, created or restored


@transaction.atomic
def referral_code_join(*, user: User, code: str, via: str) -> JoinResult:
    """`T_…` makes the user a student of that teacher; `P_…` a parent of that student (all current teachers)."""
    code = (code or "").strip()
    if code.startswith("T_"):
        teacher = TeacherProfile.objects.select_related("user").filter(referral_code=code).first()
        if teacher is None:
            raise DomainError("TEACHER_NOT_FOUND")
        joined, is_new = link_create_or_restore(user=user, teacher=teacher, via=via)
        return JoinResult(role="student", is_new_connection=is_new, teacher=teacher, student=joined)
    if code.startswith("P_"):
        student = StudentProfile.objects.select_related("user").filter(parent_invite_code=code).first()
        if student is None:
            raise DomainError("STUDENT_NOT_FOUND")
        if student.user_id == user.pk:
            raise DomainError("CANNOT_JOIN_OWN_CODE")
        teacher_ids = list(
            TeacherStudentLink.objects.filter(student=student, archived_at__isnull=True).values_list(
                "teacher_id", flat=True
            )
        )
        if not teacher_ids:
            raise DomainError("STUDENT_HAS_NO_TEACHERS")
        is_new = parent_relations_create(user=user, student=student, teacher_ids=teacher_ids, via=via)
        return JoinResult(role="parent", is_new_connection=is_new, student=student)
    raise DomainError("INVALID_REFERRAL_CODE")
