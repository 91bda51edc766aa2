"""Input serializers of the teacher calendar API (camelCase on the wire, snake_case in validated_data).
Unknown fields are ignored; every field is validated so nothing a client sends reaches the DB unchecked."""

from django.core.validators import URLValidator
from django.utils import timezone
from rest_framework import serializers

from tutorcal.timeutil import UtcDateTimeField, validate_supported

from .models import COLOR_VALIDATOR, Lesson, LessonStudent
from .selectors.calendar import MAX_DURATION_MINUTES

MAX_PRICE = 10_000_000
MAX_TEXT = 5000
MAX_STUDENTS = 100
http_url = URLValidator(schemes=["http", "https"], message="must be an http(s) URL")

ATTENDANCE = [c for c, _ in LessonStudent.Attendance.choices]
PAYMENT_STATUS = [c for c, _ in LessonStudent.PaymentStatus.choices]
PAYMENT_TYPE = [c for c, _ in LessonStudent.PaymentType.choices]
STATUS = [c for c, _ in Lesson.Status.choices]


class SubjectCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    code = serializers.RegexField(r"^[A-Za-z0-9_-]{1,50}$", required=False, allow_blank=True, allow_null=True)
    colorHex = serializers.CharField(source="color_hex", validators=[COLOR_VALIDATOR])

    def validate_name(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("may not be blank")
        return value


class SubjectUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    colorHex = serializers.CharField(source="color_hex", validators=[COLOR_VALIDATOR], required=False)

    def validate_name(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("may not be blank")
        return value


class OptionalUUIDField(serializers.UUIDField):
    """A UUID, or null / "" meaning none (the reference checks these ids only "if truthy")."""

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_null=True, **kwargs)

    def to_internal_value(self, data):
        return None if data == "" else super().to_internal_value(data)


class LocalDateField(serializers.DateField):
    """A date, or an ISO datetime read as its calendar day in the active (the teacher's) zone: the reference
    took anything `new Date()` parses, e.g. a date picker's toISOString()."""

    def to_internal_value(self, value):
        if isinstance(value, str) and len(value) > 10:
            instant = UtcDateTimeField().to_internal_value(value)
            return timezone.localtime(instant).date()
        return super().to_internal_value(value)


class RecurrenceSerializer(serializers.Serializer):
    frequency = serializers.ChoiceField(choices=["none", "weekly", "biweekly"])
    daysOfWeek = serializers.ListField(
        source="days_of_week",
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        allow_null=True,
        min_length=1,
        max_length=7,
    )
    count = serializers.IntegerField(min_value=1, max_value=200, required=False, allow_null=True)
    endDate = LocalDateField(source="end_date", required=False, allow_null=True, validators=[validate_supported])


def _meeting_url():
    return serializers.CharField(
        source="meeting_url", max_length=500, required=False, allow_null=True, allow_blank=True, validators=[http_url]
    )


class _LessonFieldsMixin(serializers.Serializer):
    # Keys whose null means "not given" (dropped from validated_data), as in the reference.
    NULL_MEANS_ABSENT: tuple[str, ...] = ("student_ids",)

    subjectId = OptionalUUIDField(source="subject_id")
    priceRub = serializers.IntegerField(source="price_rub", min_value=0, max_value=MAX_PRICE, required=False)
    isFree = serializers.BooleanField(source="is_free", required=False)
    meetingUrl = _meeting_url()
    teacherNote = serializers.CharField(
        source="teacher_note", max_length=MAX_TEXT, required=False, allow_null=True, allow_blank=True
    )
    studentIds = serializers.ListField(
        source="student_ids", child=serializers.UUIDField(), required=False, allow_null=True, max_length=MAX_STUDENTS
    )
    studentId = OptionalUUIDField(source="student_id")
    recurrence = RecurrenceSerializer(required=False, allow_null=True)
    capacity = serializers.IntegerField(min_value=1, max_value=MAX_STUDENTS, required=False, allow_null=True)

    def validate_meetingUrl(self, value):
        return value or None

    def validate(self, attrs):
        for key in self.NULL_MEANS_ABSENT:
            if key in attrs and attrs[key] is None:
                del attrs[key]
        return attrs


class LessonCreateSerializer(_LessonFieldsMixin):
    # reference §3.1: priceRub || 0, isFree || false, studentIds || [studentId]
    NULL_MEANS_ABSENT = ("student_ids", "price_rub", "is_free")

    priceRub = serializers.IntegerField(
        source="price_rub", min_value=0, max_value=MAX_PRICE, required=False, allow_null=True
    )
    isFree = serializers.BooleanField(source="is_free", required=False, allow_null=True)
    startAt = UtcDateTimeField(source="start_at")
    durationMinutes = serializers.IntegerField(source="duration_minutes", min_value=1, max_value=MAX_DURATION_MINUTES)
    paymentType = serializers.ChoiceField(source="payment_type", choices=PAYMENT_TYPE, required=False, allow_null=True)
    reminderMinutesBefore = serializers.IntegerField(
        source="reminder_minutes_before", min_value=0, max_value=7 * 24 * 60, required=False, allow_null=True
    )


class LessonUpdateSerializer(_LessonFieldsMixin):
    startAt = UtcDateTimeField(source="start_at", required=False)
    durationMinutes = serializers.IntegerField(
        source="duration_minutes", min_value=1, max_value=MAX_DURATION_MINUTES, required=False
    )
    status = serializers.ChoiceField(choices=STATUS, required=False)
    cancelledBy = serializers.ChoiceField(
        source="cancelled_by", choices=[c for c, _ in Lesson.CancelledBy.choices], required=False, allow_null=True
    )
    rescheduledTo = serializers.CharField(
        source="rescheduled_to", max_length=255, required=False, allow_null=True, allow_blank=True
    )
    lessonReport = serializers.CharField(
        source="lesson_report", max_length=MAX_TEXT, required=False, allow_null=True, allow_blank=True
    )


class LessonListQuerySerializer(serializers.Serializer):
    from_ = serializers.CharField(max_length=40)
    to = serializers.CharField(max_length=40)
    # `from` is a Python keyword: declared as from_ and renamed below
    subjectId = serializers.UUIDField(source="subject_id", required=False)
    studentId = serializers.UUIDField(source="student_id", required=False)
    status = serializers.ChoiceField(choices=STATUS, required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class LessonStudentAddSerializer(serializers.Serializer):
    studentId = serializers.UUIDField(source="student_id")
    # null = the lesson's price (reference: body.priceRub ?? lesson.priceRub)
    priceRub = serializers.IntegerField(
        source="price_rub", min_value=0, max_value=MAX_PRICE, required=False, allow_null=True
    )


class LessonStudentUpdateSerializer(serializers.Serializer):
    paymentStatus = serializers.ChoiceField(source="payment_status", choices=PAYMENT_STATUS, required=False)
    priceRub = serializers.IntegerField(source="price_rub", min_value=0, max_value=MAX_PRICE, required=False)


class CompletionStudentSerializer(serializers.Serializer):
    studentId = serializers.UUIDField(source="student_id")
    attendance = serializers.ChoiceField(choices=ATTENDANCE)
    rating = serializers.IntegerField(min_value=0, max_value=5, required=False, allow_null=True)
    paymentStatus = serializers.ChoiceField(
        source="payment_status", choices=PAYMENT_STATUS, required=False, allow_null=True
    )
    useSubscription = serializers.BooleanField(
        source="use_subscription", required=False, allow_null=True, default=False
    )


class LessonCompleteSerializer(serializers.Serializer):
    students = CompletionStudentSerializer(many=True, max_length=MAX_STUDENTS)


class LessonStudentsBulkSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["set_attendance", "set_rating", "set_payment"])
    value = serializers.JSONField()

    def validate(self, attrs):
        action, value = attrs["action"], attrs["value"]
        if action == "set_attendance" and value not in ATTENDANCE:
            raise serializers.ValidationError({"value": f"must be one of {', '.join(ATTENDANCE)}"})
        if action == "set_payment" and value not in PAYMENT_STATUS:
            raise serializers.ValidationError({"value": f"must be one of {', '.join(PAYMENT_STATUS)}"})
        if action == "set_rating" and value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 5:
                raise serializers.ValidationError({"value": "rating must be an integer 0…5 or null"})
        return attrs
