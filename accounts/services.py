"""Account writes: users from Telegram, profiles, joins by code or invitation, soft delete and restore."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tutorcal import events
from tutorcal.errors import ApiError

from .models import (
    RESTORE_DAYS,
    Invitation,
    ParentProfile,
    ParentStudentRelation,
    StudentProfile,
    TeacherProfile,
    TeacherStudentLink,
    User,
)
from .selectors import profile_of, users_with_profiles

INVITATION_DAYS = 7


def invite_url(code: str) -> str:
    return f"{settings.WEBAPP_URL}/invite/{code}"


def fallback_url(code: str) -> str:
    return f"https://t.me/{settings.BOT_USERNAME}?start={code}"


def _tg_fields(tg_user: dict) -> dict:
    return {
        "first_name": str(tg_user.get("first_name") or "")[:255],
        "last_name": str(tg_user.get("last_name") or "")[:255],
        "username": str(tg_user.get("username") or "")[:255],
    }


def user_find_by_telegram(telegram_id: int, *, include_deleted: bool = False) -> User | None:
    qs = users_with_profiles().filter(telegram_id=telegram_id)
    if not include_deleted:
        qs = qs.filter(deleted_at__isnull=True)
    return qs.first()


@transaction.atomic
def user_get_or_create_from_telegram(*, tg_user: dict, referral_source: str = "") -> tuple[User, bool]:
    """The active user behind a verified Telegram identity; a soft-deleted one gets 403 ACCOUNT_DELETED."""
    user = user_find_by_telegram(tg_user["id"], include_deleted=True)
    if user is not None:
        if user.deleted_at is not None:
            raise ApiError(403, "ACCOUNT_DELETED")
        return user, False
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                telegram_id=tg_user["id"], referral_source=referral_source, **_tg_fields(tg_user)
            )
    except IntegrityError:
        # A concurrent request created it first.
        user = user_find_by_telegram(tg_user["id"], include_deleted=True)
        if user is None or user.deleted_at is not None:
            raise ApiError(403, "ACCOUNT_DELETED") from None
        return user, False
    return users_with_profiles().get(pk=user.pk), True


def profile_ensure(*, user: User, role: str) -> tuple[TeacherProfile | StudentProfile | ParentProfile, bool]:
    """Create the user's profile for `role` if it does not exist yet."""
    existing = profile_of(user, role)
    if existing is not None:
        return existing, False
    if role == "teacher":
        profile, created = TeacherProfile.objects.get_or_create(
            user=user, defaults={"display_name": user.full_name or "Учитель"}
        )
    elif role == "student":
        profile, created = StudentProfile.objects.get_or_create(user=user)
    elif role == "parent":
        profile, created = ParentProfile.objects.get_or_create(user=user)
    else:  # pragma: no cover - callers validate the role
        raise ValueError(role)
    setattr(user, f"{role}_profile", profile)
    return profile, created


@transaction.atomic
def user_register(*, tg_user: dict, role: str, referral_source: str = "") -> User:
    user, created = user_get_or_create_from_telegram(tg_user=tg_user, referral_source=referral_source)
    if not created and any(profile_of(user, r) for r in ("teacher", "student", "parent")):
        raise ApiError(409, "USER_EXISTS")
    profile_ensure(user=user, role=role)
    events.send_on_commit(events.user_registered, user_id=user.pk, role=role)
    return user


@transaction.atomic
def role_add(*, user: User, role: str) -> None:
    if profile_of(user, role) is not None:
        raise ApiError(409, "ROLE_EXISTS")
    profile_ensure(user=user, role=role)


@dataclass
class JoinResult:
    role: str
    is_new_connection: bool
    teacher: TeacherProfile | None = None
    student: StudentProfile | None = None


def _join_as_student(*, user: User, teacher: TeacherProfile, via: str) -> tuple[StudentProfile, bool]:
    """The user becomes (or again is) a student of `teacher`; returns (student, new connection).
    Re-joining un-archives an archived link (B15)."""
    if teacher.user_id == user.pk:
        raise ApiError(400, "CANNOT_JOIN_OWN_CODE")
    student, _ = profile_ensure(user=user, role="student")
    link, created = TeacherStudentLink.objects.get_or_create(teacher=teacher, student=student)
    restored = not created and link.archived_at is not None
    if restored:
        TeacherStudentLink.objects.filter(pk=link.pk).update(archived_at=None, updated_at=timezone.now())
    if created or restored:
        events.send_on_commit(
            events.student_joined, teacher_id=teacher.pk, student_id=student.pk, via=via, restored=restored
        )
    return student, created or restored


def _join_as_parent(*, user: User, student: StudentProfile, teacher_ids: list, via: str) -> bool:
    """The user becomes a parent of `student` through each of `teacher_ids`; returns whether any is new."""
    if student.user_id == user.pk:
        raise ApiError(400, "CANNOT_JOIN_OWN_CODE")
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
        events.send_on_commit(
            events.parent_joined, parent_id=parent.pk, student_id=student.pk, teacher_ids=new, via=via
        )
    return bool(new)


@transaction.atomic
def join_by_code(*, user: User, code: str, via: str) -> JoinResult:
    """`T_…` makes the user a student of that teacher; `P_…` a parent of that student (all current teachers)."""
    code = (code or "").strip()
    if code.startswith("T_"):
        teacher = TeacherProfile.objects.select_related("user").filter(referral_code=code).first()
        if teacher is None:
            raise ApiError(404, "TEACHER_NOT_FOUND")
        student, is_new = _join_as_student(user=user, teacher=teacher, via=via)
        return JoinResult(role="student", is_new_connection=is_new, teacher=teacher, student=student)
    if code.startswith("P_"):
        student = StudentProfile.objects.select_related("user").filter(parent_invite_code=code).first()
        if student is None:
            raise ApiError(404, "STUDENT_NOT_FOUND")
        if student.user_id == user.pk:
            raise ApiError(400, "CANNOT_JOIN_OWN_CODE")
        teacher_ids = list(
            TeacherStudentLink.objects.filter(student=student, archived_at__isnull=True).values_list(
                "teacher_id", flat=True
            )
        )
        if not teacher_ids:
            raise ApiError(400, "STUDENT_HAS_NO_TEACHERS")
        is_new = _join_as_parent(user=user, student=student, teacher_ids=teacher_ids, via=via)
        return JoinResult(role="parent", is_new_connection=is_new, student=student)
    raise ApiError(400, "INVALID_REFERRAL_CODE")


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
        raise ApiError(400, "INVALID_INVITATION")
    if invitation.used_at is not None:
        raise ApiError(410, "INVITATION_USED")
    if invitation.expires_at <= timezone.now():
        raise ApiError(410, "INVITATION_EXPIRED")
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, tg_user: dict) -> tuple[User, bool]:
    """Redeem an invitation found by `invitation_check` (the reference checks the token before initData)."""
    user, _ = user_get_or_create_from_telegram(tg_user=tg_user)
    # Claim the single use atomically: a concurrent accept of the same token loses.
    now = timezone.now()
    claimed = Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if not claimed:
        raise ApiError(410, "INVITATION_USED" if invitation.expires_at > now else "INVITATION_EXPIRED")
    if invitation.type == Invitation.Type.STUDENT:
        _, is_new = _join_as_student(user=user, teacher=invitation.teacher, via="invitation")
    else:
        is_new = _join_as_parent(
            user=user, student=invitation.student, teacher_ids=[invitation.teacher_id], via="invitation"
        )
    return user, is_new


@transaction.atomic
def account_delete(*, user: User) -> User:
    from .tokens import user_revoke_all_refresh

    user.deleted_at = timezone.now()
    user.save(update_fields=["deleted_at", "updated_at"])
    user_revoke_all_refresh(user)
    profiles = [(role, profile.pk) for role in ("teacher", "student", "parent") if (profile := profile_of(user, role))]
    events.send_on_commit(events.user_deleted, user_id=user.pk, profiles=profiles)
    return user


def restore_days_left(user: User) -> int:
    days = (timezone.now() - user.deleted_at).days
    return RESTORE_DAYS - days


@transaction.atomic
def account_restore(*, tg_user: dict) -> User:
    user = (
        users_with_profiles()
        .select_for_update(of=("self",))
        .filter(telegram_id=tg_user["id"], deleted_at__isnull=False)
        .first()
    )
    if user is None:
        raise ApiError(404, "DELETED_USER_NOT_FOUND")
    if restore_days_left(user) <= 0:
        raise ApiError(410, "RESTORE_PERIOD_EXPIRED")
    user.deleted_at = None
    user.save(update_fields=["deleted_at", "updated_at"])
    return user


def user_for_init(*, tg_user: dict) -> tuple[User | None, int | None]:
    """`/auth/init`: (user, None) for an active user; (deleted user, days left) inside the restore window;
    (None, None) for nobody — a user deleted longer ago than the window is purged here first."""
    user = user_find_by_telegram(tg_user["id"], include_deleted=True)
    if user is None or user.deleted_at is None:
        return user, None
    days_left = restore_days_left(user)
    if days_left > 0:
        return user, days_left
    account_purge(user=user)
    return None, None


def account_purge(*, user: User) -> None:
    """Hard-delete a user whose restore window has passed; profiles, links and their data cascade."""
    User.objects.filter(pk=user.pk, deleted_at__isnull=False).delete()


def beta_activate(*, user: User, code: str) -> bool:
    """Returns whether the user already was a tester. Constant-time compare; no code configured = no beta."""
    import hmac

    expected = settings.BETA_CODE
    if not expected or not hmac.compare_digest(str(code).encode(), expected.encode()):
        raise ApiError(400, "INVALID_BETA_CODE")
    already = user.is_beta_tester
    if not already:
        User.objects.filter(pk=user.pk).update(is_beta_tester=True)
        user.is_beta_tester = True
    return already


def session_end(*, user: User, token) -> None:
    """Logout: this access token and its whole login session (its refresh tokens, the sockets it opened) end now."""
    from .tokens import access_revoke, session_revoke

    access_revoke(token)
    session_revoke(token)  # the session's refresh token too, even when the client did not send it
    if sid := token.get("sid"):
        events.send_on_commit(events.session_ended, user_id=user.pk, session=sid)
