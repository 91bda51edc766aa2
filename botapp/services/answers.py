"""Reminders students (and parents) answer with one tap: "✅ Приду" / "❌ Не смогу" (issue 16).

Callback data is `r:<token>:<action>` where the token is random and opaque (bot_reminder_answers): it names
the lesson, the student and the one user whose tap counts. An answer that acts uses the token up, inside the
transaction of the change, so a replay, a double tap or a race between two taps changes nothing. The
services act on the lesson as it is now (moved, cancelled, started), never on the reminder's copy of it."""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import StudentProfile, User
from lessons.models import Lesson, LessonStudent
from tutorcal.errors import DomainError

from .. import selectors, texts
from ..models import ReminderAnswer
from .marking import MarkOutcome

logger = logging.getLogger(__name__)

COME, CANT, CANT_CONFIRMED = "c", "x", "y"
ACTIONS = {COME, CANT, CANT_CONFIRMED}


@dataclass
class Ask:
    """One reminder that will carry answer buttons: who gets it, and which student's row it answers for."""

    lesson_id: uuid.UUID
    student_id: uuid.UUID
    user: User


def callback_data(token: str, action: str) -> str:
    return f"r:{token}:{action}"


def parse_callback(data: str) -> tuple[str, str] | None:
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != "r" or parts[2] not in ACTIONS or not 16 <= len(parts[1]) <= 32:
        return None
    return parts[1], parts[2]


def _keyboard(token: str) -> dict:
    return {
        "inline_keyboard": [
            [
                {"text": texts.BTN_COME, "callback_data": callback_data(token, COME)},
                {"text": texts.BTN_CANT, "callback_data": callback_data(token, CANT)},
            ],
            *texts.webapp_markup(texts.BTN_OPEN)["inline_keyboard"],
        ]
    }


def tokens_issue(asks: list[Ask]) -> list[dict]:
    """A fresh token per reminder (ONE insert for all of them) -> the reminders' keyboards, in order."""
    rows = [
        ReminderAnswer(token=secrets.token_urlsafe(16), lesson_id=a.lesson_id, student_id=a.student_id, user=a.user)
        for a in asks
    ]
    ReminderAnswer.objects.bulk_create(rows)
    return [_keyboard(r.token) for r in rows]


def _lesson_text(lesson_id, answer: ReminderAnswer, line: str) -> str:
    """The reminder re-rendered from the lesson as it is now, plus the answer's outcome."""
    lesson = selectors.lessons_with_people().filter(pk=lesson_id).first()
    if lesson is None:
        return line
    user = answer.user
    child = None if answer.student.user_id == user.pk else selectors.display_name(answer.student.user)
    head = "⏰ <b>Занятие</b>" + texts.about(child)
    block = texts._lesson_block(
        lesson.subject.name if lesson.subject else None,
        lesson.start_at,
        user.timezone,
        selectors.teacher_name(lesson.teacher),
        lesson.meeting_url,
    )
    return f"{head}\n\n{block}\n\n{line}"


def _costs(student: StudentProfile, lesson_id) -> tuple[int, bool]:
    """(price, paid by a package?) of the row a charged cancel would count."""
    from subscriptions.selectors import active_subscription

    row = LessonStudent.objects.select_related("lesson").get(student=student, lesson_id=lesson_id)
    if row.paid_from_subscription:
        return 0, True
    payable = row.payment_type in (LessonStudent.PaymentType.SUBSCRIPTION, LessonStudent.PaymentType.FIXED)
    package = payable and active_subscription(row.lesson.teacher_id, student.pk) is not None
    return row.price_rub, package


def reminder_answer_from_bot(*, telegram_id: int, data: str) -> MarkOutcome:
    """A student or parent pressed a reminder's button."""
    from lessons.services.student_lessons import (
        lesson_student_confirm,
        student_cancel_preview,
        student_lesson_cancel,
    )

    parsed = parse_callback(data)
    if parsed is None:
        return MarkOutcome(alert=texts.ANSWER_STALE)
    token, action = parsed
    with transaction.atomic():
        answer = (
            ReminderAnswer.objects.select_for_update(of=("self",))
            .select_related("user", "student__user")
            .filter(pk=token)
            .first()
        )
        if answer is None:
            return MarkOutcome(alert=texts.ANSWER_STALE)
        if answer.user.telegram_id != telegram_id or answer.user.deleted_at is not None:
            return MarkOutcome(alert=texts.ANSWER_NOT_YOURS)
        if answer.used_at is not None:
            return MarkOutcome(alert=texts.ANSWER_USED)
        student, lesson_id = answer.student, answer.lesson_id
        try:
            if action == COME:
                lesson_student_confirm(student=student, lesson_id=lesson_id)
                line = texts.ANSWER_COMING
            else:
                if action == CANT:
                    preview = student_cancel_preview(student=student, lesson_id=lesson_id)
                    if preview.costs_the_student:
                        price, package = _costs(student, lesson_id)
                        confirm = callback_data(token, CANT_CONFIRMED)
                        markup = {
                            "inline_keyboard": [
                                [{"text": texts.BTN_CANT_CONFIRM, "callback_data": confirm}],
                                [{"text": texts.BTN_COME, "callback_data": callback_data(token, COME)}],
                            ]
                        }
                        text = _lesson_text(lesson_id, answer, texts.answer_cost(price, package, preview.note))
                        return MarkOutcome(toast=None, text=text, markup=markup)
                decision = student_lesson_cancel(student=student, lesson_id=lesson_id)
                line = texts.answer_cancelled(decision.outcome, decision.note)
        except DomainError as exc:
            if exc.code == "LESSON_NOT_FOUND" or not Lesson.objects.filter(pk=lesson_id).exists():
                return MarkOutcome(alert=texts.LESSON_GONE)
            return MarkOutcome(alert=texts.ANSWER_TOO_LATE)
        answer.used_at = timezone.now()
        answer.answer = "come" if action == COME else "cancel"
        answer.save(update_fields=["used_at", "answer"])
        return MarkOutcome(toast="Готово", text=_lesson_text(lesson_id, answer, line), markup=None)
