"""One-tap lesson marking from the bot: the buttons' callback data, the prompt's text and keyboard, and
the tap itself (completed through the calendar's own service)."""

from __future__ import annotations

import base64
import logging
import uuid
from dataclasses import dataclass

from django.utils import timezone

from lessons.models import Lesson, LessonStudent
from tutorcal.errors import DomainError

from .. import selectors, texts

logger = logging.getLogger(__name__)


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


def _unmarked_rows(lesson: Lesson) -> list:
    return [r for r in lesson.lesson_students.all() if r.attendance == LessonStudent.Attendance.UNKNOWN]


def active_subscription_pairs(lessons: list[Lesson]) -> set[tuple]:
    """{(teacher_id, student_id)} whose subscription can pay for a lesson now, for the unmarked students of
    all `lessons` in ONE query (a prompt offers "paid from the package" only to them)."""
    from subscriptions.selectors import is_active, non_deleted

    pairs = {(lesson.teacher_id, r.student_id) for lesson in lessons for r in _unmarked_rows(lesson)}
    if not pairs:
        return set()
    now = timezone.now()
    subs = non_deleted().filter(teacher_id__in={t for t, _ in pairs}, student_id__in={s for _, s in pairs})
    return {(x.teacher_id, x.student_id) for x in subs if (x.teacher_id, x.student_id) in pairs and is_active(x, now)}


def prompt_render(lesson: Lesson, tz: str, *, paying_pairs: set[tuple] | None = None) -> tuple[str, dict | None]:
    """The 'How did it go?' text with each student's state, and buttons for students not marked yet.
    `paying_pairs` (from active_subscription_pairs over many lessons) saves the query per lesson."""
    rows = [r for r in lesson.lesson_students.all() if r.attendance != LessonStudent.Attendance.CANCELLED]
    if paying_pairs is None:
        paying_pairs = active_subscription_pairs([lesson])
    subs = {student_id for teacher_id, student_id in paying_pairs if teacher_id == lesson.teacher_id}
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
