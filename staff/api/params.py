"""Query parameters of the staff API: pages (limit ≤ 200), date ranges (from ≤ to, bounded), filters."""

from datetime import date, datetime

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import SupportMessage
from ..selectors.common import MAX_DAYS_BY_INTERVAL, MAX_RANGE_DAYS, date_range, last_days, tz

MAX_LIMIT = 200


@extend_schema_field(OpenApiTypes.DATE)
class DayField(serializers.Field):
    """A calendar day: `YYYY-MM-DD`, or an ISO date-time taken in the service's zone (what a JS client sends)."""

    default_error_messages = {"invalid": "Expected a date (YYYY-MM-DD) or an ISO 8601 date-time."}

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 40:
            self.fail("invalid")
        try:
            return date.fromisoformat(data)
        except ValueError:
            pass
        try:
            moment = parse_datetime(data)
        except ValueError:
            moment = None
        if moment is None:
            self.fail("invalid")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz())
        return moment.astimezone(tz()).date()

    def to_representation(self, value):
        return value.isoformat() if isinstance(value, date | datetime) else value


class PageIn(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=50)


class RangeIn(serializers.Serializer):
    max_days = MAX_RANGE_DAYS

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = DayField()
        fields["to"] = DayField()
        return fields

    def validate(self, attrs):
        attrs["range"] = date_range(attrs["from"], attrs["to"], max_days=self.max_days)
        return attrs


class OptionalRangeIn(serializers.Serializer):
    """from/to optional (default: the last REQUEST_LOG_DAYS days, i.e. everything retained)."""

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = DayField(required=False)
        fields["to"] = DayField(required=False)
        return fields

    def validate(self, attrs):
        from django.conf import settings

        if "from" in attrs or "to" in attrs:
            default = last_days(int(getattr(settings, "REQUEST_LOG_DAYS", 30)))
            attrs["range"] = date_range(attrs.get("from", default.start), attrs.get("to", default.end))
        else:
            attrs["range"] = None
        return attrs


class ChartIn(RangeIn):
    interval = serializers.ChoiceField(choices=["minute", "hour", "day"], default="hour")
    user = serializers.CharField(required=False, max_length=255)

    def validate(self, attrs):
        attrs["range"] = date_range(attrs["from"], attrs["to"], max_days=MAX_DAYS_BY_INTERVAL[attrs["interval"]])
        return attrs


class LogsIn(PageIn):
    status = serializers.ChoiceField(choices=["all", "success", "error"], default="all")


class EndpointLogsIn(PageIn):
    method = serializers.CharField(max_length=10)
    path = serializers.CharField(max_length=500)


class LogsDetailedIn(LogsIn):
    method = serializers.CharField(max_length=10, required=False)
    path = serializers.CharField(max_length=500, required=False)
    user = serializers.CharField(max_length=255, required=False)
    users = serializers.CharField(max_length=2000, required=False)
    userMode = serializers.ChoiceField(choices=["include", "exclude"], default="include")

    def validate(self, attrs):
        if bool(attrs.get("method")) != bool(attrs.get("path")):
            raise serializers.ValidationError("method and path go together")
        users = [u.strip().lstrip("@") for u in attrs.get("users", "").split(",") if u.strip()]
        if len(users) > 100:
            raise serializers.ValidationError({"users": "At most 100 usernames."})
        attrs["users"] = users
        return attrs


class EventsIn(PageIn):
    eventName = serializers.CharField(max_length=100, required=False)


class UsersIn(PageIn):
    role = serializers.ChoiceField(choices=["teacher", "student", "parent"], default="student")


class SupportListIn(PageIn):
    status = serializers.ChoiceField(choices=SupportMessage.Status.choices, required=False)


def parse(serializer_class, request):
    s = serializer_class(data=request.query_params)
    s.is_valid(raise_exception=True)
    return s.validated_data


def parse_body(serializer_class, request):
    s = serializer_class(data=request.data)
    s.is_valid(raise_exception=True)
    return s.validated_data
