"""Wire format helpers: ISO-8601 UTC with milliseconds and a Z, as the reference frontend expects."""

from datetime import UTC, datetime

from rest_framework import serializers


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class UtcDateTimeField(serializers.DateTimeField):
    """Reads any ISO-8601 datetime; writes UTC `...sssZ` regardless of the active time zone."""

    def to_representation(self, value):
        return iso(value)
