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
