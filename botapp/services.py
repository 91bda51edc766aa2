"""Bot writes: notification settings, the outbox (what to send to whom, exactly once), the periodic producers
(reminders, end-of-lesson prompts) and one-tap lesson marking."""

from __future__ import annotations

import base64
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, IntegerField, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import StudentProfile, TeacherProfile, User
from lessons.models import Lesson, LessonStudent
from tutorcal.errors import DomainError

from . import selectors, texts
from .models import PREFERENCE_FIELDS, SERVICE_EVENTS, EventType, Outbox, UserNotificationSettings

logger = logging.getLogger(__name__)

DEFAULT_REMINDER_MINUTES = 60
MAX_REMINDER_LEAD = timedelta(days=7)
PROMPT_MAX_AGE = timedelta(hours=12)
PROMPT_LOOKBACK = timedelta(hours=36)


# ---- settings -----------------------------------------------------------------------------------------


def settings_get(*, user: User) -> UserNotificationSettings:
    row, _ = UserNotificationSettings.objects.get_or_create(user=user)
    return row


def settings_json(row: UserNotificationSettings) -> dict:
    return {
        "notificationsAsked": row.notifications_asked,
        "notificationsEnabled": row.notifications_enabled,
        "lessonCreatedEnabled": row.lesson_created_enabled,
        "lessonRescheduledEnabled": row.lesson_rescheduled_enabled,
        "lessonCancelledEnabled": row.lesson_cancelled_enabled,
        "lessonReminderEnabled": row.lesson_reminder_enabled,
        "lessonPromptEnabled": row.lesson_prompt_enabled,
        "newStudentEnabled": row.new_student_enabled,
    }


@transaction.atomic
def settings_set_master(*, user: User, enabled: bool) -> UserNotificationSettings:
    """`/initial` and `/toggle`: the user answered; turning notifications on also clears a 'blocked' mark."""
    row, _ = UserNotificationSettings.objects.select_for_update().get_or_create(user=user)
    row.notifications_asked = True
    row.notifications_enabled = enabled
    if enabled:
        row.bot_blocked_at = None
    row.save()
    return row


@transaction.atomic
def settings_set_preferences(*, user: User, preferences: dict[str, bool]) -> UserNotificationSettings:
    row, _ = UserNotificationSettings.objects.select_for_update().get_or_create(user=user)
    for event_type, enabled in preferences.items():
        setattr(row, PREFERENCE_FIELDS[EventType(event_type)], bool(enabled))
    row.save()
    return row


def settings_mark_blocked(*, user_id) -> None:
    """Telegram said the chat is unreachable (blocked, deleted, never started): stop sending to it."""
    now = timezone.now()
    updated = UserNotificationSettings.objects.filter(user_id=user_id).update(
        notifications_enabled=False, bot_blocked_at=now, updated_at=now
    )
    if not updated:
        UserNotificationSettings.objects.get_or_create(
            user_id=user_id, defaults={"notifications_enabled": False, "bot_blocked_at": now}
        )
    Outbox.objects.filter(recipient_id=user_id, status=Outbox.Status.PENDING).update(
        status=Outbox.Status.SKIPPED, last_error="chat unreachable (blocked or not found)"
    )


def settings_mark_reachable(*, user_id) -> None:
    """The user wrote to the bot, so the chat works again."""
    UserNotificationSettings.objects.filter(user_id=user_id, bot_blocked_at__isnull=False).update(bot_blocked_at=None)


def gate(row: UserNotificationSettings | None, event_type: str) -> bool:
    """May `event_type` go to this user? Lesson messages need the master switch and the type's flag
    (reference §4.1); service messages (welcome, new student, test) only need a reachable chat."""
    if row is not None and row.bot_blocked_at is not None:
        return False
    if event_type in SERVICE_EVENTS:
        column = PREFERENCE_FIELDS.get(event_type)
        return row is None or column is None or getattr(row, column)
    if row is None or not row.notifications_enabled:
        return False
    column = PREFERENCE_FIELDS.get(event_type)
    return bool(column and getattr(row, column))


# ---- outbox ---------------------------------------------------------------------------------------------


@dataclass
class Message:
    event_type: str
    recipient: User
    key: str
    text: str
    markup: dict | None = None
    lesson_id: uuid.UUID | None = None
    lesson_start: datetime | None = None
    extra_gate: bool = True  # e.g. the parent relation's own switch


def dedupe_key(event_type: str, recipient_id, lesson_id=None, start: datetime | None = None, *extra) -> str:
    parts = [str(event_type), str(recipient_id), str(lesson_id or "-"), start.isoformat() if start else "-"]
    parts += [str(x) for x in extra]
    return ":".join(parts)[:255]


def outbox_put(messages: list[Message], *, settings_rows: dict | None = None) -> int:
    """Queue messages (one INSERT). A message whose gate is closed is recorded as `skipped`, so periodic
    producers do not reconsider it; the unique dedupe key makes every producer idempotent."""
    messages = [m for m in messages if m.recipient.telegram_id and m.recipient.deleted_at is None]
    if not messages:
        return 0
    if settings_rows is None:
        settings_rows = selectors.settings_by_user(m.recipient.pk for m in messages)
    now = timezone.now()
    rows = []
    seen: set[str] = set()
    for m in messages:
        if m.key in seen:
            continue
        seen.add(m.key)
        allowed = m.extra_gate and gate(settings_rows.get(m.recipient.pk), m.event_type)
        rows.append(
            Outbox(
                event_type=m.event_type,
                dedupe_key=m.key,
                recipient_id=m.recipient.pk,
                chat_id=m.recipient.telegram_id,
                lesson_id=m.lesson_id,
                lesson_start=m.lesson_start,
                text=m.text,
                reply_markup=m.markup,
                status=Outbox.Status.PENDING if allowed else Outbox.Status.SKIPPED,
                last_error="" if allowed else "notifications off for this user",
                next_attempt_at=now,
            )
        )
    # One INSERT … ON CONFLICT DO NOTHING, in key order so concurrent producers lock in the same order.
    rows.sort(key=lambda r: r.dedupe_key)
    Outbox.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def outbox_put_chat(*, event_type: str, chat_id: int, key: str, text: str) -> int | None:
    """Queue one message to a chat that belongs to no user (e.g. the staff support chat). Returns the row id
    (that of the earlier row when the key was queued before)."""
    Outbox.objects.bulk_create(
        [
            Outbox(
                event_type=event_type,
                dedupe_key=key[:255],
                chat_id=chat_id,
                text=text,
                next_attempt_at=timezone.now(),
            )
        ],
        ignore_conflicts=True,
    )
    return Outbox.objects.filter(dedupe_key=key[:255]).values_list("id", flat=True).first()


@transaction.atomic
def outbox_retry(*, ids) -> int:
    """Admin action: put failed/skipped rows back in the queue now."""
    return Outbox.objects.filter(id__in=ids, status__in=[Outbox.Status.FAILED, Outbox.Status.SKIPPED]).update(
        status=Outbox.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error="", claimed_by=""
    )


def outbox_prune(*, now: datetime | None = None) -> int:
    """Delete delivered/skipped rows older than BOT_OUTBOX_RETENTION_DAYS (failed ones are kept 3x longer)."""
    now = now or timezone.now()
    days = getattr(settings, "BOT_OUTBOX_RETENTION_DAYS", 30)
    done, _ = Outbox.objects.filter(
        status__in=[Outbox.Status.SENT, Outbox.Status.SKIPPED], created_at__lt=now - timedelta(days=days)
    ).delete()
    failed, _ = Outbox.objects.filter(
        status=Outbox.Status.FAILED, created_at__lt=now - timedelta(days=3 * days)
    ).delete()
    return done + failed


# ---- lesson events -> messages ----------------------------------------------------------------------


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
        extra = [aud.child_id] if is_parent else []
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


# ---- joins and registrations ----------------------------------------------------------------------------


def welcome_key(*, user_id, role: str, about_id) -> str:
    return dedupe_key(EventType.WELCOME, user_id, None, None, role, about_id)


def welcome_answered_in_chat(*, user: User, role: str, about_id) -> None:
    """A /start join already told the chat the outcome: record the join's welcome as done, so the event's
    own welcome (same dedupe key) is not queued."""
    Outbox.objects.bulk_create(
        [
            Outbox(
                event_type=EventType.WELCOME,
                dedupe_key=welcome_key(user_id=user.pk, role=role, about_id=about_id),
                recipient=user,
                chat_id=user.telegram_id,
                text="(answered in the chat)",
                status=Outbox.Status.SKIPPED,
                last_error="answered in the chat",
                next_attempt_at=timezone.now(),
            )
        ],
        ignore_conflicts=True,
    )


def notify_student_joined(*, teacher_id, student_id, via: str, restored: bool) -> int:
    teacher = TeacherProfile.objects.select_related("user").filter(pk=teacher_id).first()
    student = StudentProfile.objects.select_related("user").filter(pk=student_id).first()
    if teacher is None or student is None:
        return 0
    today = timezone.now().date().isoformat()
    messages = [
        Message(
            event_type=EventType.NEW_STUDENT,
            recipient=teacher.user,
            key=dedupe_key(EventType.NEW_STUDENT, teacher.user_id, None, None, student.pk, today),
            text=texts.new_student(selectors.display_name(student.user)),
            markup=texts.webapp_markup(texts.BTN_STUDENTS),
        )
    ]
    if via != "web":
        messages.append(
            Message(
                event_type=EventType.WELCOME,
                recipient=student.user,
                key=welcome_key(user_id=student.user_id, role="student", about_id=teacher.pk),
                text=texts.welcome("student", teacher_name=selectors.teacher_name(teacher)),
                markup=texts.webapp_markup(texts.BTN_SCHEDULE),
            )
        )
    return outbox_put(messages)


def notify_parent_joined(*, parent_id, student_id, via: str) -> int:
    if via == "web":
        return 0
    parent_user = User.objects.filter(parent_profile__pk=parent_id).first()
    student = StudentProfile.objects.select_related("user").filter(pk=student_id).first()
    if parent_user is None or student is None:
        return 0
    message = Message(
        event_type=EventType.WELCOME,
        recipient=parent_user,
        key=welcome_key(user_id=parent_user.pk, role="parent", about_id=student.pk),
        text=texts.welcome("parent", child_name=selectors.display_name(student.user)),
        markup=texts.webapp_markup("👨‍👩‍👧 Открыть"),
    )
    return outbox_put([message])


def notify_user_registered(*, user_id, role: str) -> int:
    user = User.objects.filter(pk=user_id).first()
    if user is None or role not in ("teacher", "student", "parent"):
        return 0
    labels = {"teacher": "📱 Открыть приложение", "student": texts.BTN_SCHEDULE, "parent": "👨‍👩‍👧 Открыть"}
    message = Message(
        event_type=EventType.WELCOME,
        recipient=user,
        key=dedupe_key(EventType.WELCOME, user.pk, None, None, role),
        text=texts.welcome(role),
        markup=texts.webapp_markup(labels[role]),
    )
    return outbox_put([message])


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


# ---- periodic producers -------------------------------------------------------------------------------


def reminders_enqueue(*, now: datetime | None = None) -> int:
    """Queue every reminder that is due: lead = the row's reminderMinutesBefore, else the student's default,
    else 60. Planned lessons only, before they start. Rows already queued are excluded in SQL, and a
    concurrent worker inserting the same key loses quietly (unique dedupe key)."""
    now = now or timezone.now()
    lead = Coalesce(
        F("reminder_minutes_before"),
        F("student__notification_settings__default_reminder_minutes_before"),
        Value(DEFAULT_REMINDER_MINUTES),
        output_field=IntegerField(),
    )
    qs = (
        LessonStudent.objects.filter(
            lesson__status=Lesson.Status.PLANNED,
            lesson__start_at__gt=now,
            lesson__start_at__lte=now + MAX_REMINDER_LEAD,
            student__user__telegram_id__isnull=False,
            student__user__deleted_at__isnull=True,
        )
        .exclude(attendance=LessonStudent.Attendance.CANCELLED)
        .exclude(student__notification_settings__enable_lesson_reminders=False)
        .annotate(lead=lead)
        .exclude(
            selectors.already_queued(
                EventType.LESSON_REMINDER,
                recipient_field="student__user_id",
                lesson_field="lesson_id",
                start_field="lesson__start_at",
            )
        )
        .select_related("lesson__subject", "lesson__teacher__user", "student__user")
    )
    if connection.vendor == "postgresql":
        due = ExpressionWrapper(F("lesson__start_at") - F("lead") * Value(timedelta(minutes=1)), DateTimeField())
        qs = qs.annotate(due_at=due).filter(due_at__lte=now)
    rows = [r for r in qs if r.lesson.start_at - timedelta(minutes=r.lead) <= now]
    if not rows:
        return 0
    parents = selectors.parent_relations((r.lesson.teacher_id, r.student_id) for r in rows)
    messages = []
    for r in rows:
        lesson = r.lesson
        item = {
            "id": lesson.id,
            "start": lesson.start_at,
            "subject": lesson.subject.name if lesson.subject else None,
            "teacher": selectors.teacher_name(lesson.teacher),
            "meeting_url": lesson.meeting_url,
        }
        child = selectors.display_name(r.student.user)
        recipients = [(r.student.user, None)] + [(p, child) for p in parents.get((lesson.teacher_id, r.student_id), [])]
        for user, child_name in recipients:
            extra = [r.student_id] if child_name else []
            messages.append(
                Message(
                    event_type=EventType.LESSON_REMINDER,
                    recipient=user,
                    key=dedupe_key(EventType.LESSON_REMINDER, user.pk, lesson.id, lesson.start_at, *extra),
                    text=texts.reminder(item, user.timezone, r.lead, child_name),
                    markup=texts.webapp_markup(texts.BTN_OPEN),
                    lesson_id=lesson.id,
                    lesson_start=lesson.start_at,
                )
            )
    return outbox_put(messages)


def _b64(value: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(value.bytes).decode().rstrip("=")


def _unb64(value: str) -> uuid.UUID:
    return uuid.UUID(bytes=base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))


def mark_callback_data(lesson_id: uuid.UUID, student_id: uuid.UUID, code: str) -> str:
    """'m:<lesson>:<student>:<code>' with base64url ids — 50 bytes, within Telegram's 64."""
    return f"m:{_b64(lesson_id)}:{_b64(student_id)}:{code}"


def parse_mark_callback(data: str) -> tuple[uuid.UUID, uuid.UUID, str] | None:
    try:
        prefix, lesson, student, code = (data or "").split(":")
        if prefix != "m" or code not in texts.MARK_LABELS:
            return None
        return _unb64(lesson), _unb64(student), code
    except (ValueError, TypeError):
        return None


def active_subscription_students(*, teacher_id, student_ids) -> set:
    """Students of this teacher whose subscription can pay for a lesson now (one query)."""
    from subscriptions.selectors import is_active, subscriptions_by_student

    now = timezone.now()
    return {sid for sid, sub in subscriptions_by_student(teacher_id, student_ids).items() if is_active(sub, now)}


def prompt_render(lesson: Lesson, tz: str) -> tuple[str, dict | None]:
    """The 'How did it go?' text with each student's state, and buttons for students not marked yet."""
    rows = [r for r in lesson.lesson_students.all() if r.attendance != LessonStudent.Attendance.CANCELLED]
    subs = active_subscription_students(
        teacher_id=lesson.teacher_id,
        student_ids=[r.student_id for r in rows if r.attendance == LessonStudent.Attendance.UNKNOWN],
    )
    item = selectors.lesson_dict(lesson)
    marked = lesson.status == Lesson.Status.DONE
    students = []
    keyboard = []
    group = len(rows) > 1
    for r in rows:
        name = selectors.display_name(r.student.user)
        result = texts.row_result(r.attendance, r.payment_status, r.paid_from_subscription) if marked else None
        students.append({"name": name, "result": result})
        if result is not None:
            continue
        codes = ["s", "x"] if r.student_id in subs else ["p", "u", "x"]
        short = (r.student.user.first_name or name)[:14]
        buttons = []
        for code in codes:
            label = texts.MARK_LABELS[code]
            if group:
                label = f"{label.split(' ', 1)[0]} {short}"
            buttons.append({"text": label, "callback_data": mark_callback_data(lesson.id, r.student_id, code)})
        if group:
            keyboard.append(buttons)
        else:
            keyboard.extend([[b] for b in buttons[:-1]] + [[buttons[-1]]])
    return texts.prompt(item, tz, students), ({"inline_keyboard": keyboard} if keyboard else None)


def prompts_enqueue(*, now: datetime | None = None) -> int:
    """When a planned lesson has ended (within the last 12 h), ask its tutor how it went — once."""
    now = now or timezone.now()
    lessons = (
        selectors.lessons_with_people()
        .filter(
            status=Lesson.Status.PLANNED,
            start_at__lte=now,
            start_at__gte=now - PROMPT_LOOKBACK,
            teacher__user__telegram_id__isnull=False,
            teacher__user__deleted_at__isnull=True,
        )
        .exclude(
            selectors.already_queued(
                EventType.LESSON_PROMPT, recipient_field="teacher__user_id", lesson_field="id", start_field="start_at"
            )
        )
    )
    messages = []
    for lesson in lessons:
        end = lesson.start_at + timedelta(minutes=lesson.duration_minutes)
        if end > now or end < now - PROMPT_MAX_AGE:
            continue
        teacher_user = lesson.teacher.user
        text, markup = prompt_render(lesson, teacher_user.timezone)
        messages.append(
            Message(
                event_type=EventType.LESSON_PROMPT,
                recipient=teacher_user,
                key=dedupe_key(EventType.LESSON_PROMPT, teacher_user.pk, lesson.id, lesson.start_at),
                text=text,
                markup=markup,
                lesson_id=lesson.id,
                lesson_start=lesson.start_at,
                extra_gate=markup is not None,  # nobody to mark: recorded as skipped
            )
        )
    return outbox_put(messages)


# ---- one-tap marking ------------------------------------------------------------------------------------


@dataclass
class MarkOutcome:
    alert: str | None = None  # shown as an alert, message left alone
    toast: str | None = None  # short notice
    text: str | None = None  # new message text (None: do not edit)
    markup: dict | None = None


def lesson_mark_from_bot(*, telegram_id: int, data: str) -> MarkOutcome:
    """A tutor pressed a marking button: complete through the calendar's own service, then re-render."""
    parsed = parse_mark_callback(data)
    if parsed is None:
        return MarkOutcome(alert=texts.LESSON_GONE)
    lesson_id, student_id, code = parsed
    lesson = selectors.lessons_with_people().filter(pk=lesson_id).first()
    if lesson is None:
        return MarkOutcome(alert=texts.LESSON_GONE)
    teacher_user = lesson.teacher.user
    if teacher_user.telegram_id != telegram_id or teacher_user.deleted_at is not None:
        return MarkOutcome(alert=texts.NOT_YOUR_BUTTON)
    if lesson.status == Lesson.Status.CANCELLED:
        return MarkOutcome(alert=texts.LESSON_IS_CANCELLED)
    row = next((r for r in lesson.lesson_students.all() if r.student_id == student_id), None)
    if row is None:
        return MarkOutcome(alert="Этого ученика больше нет в занятии.")
    wanted = {
        "p": ("attended", "paid", False),
        "u": ("attended", "unpaid", False),
        "s": ("attended", None, True),
        "x": ("missed", None, False),
    }[code]
    current = texts.row_result(row.attendance, row.payment_status, row.paid_from_subscription)
    if lesson.status == Lesson.Status.DONE and current == texts.MARK_RESULTS[code]:
        text, markup = prompt_render(lesson, teacher_user.timezone)
        return MarkOutcome(toast=texts.ALREADY_MARKED, text=text, markup=markup)
    from lessons.services.completion import lesson_complete

    payload = {"student_id": student_id, "attendance": wanted[0]}
    if wanted[1]:
        payload["payment_status"] = wanted[1]
    if wanted[2]:
        payload["use_subscription"] = True
    elif wanted[0] == "attended":
        payload["use_subscription"] = False
    try:
        lesson_complete(teacher=lesson.teacher, lesson_id=lesson.id, students=[payload], actor="teacher")
    except DomainError as exc:
        if exc.code == "LESSON_CANCELLED":
            return MarkOutcome(alert=texts.LESSON_IS_CANCELLED)
        return MarkOutcome(alert=f"Не удалось отметить: {exc.code}")
    lesson = selectors.lessons_with_people().get(pk=lesson_id)
    text, markup = prompt_render(lesson, teacher_user.timezone)
    return MarkOutcome(toast=texts.MARKED, text=text, markup=markup)
