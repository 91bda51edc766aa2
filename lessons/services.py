"""Writes of the calendar: subjects, lessons (single, recurring, group), series operations, per-student state
and completion. Every public function is one transaction; events are sent on commit (tutorcal.events).

Callers pass already-validated values (the DRF serializers in lessons/serializers.py, or the bot). Domain
errors are ApiError with the contract's codes.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import TeacherProfile
from subscriptions.services import subscription_consume, subscription_refund, subscription_refund_many
from tutorcal import events
from tutorcal.errors import ApiError

from . import recurrence as rec
from .models import Lesson, LessonSeries, LessonStudent, SeriesStudent, Subject
from .selectors import linked_student_ids

ACTOR = "teacher"
SERIES_SCOPES = ("this", "future", "all")
# Fields a series edit applies to every matched lesson (and stores as the series' defaults).
SERIES_SAFE = ("subject_id", "duration_minutes", "is_free", "price_rub", "meeting_url")

# ---------------------------------------------------------------------------------------------- helpers


def _tz(teacher: TeacherProfile) -> str:
    return teacher.user.timezone or "Europe/Moscow"


def _lesson_for_update(*, teacher: TeacherProfile, lesson_id) -> Lesson:
    lesson = Lesson.objects.select_for_update().filter(id=lesson_id, teacher_id=teacher.id).first()
    if lesson is None:
        raise ApiError(404, "LESSON_NOT_FOUND")
    return lesson


def _check_subject(*, teacher: TeacherProfile, subject_id) -> None:
    """Any subject of the teacher, archived included; None means 'no subject'."""
    if subject_id is not None and not Subject.objects.filter(id=subject_id, teacher_id=teacher.id).exists():
        raise ApiError(404, "SUBJECT_NOT_FOUND")


def _check_linked(*, teacher: TeacherProfile, student_ids) -> None:
    ids = set(student_ids)
    if ids and linked_student_ids(teacher_id=teacher.id, student_ids=ids) != ids:
        raise ApiError(403, "STUDENT_NOT_LINKED")


def _unique(ids) -> list:
    seen: dict = {}
    for value in ids or []:
        seen.setdefault(value, None)
    return list(seen)


def _row_terms(*, is_free: bool, payment_type: str | None, price_rub: int) -> tuple[int, str]:
    """(price, paymentType) of a student's row: free ⇒ 0 + free; subscription ⇒ 0 + subscription (B13)."""
    if is_free or payment_type == LessonStudent.PaymentType.FREE:
        return 0, LessonStudent.PaymentType.FREE
    if payment_type == LessonStudent.PaymentType.SUBSCRIPTION:
        return 0, LessonStudent.PaymentType.SUBSCRIPTION
    return price_rub, LessonStudent.PaymentType.FIXED


def _refund_rows(rows) -> list[uuid.UUID]:
    """Give back every subscription lesson consumed by `rows` (one UPDATE); returns the ids of those rows."""
    charged = [row for row in rows if row.paid_from_subscription]
    subscription_refund_many(subscription_ids=[row.subscription_id for row in charged])
    return [row.id for row in charged]


def _clear_subscription(row: LessonStudent) -> None:
    row.subscription_id_before = row.subscription_id
    row.paid_from_subscription = False
    row.subscription = None
    row.payment_status = LessonStudent.PaymentStatus.UNPAID


def _snapshots(lessons: list[Lesson]) -> list[dict]:
    from tutorcal.timeutil import iso

    ids = [lesson.id for lesson in lessons]
    students: dict = {}
    for lesson_id, student_id in LessonStudent.objects.filter(lesson_id__in=ids).values_list("lesson_id", "student_id"):
        students.setdefault(lesson_id, []).append(str(student_id))
    names = dict(Subject.objects.filter(lessons__id__in=ids).values_list("lessons__id", "name"))
    return [
        {
            "id": str(lesson.id),
            "startAt": iso(lesson.start_at),
            "studentIds": students.get(lesson.id, []),
            "subjectName": names.get(lesson.id),
        }
        for lesson in lessons
    ]


# ---------------------------------------------------------------------------------------------- subjects

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ы": "y", "э": "e", "ю": "yu",
    "я": "ya",
}  # fmt: skip


def subject_code_from_name(name: str) -> str:
    """Reference §2.2: lower-case, transliterate Cyrillic (ъ/ь → '_'), non [a-z0-9] → '_', collapse, trim, 50."""
    text = "".join(_TRANSLIT.get(ch, ch) for ch in name.lower())
    text = re.sub(r"[^a-z0-9]", "_", text)
    text = re.sub(r"_+", "_", text).strip("_")
    return text[:50]


def _unique_code(*, teacher: TeacherProfile, base: str) -> str:
    base = base or "subject"
    taken = set(Subject.objects.filter(teacher_id=teacher.id, code__startswith=base).values_list("code", flat=True))
    if base not in taken:
        return base
    n = 2
    while True:
        suffix = f"_{n}"
        candidate = base[: 50 - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


def subject_create(*, teacher: TeacherProfile, name: str, color_hex: str, code: str | None = None) -> Subject:
    with transaction.atomic():
        if Subject.objects.filter(teacher_id=teacher.id, name=name).exists():
            raise ApiError(409, "SUBJECT_NAME_EXISTS")
        if code:
            if Subject.objects.filter(teacher_id=teacher.id, code=code).exists():
                raise ApiError(409, "SUBJECT_CODE_EXISTS")
        else:
            code = _unique_code(teacher=teacher, base=subject_code_from_name(name))
        try:
            with transaction.atomic():
                return Subject.objects.create(teacher=teacher, name=name, code=code, color_hex=color_hex)
        except IntegrityError:  # a concurrent double submit lost the race
            raise ApiError(409, "SUBJECT_NAME_EXISTS") from None


def _subject_of(*, teacher: TeacherProfile, subject_id) -> Subject:
    subject = Subject.objects.select_for_update().filter(id=subject_id, teacher_id=teacher.id).first()
    if subject is None:
        raise ApiError(404, "SUBJECT_NOT_FOUND")
    return subject


def subject_update(*, teacher: TeacherProfile, subject_id, data: dict) -> Subject:
    """Only `name` and `color_hex` are writable (no mass assignment, §7.4)."""
    with transaction.atomic():
        subject = _subject_of(teacher=teacher, subject_id=subject_id)
        name = data.get("name")
        if name is not None and name != subject.name:
            if Subject.objects.filter(teacher_id=teacher.id, name=name).exclude(id=subject.id).exists():
                raise ApiError(409, "SUBJECT_NAME_EXISTS")
            subject.name = name
        if data.get("color_hex") is not None:
            subject.color_hex = data["color_hex"]
        try:
            with transaction.atomic():
                subject.save()
        except IntegrityError:
            raise ApiError(409, "SUBJECT_NAME_EXISTS") from None
        return subject


def subject_delete(*, teacher: TeacherProfile, subject_id) -> dict:
    """Archive when any lesson references the subject, otherwise delete it (series lose the reference)."""
    with transaction.atomic():
        subject = _subject_of(teacher=teacher, subject_id=subject_id)
        count = Lesson.objects.filter(subject_id=subject.id).count()
        if count:
            if subject.archived_at is None:
                subject.archived_at = timezone.now()
                subject.save(update_fields=["archived_at", "updated_at"])
            return {"success": True, "action": "archived", "lessonsCount": count}
        subject.delete()
        return {"success": True, "action": "deleted"}


def subject_restore(*, teacher: TeacherProfile, subject_id) -> Subject:
    with transaction.atomic():
        subject = _subject_of(teacher=teacher, subject_id=subject_id)
        if subject.archived_at is None:
            raise ApiError(409, "SUBJECT_NOT_ARCHIVED")
        subject.archived_at = None
        subject.save(update_fields=["archived_at", "updated_at"])
        return subject


# ---------------------------------------------------------------------------------------------- create


@dataclass
class SeriesResult:
    """A recurring create / convert-to-series result: the series and its lessons (first = the anchor)."""

    series: LessonSeries
    lessons: list[Lesson] = field(default_factory=list)


def _new_rows(lessons: list[Lesson], students: list[tuple], reminder=None) -> list[LessonStudent]:
    """students: (student_id, price, payment_type)."""
    return [
        LessonStudent(
            lesson=lesson,
            student_id=sid,
            price_rub=price,
            payment_type=ptype,
            reminder_minutes_before=reminder,
        )
        for lesson in lessons
        for sid, price, ptype in students
    ]


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
    actor: str = ACTOR,
) -> Lesson | SeriesResult:
    """One lesson, or a recurring series generated in the teacher's zone (one transaction, bulk inserts)."""
    student_ids = _unique(student_ids)
    price_rub = price_rub or 0
    is_free = bool(is_free) or payment_type == LessonStudent.PaymentType.FREE
    if is_free:
        price_rub = 0
    row_price, row_type = _row_terms(is_free=is_free, payment_type=payment_type, price_rub=price_rub)
    students = [(sid, row_price, row_type) for sid in student_ids]
    tz = _tz(teacher)
    frequency = (recurrence or {}).get("frequency") or "none"
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
            from rest_framework.exceptions import ValidationError

            raise ValidationError([str(exc)]) from None

    with transaction.atomic():
        _check_linked(teacher=teacher, student_ids=student_ids)
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
        )
        if rule is None:
            lesson = Lesson.objects.create(start_at=start_at, **common)
            LessonStudent.objects.bulk_create(_new_rows([lesson], students, reminder_minutes_before))
            events.send_on_commit(events.lesson_created, lesson_ids=[lesson.id], teacher_id=teacher.id, actor=actor)
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
        )
        SeriesStudent.objects.bulk_create(
            [SeriesStudent(series=series, student_id=sid, price_rub=price) for sid, price, _ in students]
        )
        now = timezone.now()
        lessons = [
            Lesson(id=uuid.uuid4(), series=series, start_at=when, created_at=now, updated_at=now, **common)
            for when in rec.occurrences(start=start_at, tz=tz, rule=rule)
        ]
        Lesson.objects.bulk_create(lessons)
        LessonStudent.objects.bulk_create(_new_rows(lessons, students, reminder_minutes_before))
        events.send_on_commit(
            events.lesson_created, lesson_ids=[x.id for x in lessons], teacher_id=teacher.id, actor=actor
        )
        return SeriesResult(series=series, lessons=lessons)


# ---------------------------------------------------------------------------------------------- students diff


def _apply_student_set(
    *, lessons: list[Lesson], student_ids: list, price_rub: int | None, is_free: bool | None
) -> tuple[dict, list]:
    """Make each lesson's students exactly `student_ids`: keep existing rows (with their state), add new ones,
    remove the rest (refunding subscription lessons). Returns ({lesson_id: [added ids]}, [removed student ids])."""
    wanted = list(student_ids)
    lesson_by_id = {lesson.id: lesson for lesson in lessons}
    existing = list(LessonStudent.objects.select_for_update().filter(lesson_id__in=list(lesson_by_id)))
    have: dict = {}
    for row in existing:
        have.setdefault(row.lesson_id, set()).add(row.student_id)
    to_remove = [row for row in existing if row.student_id not in set(wanted)]
    _refund_rows(to_remove)
    if to_remove:
        LessonStudent.objects.filter(id__in=[row.id for row in to_remove]).delete()
    added: dict = {}
    new_rows = []
    for lesson in lessons:
        free = lesson.is_free if is_free is None else is_free
        base = lesson.price_rub if price_rub is None else price_rub
        price, ptype = _row_terms(is_free=free, payment_type=None, price_rub=base)
        for sid in wanted:
            if sid not in have.get(lesson.id, set()):
                new_rows.append(LessonStudent(lesson=lesson, student_id=sid, price_rub=price, payment_type=ptype))
                added.setdefault(lesson.id, []).append(sid)
    LessonStudent.objects.bulk_create(new_rows)
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


# ---------------------------------------------------------------------------------------------- update


def _series_targets(*, lesson: Lesson, scope: str) -> list[Lesson]:
    """Lessons of the series a `future|all` op touches: never past done/cancelled ones (the anchor is always in)."""
    qs = Lesson.objects.select_for_update().filter(series_id=lesson.series_id, teacher_id=lesson.teacher_id)
    if scope == "future":
        qs = qs.filter(start_at__gte=lesson.start_at)
    now = timezone.now()
    return [
        lesson if x.id == lesson.id else x
        for x in qs.order_by("start_at", "id")
        if x.id == lesson.id or not (x.status != Lesson.Status.PLANNED and x.start_at < now)
    ]


def _validate_scope(apply_to_series: str | None) -> str:
    scope = apply_to_series or "this"
    if scope not in SERIES_SCOPES:
        raise ApiError(400, "INVALID_APPLY_TO_SERIES")
    return scope


def lesson_update(
    *, teacher: TeacherProfile, lesson_id, data: dict, apply_to_series: str | None = None, actor: str = ACTOR
) -> Lesson | SeriesResult:
    """PATCH /me/lessons/:id (reference §3.2 with decisions §4 fixes). `data` holds validated snake_case keys;
    absent keys are untouched. Returns the lesson, or a SeriesResult when the lesson was converted."""
    scope = _validate_scope(apply_to_series)
    with transaction.atomic():
        lesson = _lesson_for_update(teacher=teacher, lesson_id=lesson_id)
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
        if data.get("lesson_report") and not lesson.lesson_report:  # write-once
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
        student_rows = list(LessonStudent.objects.select_for_update().filter(lesson_id=lesson.id))
        if newly_cancelled:
            refunded = _refund_rows(student_rows)
            if refunded:
                LessonStudent.objects.filter(id__in=refunded).update(
                    paid_from_subscription=False, subscription=None, payment_status="unpaid", updated_at=now
                )

        added: dict = {}
        if "student_ids" in data:
            added, _removed = _apply_student_set(
                lessons=targets,
                student_ids=data["student_ids"],
                price_rub=safe.get("price_rub"),
                is_free=safe.get("is_free"),
            )

        if series_mode:
            _update_series_defaults(
                lesson=lesson, scope=scope, safe=safe, data=data, tz=tz, moved=lesson.id in moved_ids
            )

        ids = [x.id for x in targets]
        events.send_on_commit(
            events.lesson_updated,
            lesson_ids=ids,
            teacher_id=teacher.id,
            actor=actor,
            moved=bool(moved_ids),
            previous_start={k: v for k, v in previous_start.items() if k in moved_ids} or None,
        )
        if newly_cancelled:
            events.send_on_commit(
                events.lesson_cancelled,
                lesson_ids=[lesson.id],
                teacher_id=teacher.id,
                actor=actor,
                student_ids=[row.student_id for row in student_rows],
            )
        for lid, sids in added.items():
            events.send_on_commit(events.lesson_students_added, lesson_id=lid, teacher_id=teacher.id, student_ids=sids)
        return lesson


def _update_series_defaults(*, lesson: Lesson, scope: str, safe: dict, data: dict, tz: str, moved: bool) -> None:
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
        from rest_framework.exceptions import ValidationError

        raise ValidationError([str(exc)]) from None
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
    events.send_on_commit(
        events.lesson_updated,
        lesson_ids=[lesson.id],
        teacher_id=teacher.id,
        actor=actor,
        moved=moved,
        previous_start={lesson.id: previous} if moved else None,
    )
    if new_lessons:
        events.send_on_commit(
            events.lesson_created, lesson_ids=[x.id for x in new_lessons], teacher_id=teacher.id, actor=actor
        )
    return SeriesResult(series=series, lessons=[lesson, *new_lessons])


# ---------------------------------------------------------------------------------------------- delete


def lesson_delete(*, teacher: TeacherProfile, lesson_id, apply_to_series: str | None = None, actor: str = ACTOR) -> int:
    """Delete one lesson, or this-and-later / every lesson of its series (never past done/cancelled ones).
    `all` also deletes the series row when nothing is left in it. Refunds consumed subscription lessons.
    Returns the number of deleted lessons."""
    scope = _validate_scope(apply_to_series)
    with transaction.atomic():
        lesson = _lesson_for_update(teacher=teacher, lesson_id=lesson_id)
        series_mode = scope != "this" and lesson.series_id is not None
        targets = _series_targets(lesson=lesson, scope=scope) if series_mode else [lesson]
        ids = [x.id for x in targets]
        snapshots = _snapshots(targets)
        rows = list(LessonStudent.objects.select_for_update().filter(lesson_id__in=ids, paid_from_subscription=True))
        _refund_rows(rows)
        Lesson.objects.filter(id__in=ids).delete()
        if series_mode and scope == "all" and not Lesson.objects.filter(series_id=lesson.series_id).exists():
            LessonSeries.objects.filter(id=lesson.series_id).delete()
        events.send_on_commit(
            events.lesson_deleted, lesson_ids=ids, teacher_id=teacher.id, actor=actor, snapshots=snapshots
        )
        return len(ids)


# ---------------------------------------------------------------------------------------------- per-student


def lesson_student_add(
    *, teacher: TeacherProfile, lesson_id, student_id, price_rub: int | None = None, actor: str = ACTOR
) -> LessonStudent:
    with transaction.atomic():
        lesson = _lesson_for_update(teacher=teacher, lesson_id=lesson_id)
        _check_linked(teacher=teacher, student_ids=[student_id])
        if LessonStudent.objects.filter(lesson_id=lesson.id, student_id=student_id).exists():
            raise ApiError(409, "STUDENT_ALREADY_ON_LESSON")
        price, ptype = _row_terms(
            is_free=lesson.is_free, payment_type=None, price_rub=lesson.price_rub if price_rub is None else price_rub
        )
        try:
            with transaction.atomic():
                row = LessonStudent.objects.create(
                    lesson=lesson, student_id=student_id, price_rub=price, payment_type=ptype
                )
        except IntegrityError:
            raise ApiError(409, "STUDENT_ALREADY_ON_LESSON") from None
        Lesson.objects.filter(id=lesson.id).update(updated_at=timezone.now())
        events.send_on_commit(
            events.lesson_students_added, lesson_id=lesson.id, teacher_id=teacher.id, student_ids=[student_id]
        )
        events.send_on_commit(
            events.lesson_updated, lesson_ids=[lesson.id], teacher_id=teacher.id, actor=actor, moved=False,
            previous_start=None,
        )  # fmt: skip
        return row


def _row_for_update(*, lesson: Lesson, student_id) -> LessonStudent:
    row = LessonStudent.objects.select_for_update().filter(lesson_id=lesson.id, student_id=student_id).first()
    if row is None:
        raise ApiError(404, "STUDENT_NOT_ON_LESSON")
    return row


def lesson_student_remove(*, teacher: TeacherProfile, lesson_id, student_id, actor: str = ACTOR) -> None:
    with transaction.atomic():
        lesson = _lesson_for_update(teacher=teacher, lesson_id=lesson_id)
        row = _row_for_update(lesson=lesson, student_id=student_id)
        _refund_rows([row])
        row.delete()
        Lesson.objects.filter(id=lesson.id).update(updated_at=timezone.now())
        events.send_on_commit(
            events.lesson_updated, lesson_ids=[lesson.id], teacher_id=teacher.id, actor=actor, moved=False,
            previous_start=None,
        )  # fmt: skip


def lesson_student_update(
    *, teacher: TeacherProfile, lesson_id, student_id, data: dict, actor: str = ACTOR
) -> LessonStudent:
    """PATCH …/students/:studentId: `payment_status` (and the row's own `price_rub`)."""
    with transaction.atomic():
        lesson = _lesson_for_update(teacher=teacher, lesson_id=lesson_id)
        row = _row_for_update(lesson=lesson, student_id=student_id)
        if "payment_status" in data and not row.paid_from_subscription:
            row.payment_status = data["payment_status"]
        if "price_rub" in data and row.payment_type == LessonStudent.PaymentType.FIXED:
            row.price_rub = data["price_rub"]
        row.save()
        events.send_on_commit(
            events.lesson_updated, lesson_ids=[lesson.id], teacher_id=teacher.id, actor=actor, moved=False,
            previous_start=None,
        )  # fmt: skip
        return row


def lesson_students_bulk(*, teacher: TeacherProfile, lesson_id, action: str, value, actor: str = ACTOR) -> Lesson:
    """PATCH …/students/bulk (B1 fixed): set_attendance | set_rating | set_payment for every student row."""
    with transaction.atomic():
        lesson = _lesson_for_update(teacher=teacher, lesson_id=lesson_id)
        rows = list(LessonStudent.objects.select_for_update().filter(lesson_id=lesson.id))
        refund: list = []
        now = timezone.now()
        for row in rows:
            if action == "set_attendance":
                row.attendance = value
                if value != LessonStudent.Attendance.ATTENDED and row.paid_from_subscription:
                    refund.append(row)
                    _clear_subscription(row)
                if value == LessonStudent.Attendance.MISSED:
                    row.rating = None
                    row.payment_status = LessonStudent.PaymentStatus.UNPAID
            elif action == "set_rating":
                if row.attendance == LessonStudent.Attendance.ATTENDED:
                    row.rating = value
            elif action == "set_payment":
                if row.attendance == LessonStudent.Attendance.ATTENDED and not row.paid_from_subscription:
                    row.payment_status = value
            row.updated_at = now
        subscription_refund_many(subscription_ids=[row.subscription_id_before for row in refund])
        if rows:
            LessonStudent.objects.bulk_update(
                rows, ["attendance", "rating", "payment_status", "paid_from_subscription", "subscription", "updated_at"]
            )
        Lesson.objects.filter(id=lesson.id).update(updated_at=timezone.now())
        events.send_on_commit(
            events.lesson_updated, lesson_ids=[lesson.id], teacher_id=teacher.id, actor=actor, moved=False,
            previous_start=None,
        )  # fmt: skip
        return lesson


# ---------------------------------------------------------------------------------------------- completion


def lesson_complete(*, teacher: TeacherProfile, lesson_id, students: list[dict], actor: str = ACTOR) -> Lesson:
    """Mark a lesson done with per-student attendance (reference §3.5 with B12 fixed).

    Each entry: student_id, attendance (attended|missed|unknown|cancelled), optional rating, payment_status,
    use_subscription. Entries for students not on the lesson are ignored. Idempotent: a row already paid from a
    subscription is never charged again; switching it away from `attended` refunds the lesson.
    A cancelled lesson → 409 LESSON_CANCELLED.
    """

    with transaction.atomic():
        lesson = _lesson_for_update(teacher=teacher, lesson_id=lesson_id)
        if lesson.status == Lesson.Status.CANCELLED:
            raise ApiError(409, "LESSON_CANCELLED")
        rows = {row.student_id: row for row in LessonStudent.objects.select_for_update().filter(lesson_id=lesson.id)}
        now = timezone.now()
        changed = []
        for entry in students:
            row = rows.get(_as_uuid(entry["student_id"]))
            if row is None:
                continue
            attendance = entry["attendance"]
            row.attendance = attendance
            if attendance != LessonStudent.Attendance.ATTENDED:
                if row.paid_from_subscription:
                    subscription_refund(subscription_id=row.subscription_id)
                    _clear_subscription(row)
                if attendance == LessonStudent.Attendance.MISSED:
                    row.rating = None
                    row.payment_status = LessonStudent.PaymentStatus.UNPAID
            else:
                if "rating" in entry:
                    row.rating = entry["rating"]
                charged = False
                if entry.get("use_subscription") and not row.paid_from_subscription:
                    subscription = subscription_consume(teacher_id=teacher.id, student_id=row.student_id)
                    if subscription is not None:
                        row.subscription = subscription
                        row.paid_from_subscription = True
                        row.payment_type = LessonStudent.PaymentType.SUBSCRIPTION
                        row.payment_status = LessonStudent.PaymentStatus.PAID
                        row.price_rub = 0
                        charged = True
                if not charged and not row.paid_from_subscription and entry.get("payment_status") is not None:
                    row.payment_status = entry["payment_status"]
            row.updated_at = now
            changed.append(row)
        if changed:
            LessonStudent.objects.bulk_update(
                changed,
                [
                    "attendance",
                    "rating",
                    "payment_status",
                    "payment_type",
                    "paid_from_subscription",
                    "subscription",
                    "price_rub",
                    "updated_at",
                ],
            )
        lesson.status = Lesson.Status.DONE
        lesson.updated_at = now
        lesson.save(update_fields=["status", "updated_at"])
        events.send_on_commit(events.lesson_completed, lesson_ids=[lesson.id], teacher_id=teacher.id, actor=actor)
        return lesson


def _as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError):
        return None
