"""Explicit input validation (camelCase on the wire) and response shapes for the OpenAPI schema.

Responses themselves are built by `selectors.*_json`; the *Out serializers only document them."""

from datetime import UTC

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tutorcal.errors import DomainError
from tutorcal.timeutil import iso, moment_bound, parse_moment

from .models import Subscription

MAX_TOTAL_LESSONS = 10_000


@extend_schema_field(OpenApiTypes.STR)
class ExpiryField(serializers.Field):
    """A date ("2030-06-30", the last day) or an ISO datetime; resolved in the teacher's zone by the serializer."""

    default_error_messages = {"invalid": "must be an ISO-8601 date or datetime"}

    def to_internal_value(self, data):
        value = parse_moment(data)
        if value is None:
            self.fail("invalid")
        return value

    def to_representation(self, value):
        return iso(value)


class SubscriptionCreateSerializer(serializers.Serializer):
    """`type` lessons needs `totalLessons` >= 1, `date` needs `expiresAt`; the other type's field is ignored.
    A date-only `expiresAt` ("2025-06-30") is the package's last day: it runs to the end of that day in the
    teacher's zone (context `zone`); a naive datetime is wall-clock time there too."""

    type = serializers.ChoiceField(choices=Subscription.Type.choices)
    totalLessons = serializers.IntegerField(required=False, allow_null=True, max_value=MAX_TOTAL_LESSONS)
    expiresAt = ExpiryField(required=False, allow_null=True)
    name = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=255)

    IRRELEVANT = {Subscription.Type.LESSONS: "expiresAt", Subscription.Type.DATE: "totalLessons"}

    def to_internal_value(self, data):
        if isinstance(data, dict) and isinstance(data.get("type"), str):  # {"type": {}} is the field's 400
            irrelevant = self.IRRELEVANT.get(data.get("type"))
            if irrelevant in data:
                data = {k: v for k, v in data.items() if k != irrelevant}
        return super().to_internal_value(data)

    def validate(self, attrs):
        if attrs["type"] == Subscription.Type.LESSONS:
            total = attrs.get("totalLessons")
            if total is None or total < 1:
                raise DomainError("TOTAL_LESSONS_REQUIRED")
        elif attrs.get("expiresAt") is None:
            raise DomainError("EXPIRES_AT_REQUIRED")
        else:
            zone = self.context.get("zone") or UTC
            attrs["expiresAt"] = moment_bound(attrs["expiresAt"], zone, end=True)
        if attrs.get("name") is not None:
            attrs["name"] = attrs["name"].strip() or None
        return attrs


class SubscriptionOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=Subscription.Type.choices)
    totalLessons = serializers.IntegerField(allow_null=True)
    usedLessons = serializers.IntegerField()
    remainingLessons = serializers.IntegerField(allow_null=True)
    expiresAt = serializers.DateTimeField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    isExpired = serializers.BooleanField()
    isActive = serializers.BooleanField()
    createdAt = serializers.DateTimeField()


class StudentSubscriptionOutSerializer(SubscriptionOutSerializer):
    teacherId = serializers.UUIDField()
    teacherName = serializers.CharField()


class ArchivedSubscriptionOutSerializer(SubscriptionOutSerializer):
    isActive = None  # the archived shape says isDeleted instead
    isDeleted = serializers.BooleanField()
    deletedAt = serializers.DateTimeField(allow_null=True)


class SubscriptionBriefOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(allow_null=True)
    type = serializers.ChoiceField(choices=Subscription.Type.choices)
    remainingLessons = serializers.IntegerField(allow_null=True)
    expiresAt = serializers.DateTimeField(allow_null=True)
    displayText = serializers.CharField()


class HasSubscriptionOutSerializer(serializers.Serializer):
    hasSubscription = serializers.BooleanField()
    subscription = SubscriptionBriefOutSerializer(required=False)
