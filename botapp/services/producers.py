"""Periodic producers run by the worker: lesson reminders and the end-of-lesson "How did it go?" prompt.
Each is idempotent (rows already queued are excluded in SQL; the unique dedupe key settles races)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import DateTimeField, ExpressionWrapper, F, IntegerField, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from lessons.models import Lesson, LessonStudent

from .. import selectors, texts
from ..models import EventType
from .answers import Ask, tokens_issue
from .marking import active_subscription_pairs, prompt_render
from .outbox import Message, dedupe_key, outbox_put


def reachable(user_path: str) -> Q:
    """The user has a messenger we can write to: Telegram, or MAX for those who came only through MAX."""
    return Q(**{f"{user_path}__telegram_id__isnull": False}) | Q(**{f"{user_path}__max_id__isnull": False})


logger = logging.getLogger(__name__)

DEFAULT_REMINDER_MINUTES = 60
MAX_REMINDER_LEAD = timedelta(days=7)
PROMPT_MAX_AGE = timedelta(hours=12)
PROMPT_LOOKBACK = timedelta(hours=36)


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
            student__user__deleted_at__isnull=True,
        )
        .filter(reachable("student__user"))
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
    asks = []
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
            asks.append(Ask(lesson_id=lesson.id, student_id=r.student_id, user=user))
    # Each Telegram reminder carries its own single-use answer buttons (one INSERT for all of them); MAX keeps
    # the app button (its callbacks are not wired to answers yet).
    on_telegram = [i for i, m in enumerate(messages) if m.recipient.telegram_id and m.recipient.deleted_at is None]
    for i, markup in zip(on_telegram, tokens_issue([asks[i] for i in on_telegram]), strict=True):
        messages[i].markup = markup
    return outbox_put(messages)


def prompts_enqueue(*, now: datetime | None = None) -> int:
    """When a planned lesson has ended (within the last 12 h), ask its tutor how it went — once."""
    now = now or timezone.now()
    lessons = (
        selectors.lessons_with_people()
        .filter(
            status=Lesson.Status.PLANNED,
            start_at__lte=now,
            start_at__gte=now - PROMPT_LOOKBACK,
            teacher__user__deleted_at__isnull=True,
        )
        .filter(reachable("teacher__user"))
        .exclude(
            selectors.already_queued(
                EventType.LESSON_PROMPT, recipient_field="teacher__user_id", lesson_field="id", start_field="start_at"
            )
        )
    )
    ended = [
        lesson
        for lesson in lessons
        if now - PROMPT_MAX_AGE <= lesson.start_at + timedelta(minutes=lesson.duration_minutes) <= now
    ]
    paying = active_subscription_pairs(ended)  # one query for every prompt, not one per lesson
    messages = []
    for lesson in ended:
        teacher_user = lesson.teacher.user
        text, markup = prompt_render(lesson, teacher_user.timezone, paying_pairs=paying)
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
