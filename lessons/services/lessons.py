"""Lesson writes: create (single, recurring, group), update (one lesson or a series scope), delete.
Every public function is one transaction; events are announced inside it (tutorcal.events).

Callers pass already-validated values (the DRF serializers in lessons/serializers.py, or the bot)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import TeacherProfile
from lessons import recurrence as rec
from lessons.models import Lesson, LessonSeries, LessonStudent, SeriesStudent, WaitlistEntry
from subscriptions.credits import credits_spend, credits_unspend
from tutorcal import events
from tutorcal.errors import DomainError

from ._common import (
    ACTOR,
    SERIES_SAFE,
    _check_linked,
    _check_subject,
    _lesson_for_update,
    _new_rows,
    _refund_rows,
    _row_terms,
    _snapshots,
    _tz,
    _unique,
    lock_in_order,
)
from .bulk import insert_rows
from .cancel_policy import teacher_cancel_outcomes
from .series import (
    SeriesResult,
    _apply_student_set,
    _convert_to_series,
    _normalise_rows_for_price,
    _series_targets,
    _update_series_defaults,
    _validate_scope,
)
from .waitlist import capacity_check, waitlist_promote


def lesson_create(
    *,
    teacher: TeacherProfile,
    start_at: datetime,
    duration_minutes: int,
    student_ids: list | None = None,
    subject_id=None,
    price_rub: int = 0,
    is_free: bool = False,
    payment_type: str | None = None,
    teacher_note: str | None = None,
    reminder_minutes_before: int | None = None,
    meeting_url: str | None = None,
    recurrence: dict | None = None,
    import_source: str | None = None,
    capacity: int | None = None,
    actor: str = ACTOR,
) -> Lesson | SeriesResult:
    """One lesson, or a recurring series generated in the teacher's zone (one transaction, bulk inserts).
    With a `capacity`, students past it wait on each lesson's waitlist in the order given."""
    student_ids = _unique(student_ids)
    waiting = student_ids[capacity:] if capacity is not None else []
    student_ids = student_ids[:capacity] if capacity is not None else student_ids
    price_rub = price_rub or 0
    is_free = bool(is_free) or payment_type == LessonStudent.PaymentType.FREE
    if is_free:
        price_rub = 0
    row_price, row_type = _row_terms(is_free=is_free, payment_type=payment_type, price_rub=price_rub)
    students = [(sid, row_price, row_type) for sid in student_ids]
    tz = _tz(teacher)
    recurrence = recurrence or {}
    frequency = recurrence.get("frequency") or "none"
    if row_type == LessonStudent.PaymentType.MAKEUP and (frequency != "none" or not student_ids):
        raise DomainError("VALIDATION_FAILED", messages=["paymentType makeup: one-off lessons with students only"])
    rule = None
    if frequency != "none":
        try:
            rule = rec.build_rule(
                start=start_at,
                tz=tz,
                frequency=frequency,
                days_of_week=recurrence.get("days_of_week"),
                count=recurrence.get("count"),
                end_date=recurrence.get("end_date"),
            )
        except rec.RecurrenceError as exc:
            raise DomainError("VALIDATION_FAILED", messages=[str(exc)]) from None

    with transaction.atomic():
        _check_linked(teacher=teacher, student_ids=[*student_ids, *waiting])
        _check_subject(teacher=teacher, subject_id=subject_id)
        common = dict(
            teacher=teacher,
            subject_id=subject_id,
            duration_minutes=duration_minutes,
            price_rub=price_rub,
            is_free=is_free,
            teacher_note=teacher_note,
            meeting_url=meeting_url,
            import_source=import_source,
            capacity=capacity,
        )
        if rule is None:
            lesson = Lesson.objects.create(start_at=start_at, **common)
            rows = _new_rows([lesson], students, reminder_minutes_before)
            if row_type == LessonStudent.PaymentType.MAKEUP:
                # Each student pays with one make-up credit, all or nothing (409 NO_MAKEUP_CREDITS).
                spent = credits_spend(teacher_id=teacher.id, student_ids=student_ids, lesson_id=lesson.id)
                for row in rows:
                    row.credit_spent = spent[row.student_id]
                    row.payment_status = LessonStudent.PaymentStatus.PAID
            LessonStudent.objects.bulk_create(rows)
            WaitlistEntry.objects.bulk_create([WaitlistEntry(lesson=lesson, student_id=sid) for sid in waiting])
            events.announce(events.lesson_created, lesson_ids=[lesson.id], teacher_id=teacher.id, actor=actor)
            return lesson

        day, time_of_day = rec.series_anchor(start_at, tz)
        series = LessonSeries.objects.create(
            teacher=teacher,
            subject_id=subject_id,
            frequency=rule.frequency,
            days_of_week=rule.days_of_week,
            day_of_week=day,
            time_of_day=time_of_day,
            timezone=tz,
            duration_minutes=duration_minutes,
            price_rub=price_rub,
            is_free=is_free,
            meeting_url=meeting_url,
            end_date=rule.end_date,
            max_occurrences=rule.max_occurrences,
            capacity=capacity,
        )
        SeriesStudent.objects.bulk_create(
            [SeriesStudent(series=series, student_id=sid, price_rub=price) for sid, price, _ in students]
        )
        now = timezone.now()
        lessons = [
            Lesson(id=uuid.uuid4(), series=series, start_at=when, created_at=now, updated_at=now, **common)
            for when in rec.occurrences(start=start_at, tz=tz, rule=rule)
        ]
        _insert_series_lessons(lessons, students, reminder_minutes_before)
        WaitlistEntry.objects.bulk_create([WaitlistEntry(lesson=x, student_id=sid) for x in lessons for sid in waiting])
        events.announce(events.lesson_created, lesson_ids=[x.id for x in lessons], teacher_id=teacher.id, actor=actor)
        return SeriesResult(series=series, lessons=lessons)


def _insert_series_lessons(lessons: list[Lesson], students: list[tuple], reminder: int | None) -> None:
    """The lessons (built, not saved) and a row per (lesson, student), two statements (services.bulk). Rows of
    one lesson keep the students' order (created_at, the list's order key, steps by a microsecond)."""
    first = lessons[0]
    shared = {
        f.attname: getattr(first, f.attname)
        for f in Lesson._meta.concrete_fields
        if f.attname not in ("id", "start_at")
    }
    insert_rows(
        Lesson, shared=shared, varying={"id": [x.id for x in lessons], "start_at": [x.start_at for x in lessons]}
    )
    for lesson in lessons:
        lesson._state.adding, lesson._state.db = False, "default"  # saved, as bulk_create would mark them
    pairs = [(lesson.id, k, student) for lesson in lessons for k, student in enumerate(students)]
    insert_rows(
        LessonStudent,
        shared={"reminder_minutes_before": reminder, "updated_at": first.created_at},
        varying={
            "id": [uuid.uuid4() for _ in pairs],
            "lesson_id": [lesson_id for lesson_id, _, _ in pairs],
            "student_id": [sid for _, _, (sid, _, _) in pairs],
            "price_rub": [price for _, _, (_, price, _) in pairs],
            "payment_type": [ptype for _, _, (_, _, ptype) in pairs],
            "created_at": [first.created_at + timedelta(microseconds=k) for _, k, _ in pairs],
        },
    )


def lesson_update(
    *, teacher: TeacherProfile, lesson_id, data: dict, apply_to_series: str | None = None, actor: str = ACTOR
) -> Lesson | SeriesResult:
    """PATCH /me/lessons/:id (reference §3.2 with decisions §4 fixes). `data` holds validated snake_case keys;
    absent keys are untouched. Returns the lesson, or a SeriesResult when the lesson was converted."""
    scope = _validate_scope(apply_to_series)
    with transaction.atomic():
        lesson = _lesson_for_update(teacher=teacher, lesson_id=lesson_id, scope=scope)
        if data.get("student_id") is not None:  # legacy field: validated, never applied
            _check_linked(teacher=teacher, student_ids=[data["student_id"]])
        if "student_ids" in data:
            data["student_ids"] = _unique(data["student_ids"])
            _check_linked(teacher=teacher, student_ids=data["student_ids"])
        if "subject_id" in data:
            _check_subject(teacher=teacher, subject_id=data["subject_id"])
        recurrence = data.get("recurrence")
        if recurrence and recurrence.get("frequency", "none") != "none" and lesson.series_id is None:
            return _convert_to_series(teacher=teacher, lesson=lesson, data=data, actor=actor)

        tz = _tz(teacher)
        series_mode = scope != "this" and lesson.series_id is not None
        targets = _series_targets(lesson=lesson, scope=scope) if series_mode else [lesson]
        others = [x for x in targets if x.id != lesson.id]

        safe = {key: data[key] for key in SERIES_SAFE if key in data}
        if "capacity" in safe:
            for target in targets:
                capacity_check(lesson=target, capacity=safe["capacity"])
        if safe.get("is_free") is True:
            safe["price_rub"] = 0
        old_free = {x.id: x.is_free for x in targets}
        _normalise_rows_for_price(
            lesson_ids=[x.id for x in targets],
            old_free=old_free,
            is_free=safe.get("is_free"),
            price_rub=safe.get("price_rub"),
        )

        now = timezone.now()
        previous_start = {x.id: x.start_at for x in targets}
        moved_ids: list = []
        if "start_at" in data and data["start_at"] != lesson.start_at:
            delta = rec.wall_clock_delta(lesson.start_at, data["start_at"], tz)
            lesson.start_at = data["start_at"]
            moved_ids.append(lesson.id)
            for other in others:
                if other.status == Lesson.Status.PLANNED or other.start_at >= now:
                    other.start_at = rec.shift_wall_clock(other.start_at, tz, delta)
                    moved_ids.append(other.id)

        for target in targets:
            for key, value in safe.items():
                setattr(target, key, value)

        was_cancelled = lesson.status == Lesson.Status.CANCELLED
        newly_done = data.get("status") == Lesson.Status.DONE and lesson.status != Lesson.Status.DONE
        if newly_done and was_cancelled:
            # A cancelled lesson cannot be completed, by PATCH either (decisions §4).
            raise DomainError("LESSON_CANCELLED")
        if "status" in data and data["status"] != lesson.status:
            lesson.status = data["status"]
            if lesson.status != Lesson.Status.CANCELLED and "cancelled_by" not in data:
                lesson.cancelled_by = None
            elif lesson.status == Lesson.Status.CANCELLED and "cancelled_by" not in data:
                lesson.cancelled_by = Lesson.CancelledBy.TEACHER
        for key in ("cancelled_by", "rescheduled_to"):
            if key in data:
                setattr(lesson, key, data[key])
        if "teacher_note" in data:
            lesson.teacher_note = data["teacher_note"]
            lesson.teacher_note_updated_at = now
        report_written = bool(data.get("lesson_report")) and not lesson.lesson_report
        if report_written:  # write-once
            lesson.lesson_report = data["lesson_report"]

        for target in targets:
            target.updated_at = now
        Lesson.objects.bulk_update(
            targets,
            [
                "start_at",
                "subject_id",
                "duration_minutes",
                "is_free",
                "price_rub",
                "meeting_url",
                "capacity",
                "status",
                "cancelled_by",
                "rescheduled_to",
                "teacher_note",
                "teacher_note_updated_at",
                "lesson_report",
                "updated_at",
            ],
        )

        newly_cancelled = lesson.status == Lesson.Status.CANCELLED and not was_cancelled
        student_rows = lock_in_order(LessonStudent.objects.filter(lesson_id=lesson.id))
        if newly_cancelled:
            refunded = _refund_rows(student_rows)
            if refunded:
                LessonStudent.objects.filter(id__in=refunded).update(
                    paid_from_subscription=False, subscription=None, payment_status="unpaid", updated_at=now
                )
            teacher_cancel_outcomes(teacher=teacher, lesson=lesson, rows=student_rows)

        added: dict = {}
        if "student_ids" in data:
            added, _removed = _apply_student_set(
                lessons=targets,
                student_ids=data["student_ids"],
                price_rub=safe.get("price_rub"),
                is_free=safe.get("is_free"),
            )

        if "capacity" in safe or "student_ids" in data:
            for target in targets:  # a larger capacity or a removed student frees seats for those waiting
                waitlist_promote(lesson=target, actor=actor)

        if series_mode:
            _update_series_defaults(
                lesson=lesson, scope=scope, safe=safe, data=data, tz=tz, moved=lesson.id in moved_ids
            )

        ids = [x.id for x in targets]
        events.announce(
            events.lesson_updated,
            lesson_ids=ids,
            teacher_id=teacher.id,
            actor=actor,
            moved=bool(moved_ids),
            previous_start={k: v for k, v in previous_start.items() if k in moved_ids} or None,
        )
        if newly_cancelled:
            events.announce(
                events.lesson_cancelled,
                lesson_ids=[lesson.id],
                teacher_id=teacher.id,
                actor=actor,
                student_ids=[row.student_id for row in student_rows],
            )
        if newly_done:  # the same announcement as the completion route: stats, pushes, prompts
            events.announce(events.lesson_completed, lesson_ids=[lesson.id], teacher_id=teacher.id, actor=actor)
        if report_written:
            events.announce(events.lesson_report_written, lesson_id=lesson.id, teacher_id=teacher.id)
        for lid, sids in added.items():
            events.announce(events.lesson_students_added, lesson_id=lid, teacher_id=teacher.id, student_ids=sids)
        return lesson


def lesson_delete(*, teacher: TeacherProfile, lesson_id, apply_to_series: str | None = None, actor: str = ACTOR) -> int:
    """Delete one lesson, or this-and-later / every lesson of its series (never past done/cancelled ones).
    `all` also deletes the series row when nothing is left in it. Refunds consumed subscription lessons.
    Returns the number of deleted lessons."""
    scope = _validate_scope(apply_to_series)
    with transaction.atomic():
        lesson = _lesson_for_update(teacher=teacher, lesson_id=lesson_id, scope=scope)
        series_mode = scope != "this" and lesson.series_id is not None
        targets = _series_targets(lesson=lesson, scope=scope) if series_mode else [lesson]
        ids = [x.id for x in targets]
        snapshots = _snapshots(targets)
        rows = lock_in_order(
            LessonStudent.objects.filter(
                Q(paid_from_subscription=True) | Q(credit_spent__isnull=False), lesson_id__in=ids
            )
        )
        _refund_rows(rows)
        credits_unspend(credit_ids=[row.credit_spent_id for row in rows])
        Lesson.objects.filter(id__in=ids).delete()
        series_id = lesson.series_id
        if series_mode and scope == "all" and series_id and not Lesson.objects.filter(series_id=series_id).exists():
            LessonSeries.objects.filter(id=series_id).delete()
        events.announce(events.lesson_deleted, lesson_ids=ids, teacher_id=teacher.id, actor=actor, snapshots=snapshots)
        return len(ids)
