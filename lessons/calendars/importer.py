"""Import preview and import of calendar events into lessons (reference §2.6, §3.12, with B17–B19 fixed).

* Re-importing is idempotent: a lesson remembers (import source, source UID, original occurrence start);
  an event already imported is updated when its time changed and the lesson is still planned, else skipped.
* The whole import is one transaction, serialised per tutor (the tutor's row is locked).
* A recurring source event whose rule is weekly/biweekly becomes one series of our recurrence engine with its
  real weekdays; the lessons are the source's real occurrences (EXDATE and moved occurrences respected).
* Unlinked students refuse the whole request (403 STUDENT_NOT_LINKED); a foreign or archived subject skips
  its events with a readable error; auto-created subjects get unique codes (B17).
* No per-lesson notifications: one `calendar_imported` event (botapp sends one summary to the tutor).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from accounts.models import TeacherProfile
from tutorcal import events as domain_events
from tutorcal.errors import DomainError
from tutorcal.timeutil import day_bounds

from .. import recurrence as rec
from ..models import Lesson, LessonSeries, LessonStudent, SeriesStudent, Subject
from ..roster.selectors.links import linked_student_ids
from ..services.subjects import subject_code_from_name
from .ics_parse import MAX_WINDOW_DAYS, ParsedCalendar, SeriesRule, SourceEvent, iso_ms, parse_ics

SOURCE_REQUIRED = "Укажите URL или содержимое файла"
PALETTE = ["#2563EB", "#7C3AED", "#DB2777", "#DC2626", "#EA580C", "#CA8A04", "#16A34A", "#0891B2"]
DEFAULT_HORIZON_DAYS = 365


def teacher_tz(teacher: TeacherProfile) -> str:
    return teacher.user.timezone or "Europe/Moscow"


def window(*, teacher: TeacherProfile, from_date=None, to_date=None) -> tuple[datetime, datetime]:
    """[from, to] in the tutor's zone: dates mean whole days; defaults today … today+365 days."""
    zone = ZoneInfo(teacher_tz(teacher))
    today = timezone.localdate(timezone=zone)
    start = day_bounds(from_date or today, zone, end=False)
    end = day_bounds(to_date or (today + timedelta(days=DEFAULT_HORIZON_DAYS)), zone, end=True)
    if end < start:
        raise DomainError("INVALID_DATE_RANGE")
    if end - start > timedelta(days=MAX_WINDOW_DAYS):
        raise DomainError("RANGE_TOO_LARGE")
    return start, end


def load_source(*, url: str | None, content: str | None) -> bytes:
    if content:
        return content.encode()
    if url:
        from .fetch import fetch_calendar

        return fetch_calendar(url)
    raise DomainError(SOURCE_REQUIRED)


def parse_source(*, teacher: TeacherProfile, url=None, content=None, from_date=None, to_date=None) -> ParsedCalendar:
    start, end = window(teacher=teacher, from_date=from_date, to_date=to_date)
    return parse_ics(load_source(url=url, content=content), start=start, end=end, tz=teacher_tz(teacher))


# ---------------------------------------------------------------------------------------------- preview


def _suggest(title: str, subjects: list[Subject]) -> Subject | None:
    needle = title.lower()
    for subject in subjects:
        name = subject.name.lower()
        if name and (name in needle or needle in name):
            return subject
    return None


def preview_json(*, teacher: TeacherProfile, events: list[SourceEvent], source: str) -> dict:
    """The reference's preview shape (+ allDay and alreadyImported). Three queries whatever the size."""
    subjects = list(Subject.objects.filter(teacher_id=teacher.id, archived_at__isnull=True).order_by("created_at"))
    imported = _existing(teacher=teacher, source=source, uids={e.source_uid for e in events})
    out = []
    for event in events:
        item = {
            "uid": event.uid,
            "title": event.title,
            "startAt": iso_ms(event.start),
            "endAt": iso_ms(event.end),
            "durationMinutes": event.duration_minutes,
            "isRecurring": event.is_recurring,
            "allDay": event.all_day,
            "alreadyImported": (event.source_uid, event.occurrence) in imported,
        }
        if event.description:
            item["description"] = event.description
        if event.location:
            item["location"] = event.location
        suggested = _suggest(event.title, subjects)
        if suggested is not None:
            item["suggestedSubjectId"] = str(suggested.id)
            item["suggestedSubjectName"] = suggested.name
        if event.is_recurring:
            item["originalUid"] = event.source_uid
        out.append(item)
    return {
        "events": out,
        "subjects": [{"id": str(s.id), "name": s.name} for s in subjects],
        "totalEvents": len(events),
        "hasRecurringEvents": any(e.is_recurring for e in events),
    }


# ---------------------------------------------------------------------------------------------- import


@dataclass
class ImportResult:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    series_created: int = 0
    errors: list[str] = field(default_factory=list)
    lesson_ids: list[uuid.UUID] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "skipped": self.skipped,
            "errors": self.errors,
            "seriesCreated": self.series_created,
        }


def _existing(*, teacher: TeacherProfile, source: str, uids: set[str]) -> dict[tuple[str, str], Lesson]:
    if not uids:
        return {}
    rows = Lesson.objects.filter(teacher_id=teacher.id, import_source=source, source_uid__in=list(uids)).only(
        "id", "series_id", "start_at", "duration_minutes", "status", "source_uid", "source_occurrence"
    )
    return {(x.source_uid, x.source_occurrence): x for x in rows}


class _Subjects:
    """The tutor's subjects, loaded once; auto-created ones get a unique name match and a unique code."""

    def __init__(self, teacher: TeacherProfile):
        self.teacher = teacher
        self.all = list(Subject.objects.select_for_update().filter(teacher_id=teacher.id))
        self.codes = {s.code for s in self.all}
        self.by_id = {s.id: s for s in self.all}
        self.created = 0

    def explicit(self, subject_id) -> Subject | None:
        subject = self.by_id.get(subject_id)
        return subject if subject is not None and subject.archived_at is None else None

    def auto(self, name: str) -> Subject:
        wanted = name.strip().lower()
        for subject in self.all:
            if subject.name.lower() == wanted:
                if subject.archived_at is not None:  # the tutor is bringing this subject back
                    subject.archived_at = None
                    subject.save(update_fields=["archived_at", "updated_at"])
                return subject
        base = subject_code_from_name(name) or "imp"
        code, n = base, 2
        while code in self.codes:
            suffix = f"_{n}"
            code, n = base[: 50 - len(suffix)] + suffix, n + 1
        color = PALETTE[(len(self.all) + self.created) % len(PALETTE)]
        subject = Subject.objects.create(teacher=self.teacher, name=name.strip()[:100], code=code, color_hex=color)
        self.created += 1
        self.all.append(subject)
        self.codes.add(code)
        self.by_id[subject.id] = subject
        return subject


def _as_uuid(value) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def import_events(
    *, teacher: TeacherProfile, parsed: ParsedCalendar, requests: list[dict], source: str
) -> ImportResult:
    """requests: [{uid, subject_id?, auto_create_subject?, student_ids?, price_rub?}] (validated)."""
    tz = teacher_tz(teacher)
    by_uid = {e.uid: e for e in parsed.events}
    result = ImportResult()
    groups: dict[str, list[tuple[SourceEvent, dict]]] = {}
    seen: set[str] = set()
    for request in requests:
        uid = request["uid"]
        if uid in seen:
            continue
        seen.add(uid)
        event = by_uid.get(uid)
        if event is None:
            result.errors.append(f"Событие {uid} не найдено")
            result.skipped += 1
            continue
        key = event.source_uid if event.is_recurring else f"single:{event.uid}"
        groups.setdefault(key, []).append((event, request))

    wanted_students = {sid for _, r in (p for g in groups.values() for p in g) for sid in r.get("student_ids") or []}
    with transaction.atomic():
        TeacherProfile.objects.select_for_update().filter(id=teacher.id).first()  # one import at a time per tutor
        if wanted_students and linked_student_ids(teacher_id=teacher.id, student_ids=wanted_students) != set(
            wanted_students
        ):
            raise DomainError("STUDENT_NOT_LINKED")
        subjects = _Subjects(teacher)
        existing = _existing(teacher=teacher, source=source, uids={e.source_uid for g in groups.values() for e, _ in g})
        plan = _Plan(teacher=teacher, tz=tz, source=source)
        for members in groups.values():
            first_event, settings = members[0]
            subject_id = _as_uuid(settings.get("subject_id"))
            subject = None
            if subject_id is not None:
                subject = subjects.explicit(subject_id)
                if subject is None:
                    result.errors.append(f'Предмет не найден для "{first_event.title}"')
                    result.skipped += len(members)
                    continue
            elif settings.get("auto_create_subject"):
                subject = subjects.auto(first_event.title)
            fresh = []
            for event, _ in members:
                lesson = existing.get((event.source_uid, event.occurrence))
                if lesson is None:
                    fresh.append(event)
                elif plan.refresh(lesson, event):
                    result.updated += 1
                else:
                    result.skipped += 1
            if not fresh:
                continue
            rule = parsed.rules.get(first_event.source_uid) if first_event.is_recurring else None
            series_id = next(
                (x.series_id for (uid, _), x in existing.items() if uid == first_event.source_uid and x.series_id),
                None,
            )
            result.series_created += plan.add(
                events=fresh, settings=settings, subject=subject, rule=rule, series_id=series_id
            )
            result.imported += len(fresh)
        plan.flush()
        result.lesson_ids = [x.id for x in plan.lessons]
        domain_events.announce(
            domain_events.calendar_imported,
            teacher_id=teacher.id,
            lesson_ids=result.lesson_ids,
            imported=result.imported,
            updated=result.updated,
            series_created=result.series_created,
            source=source,
        )
    return result


class _Plan:
    """Rows to write, collected per group and written with a handful of bulk statements."""

    def __init__(self, *, teacher: TeacherProfile, tz: str, source: str):
        self.teacher, self.tz, self.source = teacher, tz, source
        self.now = timezone.now()
        self.series: list[LessonSeries] = []
        self.series_students: list[SeriesStudent] = []
        self.lessons: list[Lesson] = []
        self.rows: list[LessonStudent] = []
        self.changed: list[Lesson] = []

    def refresh(self, lesson: Lesson, event: SourceEvent) -> bool:
        """An already imported occurrence: follow a moved time while the lesson is still planned."""
        if lesson.status != Lesson.Status.PLANNED:
            return False
        if lesson.start_at == event.start and lesson.duration_minutes == event.duration_minutes:
            return False
        lesson.start_at, lesson.duration_minutes, lesson.updated_at = event.start, event.duration_minutes, self.now
        self.changed.append(lesson)
        return True

    def add(self, *, events, settings, subject, rule: SeriesRule | None, series_id) -> int:
        price = int(settings.get("price_rub") or 0)
        is_free = price == 0
        student_ids = list(dict.fromkeys(settings.get("student_ids") or []))
        row_type = LessonStudent.PaymentType.FREE if is_free else LessonStudent.PaymentType.FIXED
        created = 0
        if series_id is None and rule is not None and rule.frequency and len(events) > 1:
            first, last = events[0], events[-1]
            day, time_of_day = rec.series_anchor(first.start, self.tz)
            days = sorted({rec.js_weekday(rec.to_local(e.start, self.tz)) for e in events})
            series = LessonSeries(
                id=uuid.uuid4(),
                teacher=self.teacher,
                subject=subject,
                frequency=rule.frequency,
                days_of_week=days,
                day_of_week=day,
                time_of_day=time_of_day,
                timezone=self.tz,
                duration_minutes=first.duration_minutes,
                price_rub=price,
                is_free=is_free,
                meeting_url=first.meeting_url,
                end_date=rec.to_local(last.start, self.tz).date(),
                max_occurrences=len(events),
                created_at=self.now,
                updated_at=self.now,
            )
            self.series.append(series)
            self.series_students += [SeriesStudent(series=series, student_id=s, price_rub=price) for s in student_ids]
            series_id = series.id
            created = 1
        for event in events:
            lesson = Lesson(
                id=uuid.uuid4(),
                teacher=self.teacher,
                series_id=series_id,
                subject=subject,
                start_at=event.start,
                duration_minutes=event.duration_minutes,
                price_rub=price,
                is_free=is_free,
                teacher_note=(event.description or None) and event.description[:5000],
                meeting_url=event.meeting_url,
                import_source=self.source,
                source_uid=event.source_uid,
                source_occurrence=event.occurrence,
                created_at=self.now,
                updated_at=self.now,
            )
            self.lessons.append(lesson)
            self.rows += [
                LessonStudent(lesson=lesson, student_id=s, price_rub=price, payment_type=row_type) for s in student_ids
            ]
        return created

    def flush(self) -> None:
        LessonSeries.objects.bulk_create(self.series)
        SeriesStudent.objects.bulk_create(self.series_students)
        Lesson.objects.bulk_create(self.lessons, batch_size=500)
        LessonStudent.objects.bulk_create(self.rows, batch_size=500)
        if self.changed:
            Lesson.objects.bulk_update(self.changed, ["start_at", "duration_minutes", "updated_at"], batch_size=500)
