import uuid

from django.db import models
from django.db.models import F, Q

from accounts.models import StudentProfile, TeacherProfile


class Subscription(models.Model):
    """A prepaid package (абонемент): `lessons` (N lessons) or `date` (unlimited until expiresAt)."""

    class Type(models.TextChoices):
        LESSONS = "lessons"
        DATE = "date"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    teacher = models.ForeignKey(TeacherProfile, on_delete=models.CASCADE, related_name="subscriptions")
    student = models.ForeignKey(StudentProfile, on_delete=models.CASCADE, related_name="subscriptions")
    type = models.CharField(max_length=20, choices=Type.choices)
    total_lessons = models.PositiveIntegerField(null=True, blank=True)
    used_lessons = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    name = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "subscriptions"
        constraints = [
            # One active (non-deleted) subscription per teacher + student.
            models.UniqueConstraint(
                fields=["teacher", "student"], condition=Q(deleted_at__isnull=True), name="uniq_active_subscription"
            ),
            models.CheckConstraint(
                condition=Q(type="lessons", total_lessons__gte=1) | Q(type="date", expires_at__isnull=False),
                name="subscription_type_fields",
            ),
            # Never overspend, whatever the code path.
            models.CheckConstraint(
                condition=Q(total_lessons__isnull=True) | Q(used_lessons__lte=F("total_lessons")),
                name="subscription_not_overspent",
            ),
        ]
        indexes = [models.Index(fields=["student", "teacher"], name="subscription_student_idx")]

    def __str__(self) -> str:
        return self.name or f"{self.get_type_display()} {self.used_lessons}/{self.total_lessons or '∞'}"


class MakeUpCredit(models.Model):
    """One make-up lesson owed to a student by a tutor (a late cancel under the `credit` policy, or a tutor's
    own cancel when they give credits). Spent by booking a lesson with paymentType "makeup"; lapses at
    `expires_at` (the worker's daily job); revoked when the tutor reverses the decision that granted it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    teacher = models.ForeignKey(TeacherProfile, on_delete=models.CASCADE, related_name="makeup_credits")
    student = models.ForeignKey(StudentProfile, on_delete=models.CASCADE, related_name="makeup_credits")
    source_lesson_id = models.UUIDField(null=True, blank=True, help_text="the cancelled lesson that granted it")
    reason = models.CharField(max_length=255, blank=True, default="")
    expires_at = models.DateTimeField()
    spent_at = models.DateTimeField(null=True, blank=True)
    spent_lesson_id = models.UUIDField(null=True, blank=True)
    lapsed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "makeup_credits"
        ordering = ["expires_at", "id"]
        indexes = [
            models.Index(
                fields=["teacher", "student", "expires_at"],
                name="makeup_credit_available_idx",
                condition=Q(spent_at__isnull=True, lapsed_at__isnull=True, revoked_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"make-up credit {self.student_id} ← {self.teacher_id}"
