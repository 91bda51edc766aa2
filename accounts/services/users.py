"""Account writes: users from Telegram, roles and profiles, soft delete, restore and purge, beta, logout."""

from datetime import datetime, timedelta
from typing import Literal, overload

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import (
    RESTORE_DAYS,
    ParentProfile,
    StudentProfile,
    TeacherProfile,
    User,
)
from accounts.selectors import profile_of, users_with_profiles
from tutorcal import events
from tutorcal.errors import DomainError

PURGE_BATCH = 200  # users per purge transaction


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
            raise DomainError("ACCOUNT_DELETED")
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
            raise DomainError("ACCOUNT_DELETED") from None
        return user, False
    return users_with_profiles().get(pk=user.pk), True


@overload
def profile_ensure(*, user: User, role: Literal["teacher"]) -> tuple[TeacherProfile, bool]: ...
@overload
def profile_ensure(*, user: User, role: Literal["student"]) -> tuple[StudentProfile, bool]: ...
@overload
def profile_ensure(*, user: User, role: Literal["parent"]) -> tuple[ParentProfile, bool]: ...
@overload
def profile_ensure(*, user: User, role: str) -> tuple[TeacherProfile | StudentProfile | ParentProfile, bool]: ...
def profile_ensure(*, user: User, role: str) -> tuple[TeacherProfile | StudentProfile | ParentProfile, bool]:
    """Create the user's profile for `role` if it does not exist yet."""
    existing = profile_of(user, role)
    if existing is not None:
        return existing, False
    profile: TeacherProfile | StudentProfile | ParentProfile
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
        raise DomainError("USER_EXISTS")
    profile_ensure(user=user, role=role)
    events.announce(events.user_registered, user_id=user.pk, role=role)
    return user


@transaction.atomic
def role_add(*, user: User, role: str) -> None:
    if profile_of(user, role) is not None:
        raise DomainError("ROLE_EXISTS")
    profile_ensure(user=user, role=role)


@transaction.atomic
def account_delete(*, user: User) -> User:
    from accounts.tokens import user_login_sessions_end

    user.deleted_at = timezone.now()
    user.save(update_fields=["deleted_at", "updated_at"])
    user_login_sessions_end(user)  # every device signs out, and stays signed out after a restore
    profiles = [(role, profile.pk) for role in ("teacher", "student", "parent") if (profile := profile_of(user, role))]
    events.announce(events.user_deleted, user_id=user.pk, profiles=profiles)
    return user


def restore_days_left(user: User) -> int:
    if user.deleted_at is None:  # not deleted: the whole window
        return RESTORE_DAYS
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
        raise DomainError("DELETED_USER_NOT_FOUND")
    if restore_days_left(user) <= 0:
        raise DomainError("RESTORE_PERIOD_EXPIRED")
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
        raise DomainError("INVALID_BETA_CODE")
    already = user.is_beta_tester
    if not already:
        User.objects.filter(pk=user.pk).update(is_beta_tester=True)
        user.is_beta_tester = True
    return already


def session_end(*, user: User, token) -> None:
    """Logout: this access token and its whole login session (its refresh tokens, the sockets it opened) end now."""
    from accounts.tokens import login_session_end

    sid = token.get("sid")
    login_session_end(sid)  # the session's refresh token too, even when the client did not send it
    if sid:
        events.announce(events.session_ended, user_id=user.pk, session=sid)


def users_purge_deleted(*, now: datetime | None = None) -> int:
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
