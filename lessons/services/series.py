"""Series operations behind lesson_update/lesson_delete: which lessons a scope selects, the student set of
many lessons at once, series defaults, and converting a single lesson into a recurring series."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import F, Q
from django.utils import timezone

from accounts.models import TeacherProfile
from lessons import recurrence as rec
from lessons.models import Lesson, LessonSeries, LessonStudent, SeriesStudent, WaitlistEntry
from tutorcal import events
from tutorcal.errors import DomainError

from ._common import (
    SERIES_SAFE,
    SERIES_SCOPES,
    _refund_rows,
    _row_terms,
    _tz,
    lock_in_order,
)


@dataclass
class SeriesResult:
    """A recurring create / convert-to-series result: the series and its lessons (first = the anchor)."""

    series: LessonSeries
    lessons: list[Lesson] = field(default_factory=list)


def _apply_student_set(
    *, lessons: list[Lesson], student_ids: list, price_rub: int | None, is_free: bool | None
) -> tuple[dict, list]:
    """Make each lesson's students exactly `student_ids`: keep existing rows (with their state), add new ones,
    remove the rest (refunding subscription lessons). Returns ({lesson_id: [added ids]}, [removed student ids])."""
    wanted = list(student_ids)
    lesson_by_id = {lesson.id: lesson for lesson in lessons}
    existing = lock_in_order(LessonStudent.objects.filter(lesson_id__in=list(lesson_by_id)))
    have: dict = {}
    for row in existing:
        have.setdefault(row.lesson_id, set()).add(row.student_id)
    to_remove = [row for row in existing if row.student_id not in set(wanted)]
    _refund_rows(to_remove)
    if to_remove:
        LessonStudent.objects.filter(id__in=[row.id for row in to_remove]).delete()
    added: dict = {}
    new_rows = []
    queued = []
    kept = Counter(
        row.lesson_id
        for row in existing
        if row.student_id in set(wanted) and row.attendance != LessonStudent.Attendance.CANCELLED
    )
    for lesson in lessons:
        free = lesson.is_free if is_free is None else is_free
        base = lesson.price_rub if price_rub is None else price_rub
        price, ptype = _row_terms(is_free=free, payment_type=None, price_rub=base)
        # Past the lesson's capacity, new students queue on its waitlist in the order given.
        seats = None if lesson.capacity is None else max(lesson.capacity - kept[lesson.id], 0)
        for sid in wanted:
            if sid not in have.get(lesson.id, set()):
                if seats is not None and seats <= 0:
                    queued.append(WaitlistEntry(lesson=lesson, student_id=sid))
                    continue
                if seats is not None:
                    seats -= 1
                new_rows.append(LessonStudent(lesson=lesson, student_id=sid, price_rub=price, payment_type=ptype))
                added.setdefault(lesson.id, []).append(sid)
    LessonStudent.objects.bulk_create(new_rows)
    WaitlistEntry.objects.bulk_create(queued, ignore_conflicts=True)
    # The tutor's list is the truth: whoever is not in it leaves the queues, and whoever got a seat too.
    WaitlistEntry.objects.filter(lesson__in=lessons).exclude(student_id__in=wanted).delete()
    seated = Q()
    for row in new_rows:
        seated |= Q(lesson_id=row.lesson_id, student_id=row.student_id)
    if new_rows:
        WaitlistEntry.objects.filter(seated).delete()
    return added, sorted({row.student_id for row in to_remove}, key=str)


def _normalise_rows_for_price(*, lesson_ids: list, old_free: dict, is_free: bool | None, price_rub: int | None):
    """Keep student rows in step with a lesson price / free change (B13):
    * becoming free: every row not paid by a subscription → price 0, paymentType free;
    * becoming paid: rows of type free → fixed at the new (or the lesson's) price;
    * a new price: fixed, unpaid rows that followed the lesson's old default take the new price.
    Must run BEFORE the lessons' own price is updated (it compares with the old default)."""
    rows = LessonStudent.objects.filter(lesson_id__in=lesson_ids)
    if is_free is True:
        rows.filter(paid_from_subscription=False).exclude(payment_type=LessonStudent.PaymentType.SUBSCRIPTION).update(
            price_rub=0, payment_type=LessonStudent.PaymentType.FREE, updated_at=timezone.now()
        )
        return
    if is_free is False:
        was_free = [lid for lid, free in old_free.items() if free]
        if was_free:
            target = rows.filter(lesson_id__in=was_free, payment_type=LessonStudent.PaymentType.FREE)
            if price_rub is not None:
                target.update(
                    price_rub=price_rub, payment_type=LessonStudent.PaymentType.FIXED, updated_at=timezone.now()
                )
            else:
                target.update(payment_type=LessonStudent.PaymentType.FIXED, updated_at=timezone.now())
    if price_rub is not None:
        rows.filter(
            payment_type=LessonStudent.PaymentType.FIXED,
            payment_status=LessonStudent.PaymentStatus.UNPAID,
            price_rub=F("lesson__price_rub"),
        ).update(price_rub=price_rub, updated_at=timezone.now())


def _series_targets(*, lesson: Lesson, scope: str) -> list[Lesson]:
    """Lessons of the series a `future|all` op touches: never past done/cancelled ones (the anchor is always in)."""
    qs = Lesson.objects.filter(series_id=lesson.series_id, teacher_id=lesson.teacher_id)
    if scope == "future":
        qs = qs.filter(start_at__gte=lesson.start_at)
    now = timezone.now()
    locked = sorted(lock_in_order(qs), key=lambda x: (x.start_at, x.id))  # locked by id, returned by time
    return [
        lesson if x.id == lesson.id else x
        for x in locked
        if x.id == lesson.id or not (x.status != Lesson.Status.PLANNED and x.start_at < now)
    ]


def _validate_scope(apply_to_series: str | None) -> str:
    scope = apply_to_series or "this"
    if scope not in SERIES_SCOPES:
        raise DomainError("INVALID_APPLY_TO_SERIES")
    return scope


def _update_series_defaults(*, lesson: Lesson, scope: str, safe: dict, data: dict, tz: str, moved: bool) -> None:
    if lesson.series_id is None:  # callers pass lessons of a series only
        return
    series = LessonSeries.objects.select_for_update().get(id=lesson.series_id)
    fields = ["updated_at"]
    for key, value in safe.items():
        setattr(series, key, value)
        fields.append(key)
    if moved:
        old_day = series.day_of_week
        day, time_of_day = rec.series_anchor(lesson.start_at, series.timezone or tz)
        shift = (day - old_day) % 7
        series.days_of_week = sorted({(d + shift) % 7 for d in (series.days_of_week or [old_day])})
        series.day_of_week = day
        series.time_of_day = time_of_day
        fields += ["days_of_week", "day_of_week", "time_of_day"]
    series.save(update_fields=fields)
    if "student_ids" in data:
        wanted = data["student_ids"]
        SeriesStudent.objects.filter(series=series).exclude(student_id__in=wanted).delete()
        have = set(SeriesStudent.objects.filter(series=series).values_list("student_id", flat=True))
        price, _ = _row_terms(is_free=series.is_free, payment_type=None, price_rub=series.price_rub)
        SeriesStudent.objects.bulk_create(
            [SeriesStudent(series=series, student_id=sid, price_rub=price) for sid in wanted if sid not in have]
        )


def _convert_to_series(*, teacher: TeacherProfile, lesson: Lesson, data: dict, actor: str) -> SeriesResult:
    """Reference §3.4 with B9 fixed: the new lessons copy the lesson's fields and students (state reset)."""
    tz = _tz(teacher)
    recurrence = data["recurrence"]
    start_at = data.get("start_at", lesson.start_at)
    try:
        rule = rec.build_rule(
            start=start_at,
            tz=tz,
            frequency=recurrence["frequency"],
            days_of_week=recurrence.get("days_of_week"),
            count=recurrence.get("count"),
            end_date=recurrence.get("end_date"),
        )
    except rec.RecurrenceError as exc:
        raise DomainError("VALIDATION_FAILED", messages=[str(exc)]) from None
    for key in SERIES_SAFE:
        if key in data:
            setattr(lesson, key, data[key])
    if lesson.is_free:
        lesson.price_rub = 0
    for key in ("teacher_note", "rescheduled_to"):
        if key in data:
            setattr(lesson, key, data[key])
    moved = start_at != lesson.start_at
    previous = lesson.start_at
    lesson.start_at = start_at
    now = timezone.now()
    if "teacher_note" in data:
        lesson.teacher_note_updated_at = now

    if "student_ids" in data:
        _apply_student_set(lessons=[lesson], student_ids=data["student_ids"], price_rub=None, is_free=lesson.is_free)
    rows = list(LessonStudent.objects.filter(lesson_id=lesson.id).order_by("created_at", "id"))

    day, time_of_day = rec.series_anchor(start_at, tz)
    series = LessonSeries.objects.create(
        teacher=teacher,
        subject_id=lesson.subject_id,
        frequency=rule.frequency,
        days_of_week=rule.days_of_week,
        day_of_week=day,
        time_of_day=time_of_day,
        timezone=tz,
        duration_minutes=lesson.duration_minutes,
        price_rub=lesson.price_rub,
        is_free=lesson.is_free,
        meeting_url=lesson.meeting_url,
        end_date=rule.end_date,
        max_occurrences=rule.max_occurrences,
    )
    SeriesStudent.objects.bulk_create(
        [SeriesStudent(series=series, student_id=row.student_id, price_rub=row.price_rub) for row in rows]
    )
    lesson.series = series
    lesson.updated_at = now
    lesson.save()
    new_lessons = [
        Lesson(
            id=uuid.uuid4(),
            series=series,
            teacher=teacher,
            subject_id=lesson.subject_id,
            start_at=when,
            duration_minutes=lesson.duration_minutes,
            price_rub=lesson.price_rub,
            is_free=lesson.is_free,
            teacher_note=lesson.teacher_note,
            meeting_url=lesson.meeting_url,
            created_at=now,
            updated_at=now,
        )
        for when in rec.occurrences(start=start_at, tz=tz, rule=rule)[1:]
    ]
    Lesson.objects.bulk_create(new_lessons)
    LessonStudent.objects.bulk_create(
        [
            LessonStudent(
                lesson=new,
                student_id=row.student_id,
                price_rub=row.price_rub,
                payment_type=row.payment_type,
                reminder_minutes_before=row.reminder_minutes_before,
            )
            for new in new_lessons
            for row in rows
        ]
    )
    events.announce(
        events.lesson_updated,
        lesson_ids=[lesson.id],
        teacher_id=teacher.id,
        actor=actor,
        moved=moved,
        previous_start={lesson.id: previous} if moved else None,
    )
    if new_lessons:
        events.announce(
            events.lesson_created, lesson_ids=[x.id for x in new_lessons], teacher_id=teacher.id, actor=actor
        )
    return SeriesResult(series=series, lessons=[lesson, *new_lessons])
