"""Joins and registrations -> messages: the tutor hears about a new student; a user who joined through
the bot or registered gets a welcome (once: the dedupe key names role and whom they joined)."""

from __future__ import annotations

import logging

from django.utils import timezone

from accounts.models import StudentProfile, TeacherProfile, User

from .. import selectors, texts
from ..models import EventType, Outbox
from .outbox import Message, dedupe_key, outbox_put

logger = logging.getLogger(__name__)


def welcome_key(*, user_id, role: str, about_id) -> str:
    return dedupe_key(EventType.WELCOME, user_id, None, None, role, about_id)


def welcome_answered_in_chat(*, user: User, role: str, about_id) -> None:
    """A /start join already told the chat the outcome: record the join's welcome as done. The join announced
    its event in this same transaction, so its welcome row may already be queued (uncommitted, so no worker
    can have it): it is turned into `skipped`; otherwise a skipped row takes the key first."""
    key = welcome_key(user_id=user.pk, role=role, about_id=about_id)
    done = Outbox.objects.filter(dedupe_key=key, status=Outbox.Status.PENDING).update(
        status=Outbox.Status.SKIPPED, last_error="answered in the chat"
    )
    if done:
        return
    Outbox.objects.bulk_create(
        [
            Outbox(
                event_type=EventType.WELCOME,
                dedupe_key=key,
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
