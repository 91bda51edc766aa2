"""Recurrence engine (decisions.md §4): weekly / biweekly occurrences on one or more weekdays, computed on the
wall clock of an IANA time zone (DST-correct) with dateutil's rrule, then stored as UTC instants.

Weekdays use the JS convention everywhere on the wire: 0=Sunday … 6=Saturday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import FR, MO, SA, SU, TH, TU, WE, WEEKLY, rrule

MAX_COUNT = 200
DEFAULT_COUNT = 10
MAX_END_YEARS = 2
INTERVAL = {"weekly": 1, "biweekly": 2}
# JS weekday (0=Sunday) -> dateutil weekday constant
_RRULE_DAY = {0: SU, 1: MO, 2: TU, 3: WE, 4: TH, 5: FR, 6: SA}


class RecurrenceError(ValueError):
    """Invalid recurrence input; the message is the client-facing text."""


def js_weekday(value: datetime | date) -> int:
    """Python weekday (Mon=0) -> JS weekday (Sun=0)."""
    return (value.weekday() + 1) % 7


def to_local(value: datetime, tz: str) -> datetime:
    return value.astimezone(ZoneInfo(tz))


def from_local_naive(value: datetime, tz: str) -> datetime:
    """A naive wall-clock time in `tz` -> aware UTC instant (ambiguous times take the first, gaps move forward)."""
    zone = ZoneInfo(tz)
    aware = value.replace(tzinfo=zone)
    # Round-trip to normalise a non-existent (DST gap) wall time to a real instant.
    return aware.astimezone(UTC)


@dataclass(frozen=True)
class Rule:
    frequency: str
    days_of_week: list[int]
    count: int | None
    end_date: date | None

    @property
    def max_occurrences(self) -> int | None:
        if self.count is not None:
            return self.count
        return None if self.end_date is not None else DEFAULT_COUNT


def build_rule(*, start: datetime, tz: str, frequency: str, days_of_week=None, count=None, end_date=None) -> Rule:
    """Validate a recurrence request against its first occurrence `start` (aware)."""
    if frequency not in INTERVAL:
        raise RecurrenceError("recurrence.frequency: must be one of none, weekly, biweekly")
    local_start = to_local(start, tz)
    days = sorted(set(days_of_week or [])) or [js_weekday(local_start)]
    if any(not isinstance(d, int) or d < 0 or d > 6 for d in days):
        raise RecurrenceError("recurrence.daysOfWeek: every day must be 0 (Sunday) … 6 (Saturday)")
    if count is not None and not (1 <= count <= MAX_COUNT):
        raise RecurrenceError(f"recurrence.count: must be between 1 and {MAX_COUNT}")
    if end_date is not None:
        if end_date < local_start.date():
            raise RecurrenceError("recurrence.endDate: must not be before the first lesson")
        if end_date > local_start.date() + relativedelta(years=MAX_END_YEARS):
            raise RecurrenceError(f"recurrence.endDate: at most {MAX_END_YEARS} years after the first lesson")
    if count is None and end_date is None:
        count = DEFAULT_COUNT
    return Rule(frequency=frequency, days_of_week=days, count=count, end_date=end_date)


def occurrences(*, start: datetime, tz: str, rule: Rule) -> list[datetime]:
    """UTC start times: `start` itself first, then every matching weekday at the same local time, until `count`
    lessons in total or the inclusive local `end_date` (whichever comes first)."""
    local_start = to_local(start, tz).replace(tzinfo=None)
    until = datetime.combine(rule.end_date, time.max) if rule.end_date is not None else None
    limit = rule.count if rule.count is not None else None
    kwargs = {"dtstart": local_start, "interval": INTERVAL[rule.frequency], "wkst": MO}
    if until is not None:
        kwargs["until"] = until  # `count` is enforced by the loop below (rrule forbids count + until)
    else:
        kwargs["count"] = (limit or DEFAULT_COUNT) + 1  # the first may be prepended below
    generated = rrule(WEEKLY, byweekday=[_RRULE_DAY[d] for d in rule.days_of_week], **kwargs)
    out: list[datetime] = [start.astimezone(UTC)]
    for naive in generated:
        if naive <= local_start:
            continue
        if limit is not None and len(out) >= limit:
            break
        out.append(from_local_naive(naive, tz))
    return out


def shift_wall_clock(value: datetime, tz: str, delta: timedelta) -> datetime:
    """Move an instant by a wall-clock offset in `tz` (10:00 stays 10:00 local across a DST change)."""
    naive = to_local(value, tz).replace(tzinfo=None) + delta
    return from_local_naive(naive, tz)


def wall_clock_delta(old: datetime, new: datetime, tz: str) -> timedelta:
    return to_local(new, tz).replace(tzinfo=None) - to_local(old, tz).replace(tzinfo=None)


def series_anchor(start: datetime, tz: str) -> tuple[int, str]:
    """(JS weekday, "HH:MM") of a start in the series' zone."""
    local = to_local(start, tz)
    return js_weekday(local), local.strftime("%H:%M")
