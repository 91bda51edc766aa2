"""Response shapes of the teacher calendar (/api/teachers/me/subjects, /me/lessons, /me/lesson-series).

TeacherLessonOut is an executable serializer: from a Lesson (with `lesson_students` prefetched in order and
`conflicts` in the context) it renders exactly what the month view's fast path (lessons.selectors.lesson_dict,
plain `.values()` rows and orjson) sends; a test holds the two byte-identical. The other shapes document dict
bodies that the suite validates against real responses."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from tutorcal.timeutil import UtcDateTimeField

from .models import CancelOutcome, Lesson, LessonSeries
from .serializers import ATTENDANCE, PAYMENT_STATUS, PAYMENT_TYPE, STATUS

CANCELLED_BY = [c for c, _ in Lesson.CancelledBy.choices]
CANCEL_OUTCOME = [c for c, _ in CancelOutcome.choices]
FREQUENCY = [c for c, _ in LessonSeries.Frequency.choices]


class BlankAsNullCharField(serializers.CharField):
    def to_representation(self, value):
        return value or None


class SubjectOut(serializers.Serializer):
    id = serializers.UUIDField()
    teacherId = serializers.UUIDField(source="teacher_id")
    name = serializers.CharField()
    code = serializers.CharField()
    colorHex = serializers.CharField(source="color_hex")
    archivedAt = UtcDateTimeField(source="archived_at", allow_null=True)
    createdAt = UtcDateTimeField(source="created_at")
    updatedAt = UtcDateTimeField(source="updated_at")


class SubjectDeleteOut(serializers.Serializer):
    """A subject with lessons is archived (lessonsCount says how many keep it); one without is deleted."""

    success = serializers.BooleanField()
    action = serializers.ChoiceField(choices=["archived", "deleted"])
    lessonsCount = serializers.IntegerField(required=False)


class SubjectBriefOut(serializers.Serializer):
    name = serializers.CharField()
    colorHex = serializers.CharField(source="color_hex")


class LessonStudentOut(serializers.Serializer):
    id = serializers.UUIDField()
    studentId = serializers.UUIDField(source="student_id")
    firstName = serializers.CharField(source="student.user.first_name")
    lastName = serializers.CharField(source="student.user.last_name")
    username = BlankAsNullCharField(source="student.user.username", allow_null=True)
    priceRub = serializers.IntegerField(source="price_rub")
    attendance = serializers.ChoiceField(choices=ATTENDANCE)
    rating = serializers.IntegerField(allow_null=True, help_text="0-5")
    paymentStatus = serializers.ChoiceField(source="payment_status", choices=PAYMENT_STATUS)
    paymentType = serializers.ChoiceField(source="payment_type", choices=PAYMENT_TYPE)
    paidFromSubscription = serializers.BooleanField(source="paid_from_subscription")
    studentNoteForTeacher = serializers.CharField(source="student_note_for_teacher", allow_null=True)
    reminderMinutesBefore = serializers.IntegerField(source="reminder_minutes_before", allow_null=True)
    cancelOutcome = serializers.ChoiceField(source="cancel_outcome", choices=CANCEL_OUTCOME, allow_null=True)
    cancelNote = serializers.CharField(source="cancel_note", allow_blank=True)
    confirmedAt = UtcDateTimeField(source="confirmed_at", allow_null=True, help_text="the student answered 'I'll come'")


class WaitlistEntryOut(serializers.Serializer):
    studentId = serializers.UUIDField()
    position = serializers.IntegerField()


class TeacherLessonOut(serializers.Serializer):
    """A lesson as its teacher sees it (reference §2 'TeacherLesson'). The lesson-level note/reminder mirror the
    only student of an individual lesson; the student's private note is never shown to the teacher."""

    id = serializers.UUIDField()
    seriesId = serializers.UUIDField(source="series_id", allow_null=True)
    teacherId = serializers.UUIDField(source="teacher_id")
    subjectId = serializers.UUIDField(source="subject_id", allow_null=True)
    startAt = UtcDateTimeField(source="start_at")
    durationMinutes = serializers.IntegerField(source="duration_minutes")
    priceRub = serializers.IntegerField(source="price_rub")
    isFree = serializers.BooleanField(source="is_free")
    status = serializers.ChoiceField(choices=STATUS)
    isGroupLesson = serializers.SerializerMethodField()
    cancelledBy = serializers.ChoiceField(source="cancelled_by", choices=CANCELLED_BY, allow_null=True)
    rescheduledTo = serializers.CharField(source="rescheduled_to", allow_null=True)
    teacherNote = serializers.CharField(source="teacher_note", allow_null=True)
    teacherNoteUpdatedAt = UtcDateTimeField(source="teacher_note_updated_at", allow_null=True)
    lessonReport = serializers.CharField(source="lesson_report", allow_null=True)
    studentNotePrivate = serializers.SerializerMethodField(help_text="always null for the teacher")
    studentNoteForTeacher = serializers.SerializerMethodField()
    reminderMinutesBefore = serializers.SerializerMethodField()
    meetingUrl = serializers.CharField(source="meeting_url", allow_null=True)
    createdAt = UtcDateTimeField(source="created_at")
    updatedAt = UtcDateTimeField(source="updated_at")
    students = LessonStudentOut(source="lesson_students.all", many=True)
    subject = SubjectBriefOut(allow_null=True)
    conflicts = serializers.SerializerMethodField(help_text="ids of the teacher's other planned lessons overlapping")
    capacity = serializers.IntegerField(allow_null=True, help_text="seats; null = unlimited")
    seatsTaken = serializers.SerializerMethodField()
    waitlist = serializers.SerializerMethodField()

    def _only(self, lesson):
        rows = lesson.lesson_students.all()
        return rows[0] if len(rows) == 1 else None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_isGroupLesson(self, lesson) -> bool:
        return len(lesson.lesson_students.all()) > 1

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_studentNotePrivate(self, lesson):
        return None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_studentNoteForTeacher(self, lesson):
        only = self._only(lesson)
        return only.student_note_for_teacher if only else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_reminderMinutesBefore(self, lesson):
        only = self._only(lesson)
        return only.reminder_minutes_before if only else None

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_conflicts(self, lesson):
        return self.context["conflicts"].get(lesson.id, [])

    @extend_schema_field(OpenApiTypes.INT)
    def get_seatsTaken(self, lesson) -> int:
        return sum(1 for row in lesson.lesson_students.all() if row.attendance != "cancelled")

    @extend_schema_field(WaitlistEntryOut(many=True))
    def get_waitlist(self, lesson):
        return self.context.get("waitlists", {}).get(lesson.id, [])


class RecurrenceOut(serializers.Serializer):
    frequency = serializers.ChoiceField(choices=FREQUENCY)
    dayOfWeek = serializers.IntegerField(min_value=0, max_value=6, help_text="0=Sunday … 6=Saturday")
    daysOfWeek = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6))


class LessonSeriesRefOut(serializers.Serializer):
    id = serializers.UUIDField()
    recurrence = RecurrenceOut()


class TeacherLessonDetailOut(TeacherLessonOut):
    series = LessonSeriesRefOut(allow_null=True)


class SeriesHeadOut(serializers.Serializer):
    """dayOfWeek/daysOfWeek/timeOfDay are present when a series is created, not when one is updated."""

    id = serializers.UUIDField()
    frequency = serializers.ChoiceField(choices=FREQUENCY)
    dayOfWeek = serializers.IntegerField(required=False)
    daysOfWeek = serializers.ListField(child=serializers.IntegerField(), required=False)
    timeOfDay = serializers.CharField(required=False, help_text="HH:MM in the series' zone")


class SeriesLessonOut(serializers.Serializer):
    id = serializers.UUIDField()
    startAt = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=STATUS)


class SeriesResultOut(serializers.Serializer):
    series = SeriesHeadOut()
    lessonsCreated = serializers.IntegerField()
    lessons = SeriesLessonOut(many=True)


class SeriesRecurrenceOut(RecurrenceOut):
    endDate = serializers.DateTimeField(required=False, help_text="the series' last day, as UTC midnight")


class SeriesStudentOut(serializers.Serializer):
    studentId = serializers.UUIDField()
    firstName = serializers.CharField()
    lastName = serializers.CharField()
    priceRub = serializers.IntegerField()


class LessonSeriesOut(serializers.Serializer):
    id = serializers.UUIDField()
    subjectId = serializers.UUIDField(allow_null=True)
    recurrence = SeriesRecurrenceOut()
    timeOfDay = serializers.CharField()
    timezone = serializers.CharField()
    durationMinutes = serializers.IntegerField()
    priceRub = serializers.IntegerField()
    isFree = serializers.BooleanField()
    meetingUrl = serializers.CharField(allow_null=True)
    students = SeriesStudentOut(many=True)
    subject = SubjectBriefOut(allow_null=True)
    lessonsCount = serializers.IntegerField()
    lessonsDone = serializers.IntegerField()
    lessonsRemaining = serializers.IntegerField()


class LessonStudentUpdateOut(serializers.Serializer):
    success = serializers.BooleanField()
    paymentStatus = serializers.ChoiceField(choices=PAYMENT_STATUS)
    priceRub = serializers.IntegerField()


# A one-off lesson answers a TeacherLesson; a recurring one (or an edit applied to a series) the series result.
LessonOrSeriesOut = PolymorphicProxySerializer(
    component_name="TeacherLessonOrSeries",
    serializers=[TeacherLessonOut, SeriesResultOut],
    resource_type_field_name=None,
)
