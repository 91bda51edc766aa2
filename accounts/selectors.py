import uuid

from django.db.models import QuerySet

from accounts.models import StudentNotificationSettings

from .models import ParentProfile, StudentProfile, TeacherProfile, User

PROFILE_ATTR = {"teacher": "teacher_profile", "student": "student_profile", "parent": "parent_profile"}


def users_with_profiles() -> QuerySet[User]:
    return User.objects.select_related("teacher_profile", "student_profile", "parent_profile")


def profile_of(user: User, role: str) -> TeacherProfile | StudentProfile | ParentProfile | None:
    """The user's profile for `role`, or None (no query when the profiles were select_related)."""
    try:
        return getattr(user, PROFILE_ATTR[role])
    except (
        KeyError,
        AttributeError,
        User.teacher_profile.RelatedObjectDoesNotExist,
        User.student_profile.RelatedObjectDoesNotExist,
        User.parent_profile.RelatedObjectDoesNotExist,
    ):
        return None


def roles_of(user: User) -> list[str]:
    """Roles in the contract's fixed order: teacher, student, parent."""
    return [role for role in ("teacher", "student", "parent") if profile_of(user, role) is not None]


def notification_settings_get(student_id: uuid.UUID) -> StudentNotificationSettings:
    settings_row, _ = StudentNotificationSettings.objects.get_or_create(student_id=student_id)
    return settings_row


def notification_settings_json(row: StudentNotificationSettings) -> dict:
    return {
        "defaultReminderMinutesBefore": row.default_reminder_minutes_before,
        "enableLessonReminders": row.enable_lesson_reminders,
        "enableLessonReports": row.enable_lesson_reports,
    }
