"""Input serializers of the calendar import, Google and feed endpoints (camelCase on the wire)."""

from rest_framework import serializers

from tutorcal.timeutil import validate_supported

from ..serializers import MAX_PRICE, MAX_STUDENTS, LocalDateField, OptionalUUIDField
from .ics_parse import MAX_BYTES, MAX_EVENTS

MAX_URL = 2000


class SourceSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=MAX_URL, required=False, allow_blank=True, allow_null=True)
    # A Python str counts characters; the 2 MB byte limit is checked again on the encoded text.
    content = serializers.CharField(
        max_length=MAX_BYTES, required=False, allow_blank=True, allow_null=True, trim_whitespace=False
    )


class PreviewSerializer(SourceSerializer):
    fromDate = LocalDateField(source="from_date", required=False, allow_null=True, validators=[validate_supported])
    toDate = LocalDateField(source="to_date", required=False, allow_null=True, validators=[validate_supported])


class ImportEventSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=600)
    subjectId = OptionalUUIDField(source="subject_id")
    autoCreateSubject = serializers.BooleanField(source="auto_create_subject", required=False, default=False)
    studentIds = serializers.ListField(
        source="student_ids", child=serializers.UUIDField(), required=False, allow_null=True, max_length=MAX_STUDENTS
    )
    priceRub = serializers.IntegerField(
        source="price_rub", min_value=0, max_value=MAX_PRICE, required=False, allow_null=True
    )


class GoogleImportSerializer(serializers.Serializer):
    events = ImportEventSerializer(many=True, allow_empty=False, max_length=MAX_EVENTS)


class ImportSerializer(PreviewSerializer, GoogleImportSerializer):
    pass


class ImportResultSerializer(serializers.Serializer):
    imported = serializers.IntegerField()
    updated = serializers.IntegerField(help_text="already imported events whose time changed at the source")
    skipped = serializers.IntegerField(help_text="events not imported: unchanged, not found or without a subject")
    errors = serializers.ListField(child=serializers.CharField())
    seriesCreated = serializers.IntegerField()


class PreviewEventOut(serializers.Serializer):
    uid = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField(required=False)
    startAt = serializers.DateTimeField()
    endAt = serializers.DateTimeField()
    durationMinutes = serializers.IntegerField()
    location = serializers.CharField(required=False)
    suggestedSubjectId = serializers.UUIDField(required=False)
    suggestedSubjectName = serializers.CharField(required=False)
    isRecurring = serializers.BooleanField()
    originalUid = serializers.CharField(required=False)
    allDay = serializers.BooleanField()
    alreadyImported = serializers.BooleanField()


class SubjectRefOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class PreviewOut(serializers.Serializer):
    events = PreviewEventOut(many=True)
    subjects = SubjectRefOut(many=True)
    totalEvents = serializers.IntegerField()
    hasRecurringEvents = serializers.BooleanField()


class FeedOut(serializers.Serializer):
    url = serializers.URLField(help_text="https URL of the private ICS feed (no JWT needed; keep it secret)")
    webcalUrl = serializers.CharField(help_text="the same feed as webcal:// (opens the calendar app)")
    role = serializers.ChoiceField(choices=["teacher", "student", "parent"])
