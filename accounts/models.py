import secrets
import uuid
import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
RESTORE_DAYS = 7


def random_code(prefix: str, length: int = 12) -> str:
    """`T_`/`P_` + 12 URL-safe characters from the CSPRNG (nanoid alphabet, as the reference)."""
    return prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def teacher_code() -> str:
    return random_code("T_")


def parent_invite_code() -> str:
    return random_code("P_")


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email=None, password=None, **extra):
        email = self.normalize_email(email) if email else None
        user = self.model(email=email, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Telegram users have no password; staff log in to the admin by email + password."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    telegram_id = models.BigIntegerField(unique=True, null=True, blank=True)
    max_id = models.BigIntegerField(unique=True, null=True, blank=True, help_text="MAX messenger user id")
    email = models.EmailField(unique=True, null=True, blank=True)
    email_verified = models.BooleanField(default=False)
    language = models.CharField(max_length=8, default="ru", help_text="Language of e-mails (ru, en)")
    first_name = models.CharField(max_length=255, blank=True, default="")
    last_name = models.CharField(max_length=255, blank=True, default="")
    username = models.CharField(max_length=255, blank=True, default="", help_text="Telegram @username")
    city = models.CharField(max_length=255, blank=True, default="")
    timezone = models.CharField(max_length=64, default="Europe/Moscow", validators=[validate_timezone])
    is_beta_tester = models.BooleanField(default=False)
    referral_source = models.CharField(max_length=100, blank=True, default="", db_index=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        db_table = "users"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        if name or self.email:
            return name or self.email
        if self.telegram_id:
            return f"tg:{self.telegram_id}"
        return f"max:{self.max_id}" if self.max_id else str(self.id)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class LateCancelPolicy(models.TextChoices):
    CHARGE = "charge"  # the lesson counts: a package lesson is consumed, or the price becomes debt
    CREDIT = "credit"  # the student gets a make-up credit
    FREE = "free"


class TeacherProfile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="teacher_profile")
    display_name = models.CharField(max_length=255)
    bio = models.TextField(blank=True, default="")
    referral_code = models.CharField(max_length=32, unique=True, default=teacher_code)
    # Cancellation policy (ours): a student's cancel within `cancel_cutoff_hours` of the start is "late" and
    # does what `late_cancel_policy` says; an early cancel is always free.
    cancel_cutoff_hours = models.PositiveSmallIntegerField(default=24, validators=[MaxValueValidator(168)])
    late_cancel_policy = models.CharField(max_length=8, choices=LateCancelPolicy.choices, default="free")
    teacher_cancel_gives_credit = models.BooleanField(default=False)
    make_up_credit_days = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "teacher_profiles"

    def __str__(self) -> str:
        return self.display_name


class StudentProfile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="student_profile")
    parent_invite_code = models.CharField(max_length=32, unique=True, default=parent_invite_code)
    custom_fields = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "student_profiles"

    def __str__(self) -> str:
        return str(self.user)


class ParentProfile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="parent_profile")
    custom_fields = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "parent_profiles"

    def __str__(self) -> str:
        return str(self.user)


class TeacherStudentLink(models.Model):
    """A student of a teacher. Archiving hides the link for 7 days before it is purged."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    teacher = models.ForeignKey(TeacherProfile, on_delete=models.CASCADE, related_name="student_links")
    student = models.ForeignKey(StudentProfile, on_delete=models.CASCADE, related_name="teacher_links")
    custom_fields = models.JSONField(null=True, blank=True, help_text="The teacher's private notes")
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "teacher_student_links"
        constraints = [models.UniqueConstraint(fields=["teacher", "student"], name="uniq_teacher_student_link")]
        indexes = [
            models.Index(fields=["archived_at"], name="link_archived_idx", condition=Q(archived_at__isnull=False)),
            models.Index(fields=["student"], name="link_student_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} → {self.student}"


class ParentStudentRelation(models.Model):
    """A parent follows a child's lessons with one teacher (one row per teacher of the child)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    parent = models.ForeignKey(ParentProfile, on_delete=models.CASCADE, related_name="relations")
    student = models.ForeignKey(StudentProfile, on_delete=models.CASCADE, related_name="parent_relations")
    teacher = models.ForeignKey(TeacherProfile, on_delete=models.CASCADE, related_name="parent_relations")
    notifications_enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "parent_student_relations"
        constraints = [
            models.UniqueConstraint(fields=["parent", "student", "teacher"], name="uniq_parent_student_teacher")
        ]
        indexes = [models.Index(fields=["student", "teacher"], name="relation_student_teacher_idx")]


class Invitation(models.Model):
    """Legacy one-shot invitation (INV_… for a student, PARENT_… for a parent of a given student)."""

    class Type(models.TextChoices):
        STUDENT = "student"
        PARENT = "parent"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=16, choices=Type.choices)
    teacher = models.ForeignKey(TeacherProfile, on_delete=models.CASCADE, related_name="invitations")
    student = models.ForeignKey(
        StudentProfile, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    token = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "invitations"
        constraints = [
            models.CheckConstraint(
                condition=Q(type="student") | Q(type="parent", student__isnull=False),
                name="invitation_parent_has_student",
            )
        ]


class StudentNotificationSettings(models.Model):
    """A student's reminder preferences (one row per student, created with defaults on first read)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    student = models.OneToOneField(StudentProfile, on_delete=models.CASCADE, related_name="notification_settings")
    default_reminder_minutes_before = models.PositiveIntegerField(default=60)
    enable_lesson_reminders = models.BooleanField(default=True)
    enable_lesson_reports = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "student_notification_settings"
        verbose_name_plural = "student notification settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(default_reminder_minutes_before__lte=10080), name="student_reminder_minutes_max_week"
            )
        ]

    def __str__(self) -> str:
        return f"settings of {self.student}"


class LoginSession(models.Model):
    """One sign-in. Every token of it (refresh tokens through rotation, the access tokens they mint) carries its
    `sid`; a token is accepted only while its session row exists and is not ended. Logout ends one session,
    account deletion ends all of the user's: the database is the source of truth, the cache only answers faster
    (accounts/tokens.py)."""

    class EndReason(models.TextChoices):
        LOGOUT = "logout"
        ACCOUNT_DELETED = "account_deleted"
        STAFF = "staff", "Ended by staff"
        PASSWORD_RESET = "password_reset"

    sid = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(help_text="When the session's newest refresh token expires")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, choices=EndReason.choices, blank=True, default="")

    class Meta:
        db_table = "login_sessions"
        indexes = [models.Index(fields=["expires_at"], name="login_session_expires_idx")]  # the purge

    def __str__(self) -> str:
        return f"{self.sid[:8]}… of {self.user_id}"


class CalendarFeed(models.Model):
    """A user's private ICS subscription for one role. The URL token is derived from `nonce` with a server key
    (so GET can show it again) and only its SHA-256 is stored for the lookup; rotating replaces the nonce."""

    class Role(models.TextChoices):
        TEACHER = "teacher"
        STUDENT = "student"
        PARENT = "parent"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_feeds")
    role = models.CharField(max_length=16, choices=Role.choices)
    nonce = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "calendar_feeds"
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="uniq_calendar_feed_user_role")]


class GoogleCalendarConnection(models.Model):
    """A user's Google Calendar grant. The refresh token is Fernet-encrypted with GOOGLE_TOKEN_KEY."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="google_calendar")
    email = models.CharField(max_length=255, blank=True, default="")
    refresh_token_encrypted = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "google_calendar_connections"


class EmailToken(models.Model):
    """A secret sent by e-mail: the 4-digit sign-up code, the e-mail-link token or the password-reset token.
    One live row per (user, purpose), so a reset never disturbs a pending sign-up code. Only an HMAC of the value
    is stored, keyed with SECRET_KEY and bound to the user and purpose (accounts/services/email_codes.py)."""

    class Purpose(models.TextChoices):
        SIGNUP_CODE = "signup_code"
        EMAIL_LINK = "email_link"
        PASSWORD_RESET = "password_reset"

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_tokens")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    value_hash = models.CharField(max_length=64)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "email_tokens"
        constraints = [models.UniqueConstraint(fields=["user", "purpose"], name="uniq_email_token_user_purpose")]
        indexes = [models.Index(fields=["expires_at"], name="email_token_expires_idx")]

    def __str__(self) -> str:
        return f"{self.purpose} of {self.user_id}"


class IdempotencyKey(models.Model):
    """A client's `Idempotency-Key` on a create (accounts/idempotency.py): claimed in the same transaction as the
    write, holding the first successful response, so a retry within 24 h replays it instead of creating twice —
    also after a worker died between the commit and the answer."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="sha256 of method, path and canonical JSON body")
    status_code = models.PositiveSmallIntegerField(default=0)
    response_body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "idempotency_keys"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")]
        indexes = [models.Index(fields=["user", "created_at"], name="idempotency_key_age_idx")]

    def __str__(self) -> str:
        return f"{self.key[:16]} of {self.user_id}"
