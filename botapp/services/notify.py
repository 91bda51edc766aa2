"""Lesson events -> messages: who hears about a created, moved, cancelled or deleted lesson (students, and
parents whose relation allows it), in one summary per recipient for a series."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import StudentProfile, TeacherProfile, User
from lessons.models import Lesson, LessonStudent

from .. import selectors, texts
from ..models import EventType
from .outbox import Message, dedupe_key, outbox_put

logger = logging.getLogger(__name__)


@dataclass
class _Audience:
    """Per recipient user: the lessons they hear about, and (for parents) about which child."""

    user: User
    child: str | None = None
    child_id: uuid.UUID | None = None
    lessons: list[dict] = field(default_factory=list)
    total: int | None = None  # how many lessons the message is about when only the first one is loaded


def _uuid_set(values) -> set:
    out = set()
    for v in values or []:
        try:
            out.add(uuid.UUID(str(v)))
        except (TypeError, ValueError):
            continue
    return out


def _audiences(
    lessons: list[Lesson], *, student_ids: set | None, future_only: bool = True, firsts: dict | None = None
) -> list[_Audience]:
    """Students of the lessons (optionally only `student_ids`) and their parents whose relation allows it.
    `firsts` ({student: (first lesson id, count)}, see `_first_lessons`) keeps each student to their first
    lesson and says how many there are, when only those first lessons were loaded."""
    now = timezone.now()
    by_student: dict = {}
    pairs = set()
    for lesson in lessons:
        if future_only and lesson.start_at <= now:
            continue
        data = selectors.lesson_dict(lesson)
        for row in lesson.lesson_students.all():
            if student_ids is not None and row.student_id not in student_ids:
                continue
            if student_ids is None and row.attendance == LessonStudent.Attendance.CANCELLED:
                continue
            if firsts is not None and firsts.get(row.student_id, (None,))[0] != lesson.id:
                continue
            aud = by_student.setdefault(row.student_id, _Audience(user=row.student.user))
            if firsts is not None:
                aud.total = firsts[row.student_id][1]
            aud.lessons.append(data)
            pairs.add((lesson.teacher_id, row.student_id))
            aud.child_id = row.student_id
            aud.child = selectors.display_name(row.student.user)
    out = list(by_student.values())
    parents = selectors.parent_relations(pairs)
    teacher_of = {lesson.id: lesson.teacher_id for lesson in lessons}
    for aud in list(by_student.values()):
        teacher_id = teacher_of[aud.lessons[0]["id"]]
        for parent_user in parents.get((teacher_id, aud.child_id), []):
            out.append(
                _Audience(
                    user=parent_user, child=aud.child, child_id=aud.child_id, lessons=aud.lessons, total=aud.total
                )
            )
    return out


def _first_lessons(lesson_ids: set, student_ids: set | None) -> dict:
    """{student: (id of their first future lesson among `lesson_ids`, how many they have)} from one light
    query, so a 52-lesson series loads one lesson with its people instead of 52 (same filters as _audiences)."""
    rows = LessonStudent.objects.filter(lesson_id__in=lesson_ids, lesson__start_at__gt=timezone.now())
    if student_ids is not None:
        rows = rows.filter(student_id__in=student_ids)
    else:
        rows = rows.exclude(attendance=LessonStudent.Attendance.CANCELLED)
    firsts: dict = {}
    for student_id, lesson_id in rows.order_by("lesson__start_at", "lesson_id").values_list("student_id", "lesson_id"):
        first, count = firsts.get(student_id, (lesson_id, 0))
        firsts[student_id] = (first, count + 1)
    return firsts


def _fan_out(audiences: list[_Audience], *, event_type: str, single, many, student_users: set) -> list[Message]:
    messages = []
    for aud in audiences:
        lessons = sorted(aud.lessons, key=lambda d: d["start"])
        if not lessons:
            continue
        first = lessons[0]
        is_parent = aud.user.pk not in student_users
        child = aud.child if is_parent else None
        tz = aud.user.timezone
        count = aud.total or len(lessons)
        text = single(first, tz, child) if count == 1 else many(count, first, tz, child)
        extra: list[object] = [aud.child_id] if is_parent else []
        if count > 1:
            extra.append(f"x{count}")
        messages.append(
            Message(
                event_type=event_type,
                recipient=aud.user,
                key=dedupe_key(event_type, aud.user.pk, first["id"], first["start"], *extra),
                text=text,
                markup=texts.webapp_markup(texts.BTN_SCHEDULE),
                lesson_id=first["id"],
                lesson_start=first["start"],
            )
        )
    return messages


def _student_users(lessons: list[Lesson]) -> set:
    return {row.student.user_id for lesson in lessons for row in lesson.lesson_students.all()}


def notify_lessons_created(*, lesson_ids, student_ids=None) -> int:
    """lesson_created / lesson_students_added: each (new) student hears once — a series gives one summary."""
    ids = _uuid_set(lesson_ids)
    wanted = _uuid_set(student_ids) if student_ids is not None else None
    firsts = _first_lessons(ids, wanted) if len(ids) > 1 else None
    if firsts is not None:
        ids = {first for first, _ in firsts.values()}
    lessons = list(selectors.lessons_with_people().filter(id__in=ids))
    audiences = _audiences(lessons, student_ids=wanted, firsts=firsts)
    messages = _fan_out(
        audiences,
        event_type=EventType.LESSON_CREATED,
        single=texts.lesson_created,
        many=texts.lessons_created_many,
        student_users=_student_users(lessons),
    )
    return outbox_put(messages)


def notify_lessons_moved(*, lesson_ids, previous_start: dict | None) -> int:
    lessons = list(selectors.lessons_with_people().filter(id__in=_uuid_set(lesson_ids)))
    previous = {str(k): _as_datetime(v) for k, v in (previous_start or {}).items()}

    def single(item, tz, child):
        return texts.lesson_rescheduled(item, previous.get(str(item["id"])), tz, child)

    messages = _fan_out(
        _audiences(lessons, student_ids=None),
        event_type=EventType.LESSON_RESCHEDULED,
        single=single,
        many=texts.lessons_rescheduled_many,
        student_users=_student_users(lessons),
    )
    return outbox_put(messages)


def notify_lessons_cancelled(*, lesson_ids, actor: str, student_ids=None) -> int:
    lessons = list(selectors.lessons_with_people().filter(id__in=_uuid_set(lesson_ids)))
    wanted = _uuid_set(student_ids) if student_ids else None
    if actor == "student":
        return _notify_teacher_student_cancelled(lessons, wanted)
    messages = _fan_out(
        _audiences(lessons, student_ids=wanted or {r.student_id for x in lessons for r in x.lesson_students.all()}),
        event_type=EventType.LESSON_CANCELLED,
        single=texts.lesson_cancelled,
        many=texts.lessons_cancelled_many,
        student_users=_student_users(lessons),
    )
    return outbox_put(messages)


def _notify_teacher_student_cancelled(lessons: list[Lesson], wanted: set | None) -> int:
    """A student cancelled: the tutor hears who and what; the student's parents get a copy."""
    now = timezone.now()
    messages = []
    for lesson in lessons:
        if lesson.start_at <= now:
            continue
        teacher_user = lesson.teacher.user
        data = selectors.lesson_dict(lesson)
        for row in lesson.lesson_students.all():
            if wanted is not None and row.student_id not in wanted:
                continue
            name = selectors.display_name(row.student.user)
            whole = lesson.status == Lesson.Status.CANCELLED
            messages.append(
                Message(
                    event_type=EventType.LESSON_CANCELLED,
                    recipient=teacher_user,
                    key=dedupe_key(
                        EventType.LESSON_CANCELLED, teacher_user.pk, lesson.id, lesson.start_at, row.student_id
                    ),
                    text=texts.student_cancelled(data, name, teacher_user.timezone, whole),
                    markup=texts.webapp_markup(texts.BTN_SCHEDULE),
                    lesson_id=lesson.id,
                    lesson_start=lesson.start_at,
                )
            )
    audiences = _audiences(
        lessons, student_ids=wanted or {r.student_id for x in lessons for r in x.lesson_students.all()}
    )
    student_users = _student_users(lessons)
    parent_audiences = [a for a in audiences if a.user.pk not in student_users]
    messages += _fan_out(
        parent_audiences,
        event_type=EventType.LESSON_CANCELLED,
        single=texts.lesson_cancelled,
        many=texts.lessons_cancelled_many,
        student_users=student_users,
    )
    return outbox_put(messages)


def _as_datetime(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return parse_datetime(value.replace("Z", "+00:00"))
    return None


def notify_lessons_deleted(*, teacher_id, snapshots: list[dict]) -> int:
    """Deleted future lessons read as cancelled to their students (and parents); same dedupe key as a cancel."""
    now = timezone.now()
    teacher = TeacherProfile.objects.select_related("user").filter(pk=teacher_id).first()
    if teacher is None:
        return 0
    snaps = []
    for snap in snapshots or []:
        start = _as_datetime(snap.get("startAt") or snap.get("start_at"))
        if start is None or start <= now:
            continue
        snaps.append((snap, start, _uuid_set(snap.get("studentIds") or snap.get("student_ids"))))
    all_students = set().union(*(s for _, _, s in snaps)) if snaps else set()
    students = {s.pk: s for s in StudentProfile.objects.select_related("user").filter(pk__in=all_students)}
    parents = selectors.parent_relations((teacher.pk, sid) for sid in all_students)
    teacher_display = selectors.teacher_name(teacher)
    by_user: dict = defaultdict(list)  # (user, child_id|None) -> lessons
    for snap, start, sids in snaps:
        item = {
            "id": snap.get("id"),
            "start": start,
            "subject": snap.get("subjectName") or snap.get("subject_name"),
            "teacher": teacher_display,
            "meeting_url": None,
        }
        for sid in sids:
            student = students.get(sid)
            if student is None:
                continue
            by_user[(student.user, None, None)].append(item)
            for parent_user in parents.get((teacher.pk, sid), []):
                by_user[(parent_user, sid, selectors.display_name(student.user))].append(item)
    messages = []
    for (user, child_id, child), items in by_user.items():
        items.sort(key=lambda d: d["start"])
        first = items[0]
        text = (
            texts.lesson_cancelled(first, user.timezone, child)
            if len(items) == 1
            else texts.lessons_cancelled_many(len(items), first, user.timezone, child)
        )
        extra = ([child_id] if child_id else []) + ([f"x{len(items)}"] if len(items) > 1 else [])
        messages.append(
            Message(
                event_type=EventType.LESSON_CANCELLED,
                recipient=user,
                key=dedupe_key(EventType.LESSON_CANCELLED, user.pk, first["id"], first["start"], *extra),
                text=text,
                markup=texts.webapp_markup(texts.BTN_SCHEDULE),
                lesson_id=_uuid_set([first["id"]]).pop() if first["id"] else None,
                lesson_start=first["start"],
            )
        )
    return outbox_put(messages)


def notify_calendar_imported(*, teacher_id, imported: int, updated: int, series_created: int, source: str) -> int:
    """One summary to the tutor per import (never a message per imported lesson). Gated like lesson messages."""
    if not (imported or updated):
        return 0
    user = User.objects.filter(teacher_profile__id=teacher_id).first()
    if user is None:
        return 0
    message = Message(
        event_type=EventType.LESSON_CREATED,
        recipient=user,
        key=dedupe_key(EventType.LESSON_CREATED, user.pk, None, None, "import", uuid.uuid4().hex),
        text=texts.calendar_imported(imported=imported, updated=updated, series_created=series_created, source=source),
        markup=texts.webapp_markup(texts.BTN_SCHEDULE),
    )
    return outbox_put([message])
