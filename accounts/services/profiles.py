"""Profile and settings writes of the signed-in user: the teacher's profile, a student's or parent's own
profile, the student's notification settings. Whitelisted fields only (no mass assignment)."""

from django.db import transaction

from accounts.models import (
    ParentProfile,
    StudentNotificationSettings,
    StudentProfile,
    TeacherProfile,
    User,
)


@transaction.atomic
def teacher_profile_update(*, teacher: TeacherProfile, data: dict) -> TeacherProfile:
    """Whitelisted fields only: displayName, bio and the cancellation policy (profile); city, timezone (user)."""
    profile_fields = {
        "displayName": "display_name",
        "bio": "bio",
        "cancelCutoffHours": "cancel_cutoff_hours",
        "lateCancelPolicy": "late_cancel_policy",
        "teacherCancelGivesCredit": "teacher_cancel_gives_credit",
        "makeUpCreditDays": "make_up_credit_days",
    }
    user_fields = {"city": "city", "timezone": "timezone"}
    changed = [model for key, model in profile_fields.items() if key in data]
    for key, attr in profile_fields.items():
        if key in data:
            setattr(teacher, attr, data[key])
    if changed:
        teacher.save(update_fields=[*changed, "updated_at"])
    _user_update(user=teacher.user, data=data, fields=user_fields)
    return teacher


def _user_update(*, user: User, data: dict, fields: dict) -> None:
    changed = [attr for key, attr in fields.items() if key in data]
    for key, attr in fields.items():
        if key in data:
            setattr(user, attr, data[key])
    if changed:
        user.save(update_fields=[*changed, "updated_at"])


@transaction.atomic
def profile_update(*, profile: StudentProfile | ParentProfile, data: dict) -> StudentProfile | ParentProfile:
    """PATCH /students/me and /parents/me: `customFields` (replaced wholesale) and the user's `timezone`."""
    if "customFields" in data:
        profile.custom_fields = data["customFields"]
        profile.save(update_fields=["custom_fields", "updated_at"])
    _user_update(user=profile.user, data=data, fields={"timezone": "timezone"})
    return profile


@transaction.atomic
def student_notification_settings_update(*, student: StudentProfile, data: dict) -> StudentNotificationSettings:
    row, _ = StudentNotificationSettings.objects.select_for_update().get_or_create(student=student)
    fields = {
        "defaultReminderMinutesBefore": "default_reminder_minutes_before",
        "enableLessonReminders": "enable_lesson_reminders",
        "enableLessonReports": "enable_lesson_reports",
    }
    changed = [attr for key, attr in fields.items() if key in data]
    for key, attr in fields.items():
        if key in data:
            setattr(row, attr, data[key])
    if changed:
        row.save(update_fields=[*changed, "updated_at"])
    return row
