"""Personal invitations (single use, 7 days) and the invite links a teacher or student shares."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import (
    Invitation,
    StudentProfile,
    TeacherProfile,
    User,
)
from accounts.services.users import user_get_or_create_from_telegram
from lessons.roster.services.joins import link_create_or_restore
from lessons.roster.services.parents import parent_relations_create
from tutorcal.errors import DomainError

INVITATION_DAYS = 7


def invite_url(code: str) -> str:
    return f"{settings.WEBAPP_URL}/invite/{code}"


def fallback_url(code: str) -> str:
    return f"https://t.me/{settings.BOT_USERNAME}?start={code}"


def invitation_create(*, teacher: TeacherProfile, student: StudentProfile | None = None) -> Invitation:
    kind = Invitation.Type.PARENT if student else Invitation.Type.STUDENT
    prefix = "PARENT_" if student else "INV_"
    return Invitation.objects.create(
        type=kind,
        teacher=teacher,
        student=student,
        token=prefix + secrets.token_hex(16),
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )


def invitation_check(token: str) -> Invitation:
    invitation = Invitation.objects.select_related("teacher", "student").filter(token=token or "").first()
    if invitation is None:
        raise DomainError("INVALID_INVITATION")
    if invitation.used_at is not None:
        raise DomainError("INVITATION_USED")
    if invitation.expires_at <= timezone.now():
        raise DomainError("INVITATION_EXPIRED")
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, tg_user: dict) -> tuple[User, bool]:
    """Redeem an invitation found by `invitation_check` (the reference checks the token before initData)."""
    user, _ = user_get_or_create_from_telegram(tg_user=tg_user)
    # Claim the single use atomically: a concurrent accept of the same token loses.
    now = timezone.now()
    claimed = Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if not claimed:
        raise DomainError("INVITATION_USED" if invitation.expires_at > now else "INVITATION_EXPIRED")
    if invitation.type == Invitation.Type.STUDENT:
        _, is_new = link_create_or_restore(user=user, teacher=invitation.teacher, via="invitation")
    elif invitation.student is None:  # a parent invitation always names its student (a check constraint)
        raise DomainError("INVALID_INVITATION")
    else:
        is_new = parent_relations_create(
            user=user, student=invitation.student, teacher_ids=[invitation.teacher_id], via="invitation"
        )
    return user, is_new
