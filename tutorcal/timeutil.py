"""Wire format helpers: ISO-8601 UTC with milliseconds and a Z, as the reference frontend expects."""

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class UtcDateTimeField(serializers.DateTimeField):
    """Reads an ISO-8601 datetime within the supported years (a naive one in the active zone, e.g. the teacher's);
    writes UTC `...sssZ` whatever the active zone."""

    def to_internal_value(self, value):
        try:
            parsed = super().to_internal_value(value)
        except OverflowError:  # a naive year-1 datetime made aware in a zone east of UTC
            self.fail("invalid", format="ISO-8601")
        return validate_supported(parsed)

    def to_representation(self, value):
        return iso(value)


# Instants the service accepts from clients. Outside this window date arithmetic (a day's end, a zone's
# offset, a 24 h look-behind) can overflow datetime, and no lesson is ever there.
MIN_YEAR, MAX_YEAR = 1970, 2100


def in_supported_range(value) -> bool:
    """True for a date/datetime whose year is within [MIN_YEAR, MAX_YEAR]."""
    return MIN_YEAR <= value.year <= MAX_YEAR


def validate_supported(value):
    """Serializer validator: 400 for dates outside the supported years (instead of an overflow later)."""
    if value is not None and not in_supported_range(value):
        raise serializers.ValidationError(f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
    return value


def parse_moment(value) -> date | datetime | None:
    """A range bound from a query string: "YYYY-MM-DD" → date, an ISO datetime → datetime (naive stays naive;
    the caller decides its zone), anything else or outside the supported years → None."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = parse_date(value) if len(value) == 10 else parse_datetime(value)
    except ValueError:
        return None
    return parsed if parsed is not None and in_supported_range(parsed) else None


def day_bounds(day: date, zone: tzinfo, *, end: bool) -> datetime:
    """A date as a range bound means the whole day in `zone`: its first instant, or its last for `end`."""
    if end:
        return datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone) - timedelta(microseconds=1)
    return datetime.combine(day, time.min, tzinfo=zone)


# Every date-range list is capped (decisions §2): no request reads more than this many days of lessons.
MAX_RANGE_DAYS = 400
# A list asked without any bound reads the window that ends this far ahead of now (and starts MAX_RANGE_DAYS
# before that), so "every lesson ever" is never one request.
DEFAULT_AHEAD = timedelta(days=60)


def moment_bound(value: date | datetime, zone: tzinfo, *, end: bool) -> datetime:
    """A parsed range bound as an instant: a date is the whole day in `zone` (its last instant for `end`), a
    naive datetime is wall-clock time in `zone` — the user's own zone, for tutors, students and parents alike."""
    if not isinstance(value, datetime):
        return day_bounds(value, zone, end=end)
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def range_bounds(
    start: date | datetime | None, end: date | datetime | None, *, zone: tzinfo, now: datetime
) -> tuple[datetime, datetime]:
    """The one range rule of every list: bounds resolved in the user's zone; a missing bound is filled so the
    range spans MAX_RANGE_DAYS (no bound at all: the MAX_RANGE_DAYS ending DEFAULT_AHEAD from now);
    400 INVALID_DATE_RANGE when `end` is before `start`, 400 RANGE_TOO_LARGE past the cap."""
    from .errors import DomainError

    span = timedelta(days=MAX_RANGE_DAYS)
    lo = moment_bound(start, zone, end=False) if start is not None else None
    hi = moment_bound(end, zone, end=True) if end is not None else None
    if hi is None:
        hi = lo + span if lo is not None else now + DEFAULT_AHEAD
    if lo is None:
        lo = hi - span
    if hi < lo:
        raise DomainError("INVALID_DATE_RANGE")
    if hi - lo > span:
        raise DomainError("RANGE_TOO_LARGE")
    return lo, hi
