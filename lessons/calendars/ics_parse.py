"""ICS text -> source events in a time window (reference §3.12, with B18/B19 fixed).

icalendar parses; recurring-ical-events expands RRULE/RDATE and applies EXDATE, RECURRENCE-ID overrides and
VTIMEZONE/TZID. Floating times and all-day dates are read on the teacher's wall clock. Before expanding, every
RRULE is costed analytically so a "bomb" (10^6 occurrences, a SECONDLY rule, a rule started in year 1) is
refused in microseconds instead of being iterated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from tutorcal.errors import DomainError

from .. import recurrence as rec

MAX_BYTES = 2 * 1024 * 1024
MAX_EVENTS = 2000
# Upper bound of rule steps (from DTSTART to the window's end, over every RRULE) we agree to iterate.
MAX_RULE_STEPS = 50_000
MAX_WINDOW_DAYS = 731
DEFAULT_TITLE = "Без названия"
_PERIOD_DAYS = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 28, "YEARLY": 365}
_BYDAY_JS = {"SU": 0, "MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6}


@dataclass
class SourceEvent:
    uid: str  # wire uid: the UID, or "<UID>_<occurrence ISO>" for an occurrence of a recurring event
    source_uid: str
    occurrence: str  # ISO of the original start (RECURRENCE-ID) for recurring events, "" otherwise
    title: str
    start: datetime  # aware
    end: datetime
    description: str | None = None
    location: str | None = None
    all_day: bool = False
    is_recurring: bool = False

    @property
    def duration_minutes(self) -> int:
        # Reference §9.9: 30.5 minutes -> 31 (half up, not banker's rounding).
        return max(1, int((self.end - self.start).total_seconds() / 60 + 0.5))

    @property
    def meeting_url(self) -> str | None:
        loc = (self.location or "").strip()
        if not loc.lower().startswith(("http://", "https://")) or any(ch.isspace() for ch in loc) or len(loc) > 500:
            return None  # "Skype: …", free text or something that is not one URL stays in the description only
        return loc


@dataclass
class SeriesRule:
    """How a recurring source event maps onto our recurrence engine (weekly/biweekly with its real days)."""

    frequency: str | None  # "weekly" | "biweekly" | None (the rule is not expressible: lessons stay one-offs)
    days_of_week: list[int] = field(default_factory=list)


@dataclass
class ParsedCalendar:
    events: list[SourceEvent]
    rules: dict[str, SeriesRule]

    @property
    def has_recurring(self) -> bool:
        return any(e.is_recurring for e in self.events)


def iso_ms(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _invalid(detail: str) -> DomainError:
    return DomainError("ICS_INVALID", messages=[f"ICS_INVALID: {detail}"])


def _as_aware(value, zone: ZoneInfo) -> tuple[datetime, bool]:
    """A DTSTART/DTEND value -> (aware datetime, all_day). Dates and floating times use `zone`."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)), False
    if isinstance(value, date):
        return datetime.combine(value, time.min, tzinfo=zone), True
    raise _invalid("DTSTART is neither a date nor a date-time")


def _rule_of(component) -> SeriesRule:
    rrule = component.get("RRULE")
    if rrule is None or isinstance(rrule, list):
        return SeriesRule(None)
    freq = (rrule.get("FREQ") or [""])[0]
    interval = int((rrule.get("INTERVAL") or [1])[0])
    other = set(rrule) - {"FREQ", "INTERVAL", "BYDAY", "COUNT", "UNTIL", "WKST"}
    if freq != "WEEKLY" or interval not in (1, 2) or other:
        return SeriesRule(None)
    days = []
    for value in rrule.get("BYDAY") or []:
        code = str(value)[-2:].upper()
        if code not in _BYDAY_JS or len(str(value)) > 2:  # "1MO" style ordinals are not weekly days
            return SeriesRule(None)
        days.append(_BYDAY_JS[code])
    return SeriesRule("weekly" if interval == 1 else "biweekly", sorted(set(days)))


def _rule_steps(component, window_end: datetime, zone: ZoneInfo) -> int:
    """An upper bound of the occurrences dateutil will iterate for this RRULE up to the window's end."""
    rules = component.get("RRULE")
    if rules is None:
        return 0
    steps = 0
    for rrule in rules if isinstance(rules, list) else [rules]:
        freq = (rrule.get("FREQ") or [""])[0]
        if freq not in _PERIOD_DAYS:
            raise _invalid(f"recurrence FREQ={freq or '?'} is not supported (at most one lesson a day per rule)")
        start, _ = _as_aware(component.decoded("DTSTART"), zone)
        interval = max(1, int((rrule.get("INTERVAL") or [1])[0]))
        days = max(0.0, (window_end - start).total_seconds() / 86400)
        per_period = 1
        for part in ("BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYHOUR", "BYMINUTE", "BYSECOND"):
            per_period *= max(1, len(rrule.get(part) or []))
        bound = (days / (_PERIOD_DAYS[freq] * interval) + 1) * per_period
        count = rrule.get("COUNT")
        if count:
            bound = min(bound, int(count[0]))
        steps += int(bound)
    return steps


def _text(component, name: str) -> str | None:
    value = component.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_ics(data: bytes | str, *, start: datetime, end: datetime, tz: str) -> ParsedCalendar:
    """Every VEVENT occurrence starting in [start, end] (inclusive), sorted by start. Raises DomainError
    ICS_INVALID (unreadable text, unsupported or explosive rules) or ICS_TOO_MANY_EVENTS."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise DomainError("ICS_TOO_LARGE")
    zone = ZoneInfo(tz)
    try:
        calendar = icalendar.Calendar.from_ical(raw)
    except Exception as exc:  # icalendar raises ValueError, KeyError, IndexError… on malformed text
        raise _invalid(f"the file is not an iCalendar (RFC 5545) text ({str(exc)[:120]})") from None
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        raise _invalid("the file does not start with BEGIN:VCALENDAR")

    recurring_uids: set[str] = set()
    rules: dict[str, SeriesRule] = {}
    steps = 0
    try:
        for component in calendar.walk("VEVENT"):
            uid = _text(component, "UID")
            if uid is None or component.get("DTSTART") is None:
                continue
            if component.get("RECURRENCE-ID") is not None:
                recurring_uids.add(uid)
            if component.get("RRULE") is not None or component.get("RDATE") is not None:
                recurring_uids.add(uid)
                rules[uid] = _rule_of(component)
                steps += _rule_steps(component, end, zone)
    except DomainError:
        raise
    except Exception as exc:
        raise _invalid(f"an event could not be read ({str(exc)[:120]})") from None
    if steps > MAX_RULE_STEPS:
        raise DomainError("ICS_TOO_MANY_EVENTS")

    try:
        expanded = recurring_ical_events.of(calendar).between(start, end + timedelta(seconds=1))
    except DomainError:
        raise
    except Exception as exc:
        raise _invalid(f"the recurrences could not be expanded ({str(exc)[:120]})") from None
    if len(expanded) > MAX_EVENTS:
        raise DomainError("ICS_TOO_MANY_EVENTS")
    events = list(_events(expanded, recurring_uids, zone, start, end))
    events.sort(key=lambda e: (e.start, e.uid))
    return ParsedCalendar(events=events, rules=rules)


def _events(components: Iterable, recurring_uids: set[str], zone: ZoneInfo, start: datetime, end: datetime):
    seen: set[str] = set()
    for component in components:
        uid = _text(component, "UID")
        if uid is None or str(component.get("STATUS", "")).upper() == "CANCELLED":
            continue
        try:
            begin, all_day = _as_aware(component.decoded("DTSTART"), zone)
            if component.get("DTEND") is not None:
                finish, _ = _as_aware(component.decoded("DTEND"), zone)
            elif component.get("DURATION") is not None:
                finish = begin + component.decoded("DURATION")
            else:
                finish = begin + (timedelta(days=1) if all_day else timedelta(0))
        except DomainError:
            raise
        except Exception:  # noqa: S112 - icalendar raises many types; one unreadable event does not sink the file
            continue
        if finish <= begin or not (start <= begin <= end):
            continue
        recurring = uid in recurring_uids
        occurrence = ""
        wire_uid = uid
        if recurring:
            original = component.get("RECURRENCE-ID")
            origin = _as_aware(original.dt, zone)[0] if original is not None else begin
            occurrence = iso_ms(origin)
            wire_uid = f"{uid}_{occurrence}"
        if wire_uid in seen:
            continue
        seen.add(wire_uid)
        yield SourceEvent(
            uid=wire_uid,
            source_uid=uid,
            occurrence=occurrence,
            title=(_text(component, "SUMMARY") or DEFAULT_TITLE)[:255],
            start=begin,
            end=finish,
            description=_text(component, "DESCRIPTION"),
            location=_text(component, "LOCATION"),
            all_day=all_day,
            is_recurring=recurring,
        )


def local_days(events: list[SourceEvent], tz: str) -> list[int]:
    return sorted({rec.js_weekday(rec.to_local(e.start, tz)) for e in events})
