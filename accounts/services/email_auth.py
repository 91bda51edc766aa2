"""E-mail + password accounts (reference §2.5, with §9 items 7 and 12 fixed): sign-up with a 4-digit code,
sign-in (verified addresses only), the e-mail link for accounts that add an address, password reset.

Mail is never sent here: `events.announce(email_requested)` hands the plain secret to the delivery app inside this
transaction, which queues the message in the same commit (botapp/channels/email.py)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import EmailToken, LoginSession, User
from accounts.selectors import roles_of, users_with_profiles
from accounts.services import email_codes
from accounts.services.users import profile_ensure
from tutorcal import events
from tutorcal.errors import DomainError

Purpose = EmailToken.Purpose


def normalize_email(email: str) -> str:
    return email.strip().lower()


def language_of(accept_language: str) -> str:
    """The mail language from an Accept-Language header: English when English comes first, else Russian."""
    first = (accept_language or "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "ru"


def _check_password_rules(password: str, user: User) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise DomainError("VALIDATION_FAILED", [f"password: {m}" for m in exc.messages]) from None


def _send(user: User, kind: str, secret: str) -> None:
    events.announce(
        events.email_requested, user_id=user.pk, kind=kind, secret=secret, email=user.email, language=user.language
    )


def _pending_cutoff():
    return timezone.now() - timedelta(seconds=settings.EMAIL_PENDING_SIGNUP_TTL)


def _is_bare_signup(user: User) -> bool:
    return not (user.telegram_id or user.max_id or user.is_staff or roles_of(user))


def _free_if_stale(email: str, *, keep: User | None = None) -> None:
    """An unverified address whose sign-up (24 h) or link token ran out is free again: a bare sign-up is deleted,
    an account that only tried to add the address loses it. Anything else still holds the address."""
    holders = users_with_profiles().select_for_update(of=("self",)).filter(email=email)
    holder = holders.exclude(pk=keep.pk).first() if keep is not None else holders.first()
    if holder is None or holder.email_verified or holder.is_staff:
        return
    if _is_bare_signup(holder):
        if holder.created_at < _pending_cutoff():
            holder.delete()
        return
    live_link = EmailToken.objects.filter(user=holder, purpose=Purpose.EMAIL_LINK, expires_at__gt=timezone.now())
    if not live_link.exists():
        User.objects.filter(pk=holder.pk).update(email=None, password=make_password(None))


@transaction.atomic
def signup_start(
    *, email: str, password: str, first_name: str, last_name: str = "", referral_source: str = "", language: str = "ru"
) -> User:
    """register-email: an unverified user without a profile (the role is chosen at verify-code) and a code."""
    email = normalize_email(email)
    _free_if_stale(email)
    user = User(email=email, first_name=first_name, last_name=last_name, referral_source=referral_source)
    _check_password_rules(password, user)
    user.language = language
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise DomainError("EMAIL_ALREADY_EXISTS") from None
    _send(user, Purpose.SIGNUP_CODE, email_codes.issue(user=user, purpose=Purpose.SIGNUP_CODE))
    return user


def _pending_user(user_id) -> User:
    user = (
        users_with_profiles()
        .select_for_update(of=("self",))
        .filter(pk=user_id, deleted_at__isnull=True, email__isnull=False)
        .first()
    )
    if user is None:
        raise DomainError("PENDING_USER_NOT_FOUND")
    if user.email_verified:
        raise DomainError("ALREADY_VERIFIED")
    return user


def signup_verify(*, user_id, code: str, role: str) -> User:
    """verify-code. A wrong code counts against it (committed even though the call fails); after
    EMAIL_CODE_MAX_ATTEMPTS wrong codes it is dead and only a new one (resend-code) helps."""
    with transaction.atomic():
        user = _pending_user(user_id)
        row = email_codes.live_row(user=user, purpose=Purpose.SIGNUP_CODE)
        if row is None:
            raise DomainError("NO_PENDING_CODE")
        if row.expires_at <= timezone.now() or row.failed_attempts >= settings.EMAIL_CODE_MAX_ATTEMPTS:
            raise DomainError("CODE_EXPIRED")
        wrong = not email_codes.matches(row, code)
        if wrong:
            EmailToken.objects.filter(pk=row.pk).update(failed_attempts=row.failed_attempts + 1)
        else:
            row.delete()
            user.email_verified = True
            user.save(update_fields=["email_verified", "updated_at"])
            profile_ensure(user=user, role=role)
    if wrong:  # outside the block: the counted attempt is committed
        raise DomainError("INVALID_CODE")
    return user


@transaction.atomic
def signup_resend(*, user_id) -> None:
    user = _pending_user(user_id)
    _send(user, Purpose.SIGNUP_CODE, email_codes.issue(user=user, purpose=Purpose.SIGNUP_CODE))


def credentials_check(*, email: str, password: str) -> User:
    """The active user with this verified address and password. Unknown address and wrong password answer the same
    (and take the same time: the hasher runs either way)."""
    user = users_with_profiles().filter(email=normalize_email(email), deleted_at__isnull=True, is_active=True).first()
    if user is None or not user.has_usable_password():
        make_password(password)
        raise DomainError("INVALID_CREDENTIALS")
    if not user.check_password(password):
        raise DomainError("INVALID_CREDENTIALS")
    if not user.email_verified:
        raise DomainError("EMAIL_NOT_VERIFIED")  # only said to someone who knows the password
    return user


def email_login(*, email: str, password: str) -> tuple[User, str]:
    user = credentials_check(email=email, password=password)
    roles = roles_of(user)
    if not roles:
        raise DomainError("NO_ROLES")
    return user, roles[0]


@transaction.atomic
def password_forgot(*, email: str) -> None:
    """Mail a reset link to a verified address; say nothing either way. A pending sign-up code is not touched
    (separate rows), and an unverified address gets nothing (its owner has not proven it)."""
    user = User.objects.filter(
        email=normalize_email(email), email_verified=True, deleted_at__isnull=True, is_active=True
    ).first()
    if user is not None:
        _send(user, Purpose.PASSWORD_RESET, email_codes.issue(user=user, purpose=Purpose.PASSWORD_RESET))


def _token_row(token: str, purpose: str) -> tuple[User, EmailToken]:
    parts = email_codes.split_token(token)
    if parts is None:
        raise DomainError("INVALID_TOKEN")
    user_id, secret = parts
    user = User.objects.select_for_update().filter(pk=user_id, deleted_at__isnull=True, email__isnull=False).first()
    row = email_codes.live_row(user=user, purpose=purpose) if user is not None else None
    if user is None or row is None or not email_codes.matches(row, secret):
        raise DomainError("INVALID_TOKEN")
    if row.expires_at <= timezone.now():
        raise DomainError("TOKEN_EXPIRED")
    return user, row


@transaction.atomic
def password_reset(*, token: str, password: str) -> User:
    """Single use; the new password passes the validators; every session of the user ends."""
    from accounts.tokens import user_login_sessions_end

    user, row = _token_row(token, Purpose.PASSWORD_RESET)
    _check_password_rules(password, user)
    row.delete()
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    user_login_sessions_end(user, reason=LoginSession.EndReason.PASSWORD_RESET)
    return user


@transaction.atomic
def email_link_verify(*, token: str) -> User:
    user, row = _token_row(token, Purpose.EMAIL_LINK)
    row.delete()
    user.email_verified = True
    user.save(update_fields=["email_verified", "updated_at"])
    return user


@transaction.atomic
def email_link_start(*, user: User, email: str, password: str) -> None:
    """link-email: an existing (Telegram/MAX) account adds an address and a password; the address counts once the
    link in the mail is opened. A previous unverified address of this account is replaced."""
    email = normalize_email(email)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.email and user.email_verified:
        raise DomainError("EMAIL_ALREADY_LINKED")
    _free_if_stale(email, keep=user)
    if User.objects.filter(email=email).exclude(pk=user.pk).exists():
        raise DomainError("EMAIL_ALREADY_EXISTS")
    user.email = email
    _check_password_rules(password, user)
    user.email_verified = False
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "email_verified", "password", "updated_at"])
    except IntegrityError:
        raise DomainError("EMAIL_ALREADY_EXISTS") from None
    _send(user, Purpose.EMAIL_LINK, email_codes.issue(user=user, purpose=Purpose.EMAIL_LINK))


def pending_purge(*, now=None) -> int:
    """Daily: unverified sign-ups older than EMAIL_PENDING_SIGNUP_TTL are deleted (their address is free again);
    accounts whose e-mail link expired lose the unverified address. Returns the number of users touched."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.EMAIL_PENDING_SIGNUP_TTL)
    unverified = User.objects.filter(email__isnull=False, email_verified=False, is_staff=False)
    bare = unverified.filter(
        telegram_id__isnull=True,
        max_id__isnull=True,
        teacher_profile__isnull=True,
        student_profile__isnull=True,
        parent_profile__isnull=True,
        created_at__lt=cutoff,
    )
    ids = list(bare.values_list("pk", flat=True)[:1000])
    User.objects.filter(pk__in=ids).delete()
    live_links = EmailToken.objects.filter(purpose=Purpose.EMAIL_LINK, expires_at__gt=now).values("user_id")
    linked = unverified.filter(
        Q(telegram_id__isnull=False)
        | Q(max_id__isnull=False)
        | Q(teacher_profile__isnull=False)
        | Q(student_profile__isnull=False)
        | Q(parent_profile__isnull=False)
    ).exclude(pk__in=live_links)
    cleared = linked.update(email=None, password=make_password(None))
    return len(ids) + cleared


@transaction.atomic
def staff_verification_resend(*, user: User) -> bool:
    """Admin action: a new sign-up code (bare sign-up) or e-mail link (an account that added the address).
    Returns False when there is nothing to verify."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.email or user.email_verified or user.deleted_at is not None:
        return False
    purpose = Purpose.SIGNUP_CODE if _is_bare_signup(users_with_profiles().get(pk=user.pk)) else Purpose.EMAIL_LINK
    _send(user, purpose, email_codes.issue(user=user, purpose=purpose))
    return True


@transaction.atomic
def staff_password_reset_force(*, user: User) -> bool:
    """Admin action: the password stops working now, every session ends, and a reset link goes to the verified
    address. Returns False when the user has no verified address to receive it."""
    from accounts.tokens import user_login_sessions_end

    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.email or not user.email_verified or user.deleted_at is not None:
        return False
    user.set_unusable_password()
    user.save(update_fields=["password", "updated_at"])
    user_login_sessions_end(user, reason=LoginSession.EndReason.STAFF)
    _send(user, Purpose.PASSWORD_RESET, email_codes.issue(user=user, purpose=Purpose.PASSWORD_RESET))
    return True
