"""Input serializers of the people area (camelCase on the wire). Unknown fields are ignored, never written."""

import json
import zoneinfo

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import LateCancelPolicy, validate_timezone
from lessons.models import Lesson, LessonStudent
from tutorcal.timeutil import parse_moment, range_bounds

MAX_NOTE = 5000
MAX_REMINDER_MINUTES = 7 * 24 * 60
MAX_CUSTOM_FIELDS = 50
MAX_CUSTOM_FIELDS_BYTES = 16 * 1024


class TimezoneField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            validate_timezone(value)
        except Exception:
            raise serializers.ValidationError(f"{value!r} is not an IANA time zone (e.g. Europe/Moscow)")
        return value


@extend_schema_field({"type": "object", "additionalProperties": True, "nullable": True})
class CustomFieldsField(serializers.JSONField):
    """A flat map of short keys to scalar values (string/number/boolean/null), bounded in size."""

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        if data is None:
            return None
        if not isinstance(data, dict):
            raise serializers.ValidationError("must be an object")
        if len(data) > MAX_CUSTOM_FIELDS:
            raise serializers.ValidationError(f"at most {MAX_CUSTOM_FIELDS} keys")
        for key, value in data.items():
            if len(key) > 100:
                raise serializers.ValidationError("keys are at most 100 characters")
            if value is not None and not isinstance(value, (str, int, float, bool)):
                raise serializers.ValidationError(f"{key}: values must be strings, numbers, booleans or null")
        if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_CUSTOM_FIELDS_BYTES:
            raise serializers.ValidationError("too large")
        return data


class NoteField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.update(required=False, allow_null=True, allow_blank=True, max_length=MAX_NOTE, trim_whitespace=False)
        super().__init__(**kwargs)


class TeacherProfileUpdateSerializer(serializers.Serializer):
    """`bio` and `city` are nullable in the reference: null clears them (stored as "")."""

    displayName = serializers.CharField(max_length=255, required=False)
    bio = serializers.CharField(max_length=2000, required=False, allow_blank=True, allow_null=True)
    city = serializers.CharField(max_length=255, required=False, allow_blank=True, allow_null=True)
    timezone = TimezoneField(required=False)
    cancelCutoffHours = serializers.IntegerField(min_value=0, max_value=168, required=False)
    lateCancelPolicy = serializers.ChoiceField(choices=LateCancelPolicy.choices, required=False)
    teacherCancelGivesCredit = serializers.BooleanField(required=False)
    makeUpCreditDays = serializers.IntegerField(min_value=1, max_value=365, required=False)

    def validate(self, attrs):
        return {key: "" if value is None and key in ("bio", "city") else value for key, value in attrs.items()}


class ProfileUpdateSerializer(serializers.Serializer):
    customFields = CustomFieldsField(required=False, allow_null=True)
    timezone = TimezoneField(required=False)


class LinkUpdateSerializer(serializers.Serializer):
    customFields = CustomFieldsField(allow_null=True)


class ArchiveSerializer(serializers.Serializer):
    deleteIndividualLessons = serializers.BooleanField(required=False, default=False)


class NotificationsEnabledSerializer(serializers.Serializer):
    notificationsEnabled = serializers.BooleanField()


class StudentLessonUpdateSerializer(serializers.Serializer):
    studentNotePrivate = NoteField()
    studentNoteForTeacher = NoteField()
    reminderMinutesBefore = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_REMINDER_MINUTES
    )


class NotificationSettingsSerializer(serializers.Serializer):
    defaultReminderMinutesBefore = serializers.IntegerField(required=False, min_value=0, max_value=MAX_REMINDER_MINUTES)
    enableLessonReminders = serializers.BooleanField(required=False)
    enableLessonReports = serializers.BooleanField(required=False)


class ChildNotificationSerializer(serializers.Serializer):
    childId = serializers.UUIDField()
    notificationsEnabled = serializers.BooleanField()


class ParentNotificationSettingsSerializer(serializers.Serializer):
    children = ChildNotificationSerializer(many=True, max_length=200)


@extend_schema_field(OpenApiTypes.STR)
class MomentField(serializers.Field):
    """An ISO datetime or a date; the range serializer resolves both in the user's own zone (a naive datetime is
    wall-clock time there, as for tutors)."""

    default_error_messages = {"invalid": "must be an ISO-8601 date or datetime"}

    def to_internal_value(self, data):
        value = parse_moment(data)
        if value is None:
            self.fail("invalid")
        return value

    def to_representation(self, value):
        return value.isoformat()


class _RangeMixin:
    """from/to through the one range rule (tutorcal.timeutil.range_bounds) in the zone given in context."""

    def validate(self, attrs):
        zone = self.context.get("zone") or zoneinfo.ZoneInfo("UTC")
        attrs["start"], attrs["end"] = range_bounds(
            attrs.pop("from", None), attrs.pop("to", None), zone=zone, now=timezone.now()
        )
        return attrs


class LessonRangeQuerySerializer(_RangeMixin, serializers.Serializer):
    """Student/parent lesson lists: from and to required."""

    subjectId = serializers.UUIDField(required=False)
    teacherId = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(choices=Lesson.Status.choices, required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = MomentField()
        fields["to"] = MomentField()
        return fields


class TeacherStudentLessonsQuerySerializer(_RangeMixin, serializers.Serializer):
    """Per-student lessons for the teacher: all filters optional (B2 fixed)."""

    status = serializers.ChoiceField(choices=Lesson.Status.choices, required=False)
    paymentStatus = serializers.ChoiceField(choices=LessonStudent.PaymentStatus.choices, required=False)
    attendance = serializers.ChoiceField(choices=LessonStudent.Attendance.choices, required=False)
    subjectId = serializers.UUIDField(required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = MomentField(required=False)
        fields["to"] = MomentField(required=False)
        return fields


def validated(serializer_class, data, **context) -> dict:
    """Validate `data` (a body or query dict) or raise 400 with readable messages."""
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class StudentCancelSerializer(serializers.Serializer):
    """Optional body of a student's cancel: `reason: "illness"` is counted apart in the stats."""

    reason = serializers.ChoiceField(choices=["illness"], required=False, allow_null=True)
