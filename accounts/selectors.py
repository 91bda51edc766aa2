import functools
import uuid
from typing import Any, cast

from django.db import connection
from django.db.models import Model, QuerySet

from accounts.models import StudentNotificationSettings

from .models import ParentProfile, StudentProfile, TeacherProfile, User

PROFILE_ATTR = {"teacher": "teacher_profile", "student": "student_profile", "parent": "parent_profile"}


def users_with_profiles() -> QuerySet[User]:
    return User.objects.select_related("teacher_profile", "student_profile", "parent_profile")


# Every signed-in request loads its user with all profiles. Compiling that select_related query costs ~1.2 ms of
# Python per request (more than running it), so the SQL is built once per process and the row is turned into the
# same objects select_related would give (values through the same converters the ORM applies).
_PROFILES = (
    ("teacher_profile", TeacherProfile),
    ("student_profile", StudentProfile),
    ("parent_profile", ParentProfile),
)


@functools.cache
def _user_query(vendor: str) -> tuple[str, list[tuple[Any, list[str], list]]]:
    """(SQL, per model: its attnames and per column (Col, converters)) for this database vendor."""
    quote = connection.ops.quote_name
    layout: list[tuple[Any, list[str], list]] = []
    for model in (User, *(m for _, m in _PROFILES)):
        fields = list(model._meta.concrete_fields)
        cols = [field.get_col(model._meta.db_table) for field in fields]
        converters = [(c, connection.ops.get_db_converters(c) + c.get_db_converters(connection)) for c in cols]
        layout.append((model, [f.attname for f in fields], converters))
    select = ", ".join(
        f"{quote(m._meta.db_table)}.{quote(cast(str, f.column))}" for m, _, _ in layout for f in m._meta.concrete_fields
    )
    users = quote(User._meta.db_table)
    joins = " ".join(
        f"LEFT JOIN {quote(m._meta.db_table)} ON {quote(m._meta.db_table)}.{quote('user_id')} = {users}.{quote('id')}"
        for _, m in _PROFILES
    )
    return f"SELECT {select} FROM {users} {joins} WHERE {users}.{quote('id')} = %s", layout  # noqa: S608


def _from_row(model: type[Model], attnames: list[str], converters: list, values: tuple) -> Model:
    converted = []
    for (col, convert_all), value in zip(converters, values, strict=True):
        for convert in convert_all:
            value = convert(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, attnames, converted)


def user_with_profiles(user_id: uuid.UUID) -> User | None:
    """`users_with_profiles().get(pk=user_id)` (or None) in one query without the ORM's per-call compilation."""
    sql, layout = _user_query(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [User._meta.pk.get_db_prep_value(user_id, connection)])
        row = cursor.fetchone()
    if row is None:
        return None
    objects, start = [], 0
    for model, attnames, converters in layout:
        values = row[start : start + len(attnames)]
        start += len(attnames)
        objects.append(_from_row(model, attnames, converters, values) if values[0] is not None else None)
    user = cast(User, objects[0])
    for (accessor, model), profile in zip(_PROFILES, objects[1:], strict=True):
        # A missing profile is cached as None: reading it raises "does not exist" without a query.
        cast(Any, User._meta.get_field(accessor)).set_cached_value(user, profile)
        if profile is not None:
            cast(Any, model._meta.get_field("user")).set_cached_value(profile, user)
    return user


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
