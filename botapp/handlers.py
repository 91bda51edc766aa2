"""What the bot answers. The decisions live in plain synchronous functions (`reply_*`) that return a list
of replies; thin async python-telegram-bot callbacks run them in a thread and send the replies."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from asgiref.sync import sync_to_async
from django.db import transaction
from django.utils import timezone
from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from accounts.selectors import profile_of
from accounts.services import users as account_services
from lessons.roster.services.joins import referral_code_join
from tutorcal.errors import DomainError

from . import selectors, texts
from .services import answers, marking, preferences, welcomes

logger = logging.getLogger(__name__)


@dataclass
class Reply:
    text: str
    markup: dict | None = None


def _who(telegram_id: int):
    """(user, role, profile) of a Telegram user; role is teacher > student > parent, or None."""
    user = selectors.user_by_telegram(telegram_id)
    if user is None:
        return None, None, None
    for role in ("teacher", "student", "parent"):
        profile = profile_of(user, role)
        if profile is not None:
            return user, role, profile
    return user, None, None


def _day_start(now: datetime, tz: str, days: int = 0) -> datetime:
    """Local midnight `days` from today in `tz` (wall-clock arithmetic: zoneinfo resolves DST)."""
    local = texts.local(now, tz)
    return datetime(local.year, local.month, local.day, tzinfo=local.tzinfo) + timedelta(days=days)


def _chunks(text: str, markup: dict | None = None) -> list[Reply]:
    parts = texts.split_message(text)
    return [Reply(part, markup if i == len(parts) - 1 else None) for i, part in enumerate(parts)]


def reply_start(tg_user: dict, payload: str) -> list[Reply]:
    """`/start` greets; `/start T_…` / `/start P_…` joins from the chat (same service as /api/auth/join)."""
    payload = (payload or "").strip()
    markup = texts.webapp_markup()
    if not payload.startswith(("T_", "P_")):
        user = selectors.user_by_telegram(tg_user["id"])
        if user is not None:
            preferences.settings_mark_reachable(user_id=user.pk)
        return [Reply(texts.start_greeting(tg_user.get("first_name", "")), markup)]
    try:
        with transaction.atomic():
            user, _ = account_services.user_get_or_create_from_telegram(tg_user=tg_user)
            result = referral_code_join(user=user, code=payload, via="telegram")
            about = result.teacher.pk if result.role == "student" else result.student.pk
            welcomes.welcome_answered_in_chat(user=user, role=result.role, about_id=about)
            preferences.settings_mark_reachable(user_id=user.pk)
    except DomainError as exc:
        return [Reply(texts.join_error(exc.code), markup)]
    if result.role == "student":
        text = texts.joined_as_student(selectors.teacher_name(result.teacher), result.is_new_connection)
    else:
        text = texts.joined_as_parent(selectors.display_name(result.student.user), result.is_new_connection)
    return [Reply(text, markup)]


def reply_help(telegram_id: int) -> list[Reply]:
    user, role, _ = _who(telegram_id)
    if user is None:
        return [Reply(texts.UNKNOWN_USER, texts.webapp_markup())]
    return [Reply(texts.help_text(role == "teacher"), texts.webapp_markup())]


def reply_schedule(telegram_id: int, command: str, *, now: datetime | None = None) -> list[Reply]:
    """/today /tomorrow /week /next for tutors (their lessons) and students (their own lessons)."""
    now = now or timezone.now()
    user, role, profile = _who(telegram_id)
    if user is None or role is None:
        return [Reply(texts.UNKNOWN_USER, texts.webapp_markup())]
    if role == "parent":
        return [Reply("Расписание ваших детей — в приложении 👇", texts.webapp_markup())]
    tz = user.timezone
    is_teacher = role == "teacher"
    if command == "next":
        item = (
            selectors.teacher_next_lesson(teacher_id=profile.pk)
            if is_teacher
            else selectors.student_next_lesson(student_id=profile.pk)
        )
        return _chunks(texts.next_lesson(item, tz, for_teacher=is_teacher), texts.webapp_markup(texts.BTN_SCHEDULE))
    offsets = {"today": (0, 1, "Сегодня"), "tomorrow": (1, 2, "Завтра"), "week": (0, 7, "Занятия на 7 дней")}
    first, last, title = offsets[command]
    start, end = _day_start(now, tz, first), _day_start(now, tz, last)
    items = (
        selectors.teacher_lessons(teacher_id=profile.pk, start=start, end=end)
        if is_teacher
        else selectors.student_lessons(student_id=profile.pk, start=start, end=end)
    )
    if command != "week":
        title = f"{title}, {texts.fmt_date(start, tz)}"
    text = texts.schedule(title, items, tz, for_teacher=is_teacher, group_by_day=command == "week")
    return _chunks(text, texts.webapp_markup(texts.BTN_SCHEDULE))


def reply_debts(telegram_id: int) -> list[Reply]:
    user, role, profile = _who(telegram_id)
    if user is None:
        return [Reply(texts.UNKNOWN_USER, texts.webapp_markup())]
    if role != "teacher":
        return [Reply(texts.TEACHER_ONLY)]
    return _chunks(texts.debts(selectors.teacher_debts(teacher_id=profile.pk)), texts.webapp_markup())


def reply_calendar(telegram_id: int, *, base_url: str | None = None) -> list[Reply]:
    """/calendar: the private ICS feed link of each of the user's roles (the tutor's first)."""
    from lessons.calendars.feed import feed_url

    user, role, _ = _who(telegram_id)
    if user is None or role is None:
        return [Reply(texts.UNKNOWN_USER, texts.webapp_markup())]
    links = [
        (r, feed_url(user=user, role=r, base_url=base_url))
        for r in ("teacher", "student", "parent")
        if profile_of(user, r) is not None
    ]
    return [Reply(texts.calendar_links(links), texts.webapp_markup())]


# ---- async glue ----------------------------------------------------------------------------------------


def _db(func):
    """Run a sync function in Django's request thread (Django's ASGI handler cleans its connections)."""
    return sync_to_async(func, thread_sensitive=True)


def markup_obj(markup: dict | None, bot=None) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup.de_json(markup, bot) if markup else None


async def _send(update: Update, context: ContextTypes.DEFAULT_TYPE, replies: list[Reply]) -> None:
    chat_id = update.effective_chat.id
    for reply in replies:
        await context.bot.send_message(
            chat_id=chat_id,
            text=reply.text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup_obj(reply.markup, context.bot),
            disable_web_page_preview=True,
        )


def _tg_user(update: Update) -> dict:
    u = update.effective_user
    return {"id": u.id, "first_name": u.first_name or "", "last_name": u.last_name or "", "username": u.username or ""}


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    payload = context.args[0] if context.args else ""
    await _send(update, context, await _db(reply_start)(_tg_user(update), payload))


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _send(update, context, await _db(reply_help)(update.effective_user.id))


async def on_schedule(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    command = update.effective_message.text.split()[0].lstrip("/").split("@")[0].lower()
    await _send(update, context, await _db(reply_schedule)(update.effective_user.id, command))


async def on_debts(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _send(update, context, await _db(reply_debts)(update.effective_user.id))


async def on_calendar(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _send(update, context, await _db(reply_calendar)(update.effective_user.id))


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _send(update, context, [Reply(texts.UNKNOWN_COMMAND)])


async def on_mark(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _answer_callback(update, context, marking.lesson_mark_from_bot)


async def on_reminder_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _answer_callback(update, context, answers.reminder_answer_from_bot)


async def _answer_callback(update: Update, context: ContextTypes.DEFAULT_TYPE, decide) -> None:
    """Run a button's decision, answer the tap, and edit the message it came from."""
    query = update.callback_query
    outcome = await _db(decide)(telegram_id=query.from_user.id, data=query.data or "")
    if outcome.alert:
        await query.answer(text=outcome.alert, show_alert=True)
        return
    await query.answer(text=outcome.toast)
    if outcome.text and query.message is not None:
        try:
            await query.edit_message_text(
                text=outcome.text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup_obj(outcome.markup, context.bot),
                disable_web_page_preview=True,
            )
        except Exception as exc:  # "message is not modified" and friends: the state is saved already
            logger.info("could not edit the marking message: %s", exc)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    logger.error("bot handler failed: %r", context.error, exc_info=context.error)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("start", on_start, filters=private))
    app.add_handler(CommandHandler("help", on_help, filters=private))
    app.add_handler(CommandHandler(["today", "tomorrow", "week", "next"], on_schedule, filters=private))
    app.add_handler(CommandHandler("debts", on_debts, filters=private))
    app.add_handler(CommandHandler("calendar", on_calendar, filters=private))
    app.add_handler(CallbackQueryHandler(on_mark, pattern=r"^m:"))
    app.add_handler(CallbackQueryHandler(on_reminder_answer, pattern=r"^r:"))
    app.add_handler(MessageHandler(private & filters.COMMAND, on_unknown_command))
    app.add_error_handler(on_error)
