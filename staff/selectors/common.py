"""Date ranges and time buckets shared by the dashboards and the admin API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from tutorcal.errors import DomainError

MAX_RANGE_DAYS = 400
# Bucket size -> the longest range it may cover (keeps every chart ≤ ~1,500 points).
MAX_DAYS_BY_INTERVAL = {"minute": 1, "hour": 62, "day": MAX_RANGE_DAYS}


def tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class DateRange:
    """Calendar days [start, end] in the service's zone (TIME_ZONE); `since`/`until` the half-open instants."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=tz())

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz())

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def date_range(start: date, end: date, *, max_days: int = MAX_RANGE_DAYS) -> DateRange:
    if start > end:
        raise DomainError("INVALID_DATE_RANGE")
    if (end - start).days + 1 > max_days:
        raise DomainError("RANGE_TOO_LARGE")
    return DateRange(start, end)


def today() -> date:
    return datetime.now(tz()).date()


def last_days(n: int) -> DateRange:
    end = today()
    return DateRange(end - timedelta(days=n - 1), end)
