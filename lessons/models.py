import uuid

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from accounts.models import StudentProfile, TeacherProfile

COLOR_VALIDATOR = RegexValidator(r"^#[0-9A-Fa-f]{6}$", "colour must be #RRGGBB")


class Subject(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    teacher = models.ForeignKey(TeacherProfile, on_delete=models.CASCADE, related_name="subjects")
    name = models.CharField(max_length=100)
    code = models.CharField(max_length=50)
    color_hex = models.CharField(max_length=7, validators=[COLOR_VALIDATOR])
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "subjects"
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["teacher", "code"], name="uniq_subject_code"),
            models.UniqueConstraint(fields=["teacher", "name"], name="uniq_subject_name"),
            models.CheckConstraint(condition=Q(color_hex__regex=r"^#[0-9A-Fa-f]{6}$"), name="subject_color_hex"),
        ]

    def __str__(self) -> str:
        return self.name


class LessonSeries(models.Model):
    """Defaults of a recurring lesson. Occurrences are generated rows of Lesson (weekly/biweekly)."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly"
        BIWEEKLY = "biweekly"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    teacher = models.ForeignKey(TeacherProfile, on_delete=models.CASCADE, related_name="series")
    subject = models.ForeignKey(Subject, on_delete=models.SET_NULL, null=True, blank=True, related_name="series")
    frequency = models.CharField(max_length=16, choices=Frequency.choices)
    days_of_week = models.JSONField(default=list, help_text="0=Sunday … 6=Saturday, in the series' time zone")
    day_of_week = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])
    time_of_day = models.CharField(max_length=5, help_text="HH:MM local")
    timezone = models.CharField(max_length=64, default="Europe/Moscow")
    duration_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    price_rub = models.PositiveIntegerField(default=0)
    is_free = models.BooleanField(default=False)
    meeting_url = models.URLField(max_length=500, null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    max_occurrences = models.PositiveIntegerField(null=True, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="seats per lesson; empty = unlimited")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "lesson_series"
        verbose_name_plural = "lesson series"
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="series_duration_positive"),
            models.CheckConstraint(condition=Q(frequency__in=["weekly", "biweekly"]), name="series_frequency"),
        ]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} {self.time_of_day}"


class SeriesStudent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    series = models.ForeignKey(LessonSeries, on_delete=models.CASCADE, related_name="series_students")
    student = models.ForeignKey(StudentProfile, on_delete=models.CASCADE, related_name="series_rows")
    price_rub = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "lesson_series_students"
        constraints = [models.UniqueConstraint(fields=["series", "student"], name="uniq_series_student")]


class Lesson(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned"
        DONE = "done"
        CANCELLED = "cancelled"

    class CancelledBy(models.TextChoices):
        TEACHER = "teacher"
        STUDENT = "student"
        ILLNESS = "illness"  # the student fell ill: counted apart in stats (cancelledByIllness)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No single-column indexes on series/teacher: (series, start_at) and (teacher, start_at) lead with them, and
    # every index is one more write per inserted lesson (a series inserts 52).
    series = models.ForeignKey(
        LessonSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="lessons", db_index=False
    )
    teacher = models.ForeignKey(TeacherProfile, on_delete=models.CASCADE, related_name="lessons", db_index=False)
    subject = models.ForeignKey(Subject, on_delete=models.SET_NULL, null=True, blank=True, related_name="lessons")
    start_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    price_rub = models.PositiveIntegerField(default=0, help_text="Default price for students added later")
    is_free = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    cancelled_by = models.CharField(max_length=16, choices=CancelledBy.choices, null=True, blank=True)
    rescheduled_to = models.CharField(max_length=255, null=True, blank=True)
    teacher_note = models.TextField(null=True, blank=True)
    teacher_note_updated_at = models.DateTimeField(null=True, blank=True)
    lesson_report = models.TextField(null=True, blank=True)
    meeting_url = models.URLField(max_length=500, null=True, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="seats; empty = unlimited")
    import_source = models.CharField(max_length=50, null=True, blank=True)
    # Where an imported lesson came from, so importing again updates or skips instead of duplicating:
    # the source event's UID (Google: the recurring event id or event id) and the occurrence's original start
    # (RECURRENCE-ID as ISO UTC; "" for a one-off event).
    source_uid = models.CharField(max_length=255, null=True, blank=True)
    source_occurrence = models.CharField(max_length=40, default="", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "lessons"
        ordering = ["start_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["teacher", "import_source", "source_uid", "source_occurrence"],
                condition=Q(source_uid__isnull=False),
                name="uniq_lesson_import_source",
            ),
            models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="lesson_duration_positive"),
            models.CheckConstraint(condition=Q(status__in=["planned", "done", "cancelled"]), name="lesson_status"),
        ]
        indexes = [
            models.Index(fields=["teacher", "start_at"], name="lesson_teacher_start_idx"),
            models.Index(fields=["series", "start_at"], name="lesson_series_start_idx"),
            models.Index(fields=["status", "start_at"], name="lesson_status_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject or 'Занятие'} {self.start_at:%Y-%m-%d %H:%M}"


class CancelOutcome(models.TextChoices):
    FREE = "free"
    CHARGED = "charged"
    CREDITED = "credited"


class LessonStudent(models.Model):
    """One student's participation in a lesson: price, attendance, rating, payment and own notes."""

    # Not a column: the package a refund goes back to, kept on the instance by the completion writes.
    subscription_id_before: uuid.UUID | None

    class Attendance(models.TextChoices):
        UNKNOWN = "unknown"
        ATTENDED = "attended"
        MISSED = "missed"
        CANCELLED = "cancelled"

    class PaymentStatus(models.TextChoices):
        UNPAID = "unpaid"
        PAID = "paid"

    class PaymentType(models.TextChoices):
        FIXED = "fixed"
        FREE = "free"
        SUBSCRIPTION = "subscription"
        MAKEUP = "makeup"  # paid with a make-up credit

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Covered by uniq_lesson_student (lesson, student) and lesson_student_student_idx (student, lesson).
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="lesson_students", db_index=False)
    student = models.ForeignKey(StudentProfile, on_delete=models.CASCADE, related_name="lesson_rows", db_index=False)
    price_rub = models.PositiveIntegerField(default=0)
    attendance = models.CharField(max_length=16, choices=Attendance.choices, default=Attendance.UNKNOWN)
    rating = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(5)])
    payment_status = models.CharField(max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID)
    payment_type = models.CharField(max_length=20, choices=PaymentType.choices, default=PaymentType.FIXED)
    paid_from_subscription = models.BooleanField(default=False)
    # The subscription charged for this row (refunds go back to it even if another is active later).
    subscription = models.ForeignKey(
        "subscriptions.Subscription", on_delete=models.SET_NULL, null=True, blank=True, related_name="lesson_rows"
    )
    student_note_private = models.TextField(null=True, blank=True)
    student_note_for_teacher = models.TextField(null=True, blank=True)
    reminder_minutes_before = models.PositiveIntegerField(null=True, blank=True)
    # What a cancellation did to this student (the tutor's policy), and why, in words shown to all sides.
    cancel_outcome = models.CharField(max_length=8, choices=CancelOutcome.choices, null=True, blank=True)
    cancel_note = models.CharField(max_length=255, blank=True, default="")
    # The make-up credit this row granted (a cancel) and the one it spent (a make-up booking).
    credit_granted = models.ForeignKey(
        "subscriptions.MakeUpCredit", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    credit_spent = models.ForeignKey(
        "subscriptions.MakeUpCredit", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True, help_text="the student answered 'I'll come'")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "lesson_students"
        constraints = [
            models.UniqueConstraint(fields=["lesson", "student"], name="uniq_lesson_student"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__lte=5), name="lesson_student_rating_0_5"
            ),
            models.CheckConstraint(
                condition=Q(attendance__in=["unknown", "attended", "missed", "cancelled"]),
                name="lesson_student_attendance",
            ),
            models.CheckConstraint(
                condition=Q(payment_status__in=["unpaid", "paid"]), name="lesson_student_payment_status"
            ),
            models.CheckConstraint(
                condition=Q(payment_type__in=["fixed", "free", "subscription", "makeup"]),
                name="lesson_student_payment_type",
            ),
        ]
        indexes = [models.Index(fields=["student", "lesson"], name="lesson_student_student_idx")]


class WaitlistEntry(models.Model):
    """A student waiting for a seat on a full group lesson, in arrival order (the id: entries are written while
    the lesson row is locked, so ids follow the order in which the joins got the lock)."""

    id = models.BigAutoField(primary_key=True)
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="waitlist")
    student = models.ForeignKey(StudentProfile, on_delete=models.CASCADE, related_name="waitlist_entries")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "lesson_waitlist"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["lesson", "student"], name="uniq_waitlist_student")]

    def __str__(self) -> str:
        return f"{self.student_id} waiting for {self.lesson_id}"


class ViewStamp(models.Model):
    """One row per write that changed what a profile's cached views show (teacher calendar, students list,
    student calendar). Written by PostgreSQL triggers (migration 0007) in the writing transaction, so no write
    path can forget it; `(count, max id)` of a profile's rows is its view version (lessons.selectors.stamps).
    Append-only, so concurrent writers never wait on each other; the worker compacts it (services.stamps)."""

    id = models.BigAutoField(primary_key=True)
    profile_id = models.UUIDField()

    class Meta:
        db_table = "view_stamps"
        indexes = [models.Index(fields=["profile_id", "id"], name="view_stamp_profile_idx")]

    def __str__(self) -> str:
        return f"{self.profile_id}@{self.id}"


class PairStamp(models.Model):
    """One row per write that changed a (tutor, student) pair's lesson rows, written by PostgreSQL triggers
    (migration 0008) in the writing transaction; `(count, max id)` of a pair's rows is the version its running
    totals (PairTotals) are checked against. Append-only like ViewStamp, compacted by the worker."""

    id = models.BigAutoField(primary_key=True)
    teacher_id = models.UUIDField()
    student_id = models.UUIDField()

    class Meta:
        db_table = "pair_stamps"
        indexes = [models.Index(fields=["teacher_id", "student_id", "id"], name="pair_stamp_pair_idx")]

    def __str__(self) -> str:
        return f"{self.teacher_id}/{self.student_id}@{self.id}"


class PairTotals(models.Model):
    """A tutor's running totals for one student — the student card's attendance stats, debt, subjects and
    last/next lesson — as computed for the pair's stamp `version` (lessons.roster.selectors.pair_totals).
    Valid while the version holds and until `flip_at`, the next lesson start after computing (the last and next
    lesson move then), so the students list costs a row per student instead of the tutor's whole history."""

    id = models.BigAutoField(primary_key=True)
    teacher_id = models.UUIDField()
    student_id = models.UUIDField()
    version = models.CharField(max_length=48)
    flip_at = models.DateTimeField(null=True)
    data = models.JSONField()

    class Meta:
        db_table = "pair_totals"
        constraints = [models.UniqueConstraint(fields=["teacher_id", "student_id"], name="uniq_pair_totals")]

    def __str__(self) -> str:
        return f"{self.teacher_id}/{self.student_id} {self.version}"
