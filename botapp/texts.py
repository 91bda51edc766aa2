"""Every Russian text the bot sends. Values coming from users are HTML-escaped here; times are rendered in
the recipient's time zone."""

from __future__ import annotations

import html
import zoneinfo
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings

TELEGRAM_LIMIT = 4096
WEEKDAYS = ["пн", "вт", "ср", "чт", "пт", "сб", "вс"]
WEEKDAYS_FULL = ["Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота", "Воскресенье"]
MONTHS = ["янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]
STATUS = {"planned": "🕐 запланировано", "done": "✅ проведено", "cancelled": "🚫 отменено"}
ATTENDANCE = {"attended": "был(а)", "missed": "пропустил(а)", "cancelled": "отменил(а)", "unknown": "не отмечено"}

BTN_OPEN_APP = "🚀 Открыть приложение"
BTN_MENU = "Открыть"  # the chat menu button (short: Telegram shows it beside the input field)
BTN_SCHEDULE = "📅 Открыть расписание"
BTN_OPEN = "📚 Открыть"
BTN_STUDENTS = "👥 Открыть список учеников"


def e(value) -> str:
    return html.escape(str(value or ""), quote=False)


def tz_of(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "Europe/Moscow")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Europe/Moscow")


def local(dt: datetime, tz: str | None) -> datetime:
    return dt.astimezone(tz_of(tz))


def fmt_date(dt: datetime, tz: str | None) -> str:
    d = local(dt, tz)
    return f"{WEEKDAYS[d.weekday()]}, {d.day} {MONTHS[d.month - 1]}"


def fmt_time(dt: datetime, tz: str | None) -> str:
    return local(dt, tz).strftime("%H:%M")


def fmt_when(dt: datetime, tz: str | None) -> str:
    return f"{fmt_date(dt, tz)}, {fmt_time(dt, tz)}"


def rub(amount: int) -> str:
    return f"{amount:,}".replace(",", " ") + " ₽"


def link(url: str | None, label: str) -> str:
    if not url:
        return ""
    return f'<a href="{html.escape(url, quote=True)}">{e(label)}</a>'


def webapp_markup(label: str = BTN_OPEN_APP) -> dict:
    """One inline button opening the Mini App (reply_markup as Telegram JSON)."""
    return {"inline_keyboard": [[{"text": label, "web_app": {"url": settings.WEBAPP_URL}}]]}


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split on line boundaries into chunks of at most `limit` characters (hard-cut over-long lines)."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return chunks


# ---- /start, joins, help ---------------------------------------------------------------------------


def start_greeting(first_name: str) -> str:
    name = e(first_name) or "друг"
    return (
        f"Привет, {name}! 👋\n\n"
        "Добро пожаловать в <b>Tutors Calendar</b> — приложение для репетиторов.\n\n"
        "Для преподавателей: удобное расписание, ученики, учёт оплат.\n"
        "Для учеников: расписание занятий и напоминания.\n\n"
        "Нажмите кнопку ниже, чтобы начать."
    )


def joined_as_student(teacher_name: str, is_new: bool) -> str:
    if not is_new:
        return f"Вы уже занимаетесь у преподавателя <b>{e(teacher_name)}</b>. Откройте приложение 👇"
    return (
        f"🎉 Готово! Теперь вы ученик преподавателя <b>{e(teacher_name)}</b>.\n\n"
        "Здесь будут напоминания о занятиях. Расписание — в приложении 👇"
    )


def joined_as_parent(child_name: str, is_new: bool) -> str:
    if not is_new:
        return f"Вы уже следите за занятиями: <b>{e(child_name)}</b>. Откройте приложение 👇"
    return (
        f"🎉 Готово! Теперь вы можете следить за занятиями: <b>{e(child_name)}</b>.\n\n"
        "Расписание и успехи — в приложении 👇"
    )


JOIN_ERRORS = {
    "TEACHER_NOT_FOUND": "Ссылка-приглашение недействительна: преподаватель не найден.",
    "STUDENT_NOT_FOUND": "Ссылка-приглашение недействительна: ученик не найден.",
    "CANNOT_JOIN_OWN_CODE": "Это ваша собственная ссылка-приглашение — поделитесь ею с учеником.",
    "STUDENT_HAS_NO_TEACHERS": "У ученика пока нет преподавателей, присоединиться нельзя.",
    "TUTOR_CANNOT_BE_PARENT": "Вы преподаватель этого ученика и не можете стать его родителем.",
    "INVALID_REFERRAL_CODE": "Ссылка-приглашение недействительна.",
    "ACCOUNT_DELETED": "Ваш аккаунт удалён. Откройте приложение, чтобы восстановить его.",
}


def join_error(code: str) -> str:
    return "⚠️ " + JOIN_ERRORS.get(code, "Не удалось присоединиться по ссылке. Попробуйте ещё раз позже.")


UNKNOWN_USER = "Похоже, вы ещё не пользуетесь <b>Tutors Calendar</b>.\nОткройте приложение, чтобы начать 👇"
TEACHER_ONLY = "Эта команда доступна только преподавателям."
NOT_YOUR_BUTTON = "Эта кнопка для преподавателя этого занятия."
UNKNOWN_COMMAND = "Не знаю такой команды. Список команд — /help"


def help_text(is_teacher: bool) -> str:
    lines = ["<b>Команды</b>", "/today — занятия сегодня", "/week — занятия на 7 дней", "/next — ближайшее занятие"]
    if is_teacher:
        lines[2:2] = ["/tomorrow — занятия завтра"]
        lines += ["/debts — кто сколько должен"]
    lines += ["/calendar — ссылка на календарь для Google/Apple/Outlook"]
    lines += ["/help — эта справка", "", "Всё остальное — в приложении 👇"]
    return "\n".join(lines)


TEACHER_COMMANDS = [
    ("today", "Занятия сегодня"),
    ("tomorrow", "Занятия завтра"),
    ("week", "Занятия на 7 дней"),
    ("next", "Ближайшее занятие"),
    ("debts", "Долги учеников"),
    ("calendar", "Ссылка на календарь"),
    ("help", "Справка"),
]


# ---- schedules --------------------------------------------------------------------------------------


def lesson_line(item: dict, tz: str, *, for_teacher: bool, with_date: bool) -> str:
    """item: start, end, subject, status, meeting_url, students [(name, attendance)], teacher."""
    when = fmt_when(item["start"], tz) if with_date else fmt_time(item["start"], tz)
    head = f"<b>{when}–{fmt_time(item['end'], tz)}</b> {e(item['subject'] or 'Занятие')}"
    parts = [head, STATUS.get(item["status"], e(item["status"]))]
    if for_teacher:
        names = ", ".join(e(name) for name, _ in item["students"]) or "без учеников"
        parts.append(f"👤 {names}")
    else:
        parts.append(f"👩‍🏫 {e(item['teacher'])}")
    if item.get("meeting_url") and item["status"] == "planned":
        parts.append(link(item["meeting_url"], "🔗 ссылка на занятие"))
    return "\n".join(parts)


def schedule(title: str, items: list[dict], tz: str, *, for_teacher: bool, group_by_day: bool) -> str:
    if not items:
        return f"<b>{e(title)}</b>\n\nЗанятий нет 🎉"
    blocks = [f"<b>{e(title)}</b>"]
    last_day = None
    for item in items:
        day = local(item["start"], tz).date()
        if group_by_day and day != last_day:
            d = local(item["start"], tz)
            blocks.append(f"\n📆 <b>{WEEKDAYS_FULL[d.weekday()]}, {d.day} {MONTHS[d.month - 1]}</b>")
            last_day = day
        blocks.append(lesson_line(item, tz, for_teacher=for_teacher, with_date=False) + "\n")
    return "\n".join(blocks).rstrip()


def next_lesson(item: dict | None, tz: str, *, for_teacher: bool) -> str:
    if item is None:
        return "Ближайших занятий нет."
    return "⏭ <b>Ближайшее занятие</b>\n\n" + lesson_line(item, tz, for_teacher=for_teacher, with_date=True)


def debts(rows: Iterable[dict]) -> str:
    rows = list(rows)
    if not rows:
        return "💰 Долгов нет — все занятия оплачены."
    total = sum(r["amount"] for r in rows)
    lines = ["💰 <b>Долги учеников</b>", ""]
    for r in rows:
        lines.append(f"• {e(r['name'])} — <b>{rub(r['amount'])}</b> ({r['lessons']} зан.)")
    lines += ["", f"Итого: <b>{rub(total)}</b> ({sum(r['lessons'] for r in rows)} зан.)"]
    return "\n".join(lines)


# ---- notifications ----------------------------------------------------------------------------------


def _lesson_block(subject: str | None, start: datetime, tz: str, teacher: str | None, meeting_url: str | None) -> str:
    lines = [
        f"📖 {e(subject or 'Занятие')}",
        f"🗓 {fmt_date(start, tz)}",
        f"🕐 {fmt_time(start, tz)}",
    ]
    if teacher:
        lines.append(f"👩‍🏫 {e(teacher)}")
    if meeting_url:
        lines.append(link(meeting_url, "🔗 Ссылка на занятие"))
    return "\n".join(lines)


def about(child: str | None) -> str:
    return f"\n👦 Ученик: <b>{e(child)}</b>" if child else ""


def lesson_created(l: dict, tz: str, child: str | None = None) -> str:  # noqa: E741
    return (
        "📚 <b>Новое занятие</b>"
        + about(child)
        + "\n\n"
        + _lesson_block(l["subject"], l["start"], tz, l["teacher"], l["meeting_url"])
    )


def lessons_created_many(count: int, first: dict, tz: str, child: str | None = None) -> str:
    return (
        f"📚 <b>Новые занятия: {count}</b>"
        + about(child)
        + "\n\nПервое из них:\n"
        + _lesson_block(first["subject"], first["start"], tz, first["teacher"], first["meeting_url"])
    )


def lesson_rescheduled(l: dict, previous: datetime | None, tz: str, child: str | None = None) -> str:  # noqa: E741
    was = f"\nБыло: <s>{fmt_when(previous, tz)}</s>" if previous else ""
    return (
        "🔄 <b>Занятие перенесено</b>"
        + about(child)
        + was
        + "\n\nТеперь:\n"
        + _lesson_block(l["subject"], l["start"], tz, l["teacher"], l["meeting_url"])
    )


def lessons_rescheduled_many(count: int, first: dict, tz: str, child: str | None = None) -> str:
    return (
        f"🔄 <b>Расписание изменено: перенесено занятий — {count}</b>"
        + about(child)
        + "\n\nБлижайшее:\n"
        + _lesson_block(first["subject"], first["start"], tz, first["teacher"], first["meeting_url"])
    )


def lesson_cancelled(l: dict, tz: str, child: str | None = None, deleted: bool = False) -> str:  # noqa: E741
    title = "❌ <b>Занятие отменено</b>"
    return title + about(child) + "\n\n" + _lesson_block(l["subject"], l["start"], tz, l["teacher"], None)


def lessons_cancelled_many(count: int, first: dict, tz: str, child: str | None = None) -> str:
    return (
        f"❌ <b>Отменено занятий: {count}</b>"
        + about(child)
        + "\n\nБлижайшее из них:\n"
        + _lesson_block(first["subject"], first["start"], tz, first["teacher"], None)
    )


def student_cancelled(l: dict, student_name: str, tz: str, whole_lesson: bool) -> str:  # noqa: E741
    what = "отменил(а) занятие" if whole_lesson else "не придёт на групповое занятие"
    return f"❌ <b>{e(student_name)}</b> {what}\n\n" + _lesson_block(l["subject"], l["start"], tz, None, None)


def lesson_report(l: dict, report: str, tz: str, child: str | None = None) -> str:  # noqa: E741
    return (
        "📝 <b>Отчёт о занятии</b>"
        + about(child)
        + "\n\n"
        + _lesson_block(l["subject"], l["start"], tz, l["teacher"], None)
        + f"\n\n{e(report)}"
    )


def reminder(l: dict, tz: str, minutes: int, child: str | None = None) -> str:  # noqa: E741
    if minutes % 60 == 0 and minutes >= 60:
        hours = minutes // 60
        lead = "1 час" if hours == 1 else f"{hours} ч"
    else:
        lead = f"{minutes} мин"
    return (
        f"⏰ <b>Напоминание</b>: занятие через {lead}"
        + about(child)
        + "\n\n"
        + _lesson_block(l["subject"], l["start"], tz, l["teacher"], l["meeting_url"])
    )


def new_student(name: str) -> str:
    return f"🎉 <b>Новый ученик!</b>\n\n{e(name) or 'Новый ученик'} присоединился(ась) к вам по ссылке-приглашению."


def welcome(role: str, teacher_name: str | None = None, child_name: str | None = None) -> str:
    if role == "teacher":
        return (
            "👋 <b>Добро пожаловать!</b>\n\nВы зарегистрировались как <b>преподаватель</b>: ведите расписание, "
            "добавляйте учеников, отмечайте оплаты и смотрите статистику."
        )
    if role == "parent":
        extra = f" за занятиями: <b>{e(child_name)}</b>" if child_name else ""
        return (
            f"👋 <b>Добро пожаловать!</b>\n\nВы зарегистрировались как <b>родитель</b> и можете следить{extra}: "
            "расписание, прогресс и уведомления о занятиях."
        )
    of = f" преподавателя <b>{e(teacher_name)}</b>" if teacher_name else ""
    return (
        f"👋 <b>Добро пожаловать!</b>\n\nВы зарегистрировались как <b>ученик</b>{of}: смотрите расписание, "
        "следите за статистикой и пригласите родителя."
    )


# ---- one-tap marking ----------------------------------------------------------------------------------

ROLE_LABELS = {"teacher": "преподавателя", "student": "ученика", "parent": "родителя"}


def calendar_links(links: list[tuple[str, str]]) -> str:
    """/calendar: the private feed URL per role (a calendar app subscribes to it and keeps it up to date)."""
    lines = ["<b>Ваш календарь</b>", "Добавьте ссылку в Google Календарь («Добавить по URL»), Apple или Outlook:"]
    for role, url in links:
        prefix = f"Как {ROLE_LABELS[role]}: " if len(links) > 1 else ""
        lines.append(f"{prefix}<code>{e(url)}</code>")
    lines.append("Ссылка личная: не пересылайте её. Новую можно получить в профиле приложения.")
    return "\n".join(lines)


def calendar_imported(*, imported: int, updated: int, series_created: int, source: str) -> str:
    where = "Google Календаря" if source == "google" else "файла календаря"
    parts = [f"добавлено занятий: {imported}"]
    if updated:
        parts.append(f"обновлено: {updated}")
    if series_created:
        parts.append(f"новых серий: {series_created}")
    return f"📥 Импорт из {where} завершён — " + ", ".join(parts) + "."


MARK_LABELS = {
    "p": "✅ Был, оплачено",
    "u": "💸 Был, не оплачено",
    "s": "🎫 Был, по абонементу",
    "x": "❌ Пропустил",
}
MARK_RESULTS = {"p": "✅ был, оплачено", "u": "💸 был, не оплачено", "s": "🎫 был, абонемент", "x": "❌ пропустил"}


def prompt(l: dict, tz: str, students: list[dict]) -> str:  # noqa: E741
    """students: [{name, result: str|None}] — result is the already marked state, if any."""
    lines = [
        "📝 <b>Как прошло занятие?</b>",
        "",
        f"📖 {e(l['subject'] or 'Занятие')}",
        f"🗓 {fmt_when(l['start'], tz)}",
        "",
    ]
    for s in students:
        state = s.get("result")
        lines.append(f"👤 {e(s['name'])}" + (f" — {state}" if state else ""))
    return "\n".join(lines)


def row_result(attendance: str, payment_status: str, from_subscription: bool) -> str | None:
    if attendance == "attended":
        if from_subscription:
            return MARK_RESULTS["s"]
        return MARK_RESULTS["p"] if payment_status == "paid" else MARK_RESULTS["u"]
    if attendance == "missed":
        return MARK_RESULTS["x"]
    if attendance == "cancelled":
        return "🚫 отменил(а)"
    return None


LESSON_GONE = "Занятие не найдено — возможно, оно удалено."
LESSON_IS_CANCELLED = "Занятие отменено — отметить его нельзя."
ALREADY_MARKED = "Уже отмечено."
MARKED = "Отмечено ✅"


# ---- reminder answers (issue 16) ----------------------------------------------------------------------

BTN_COME = "✅ Приду"
BTN_CANT = "❌ Не смогу"
BTN_CANT_CONFIRM = "❌ Да, отменить"
ANSWER_STALE = "Кнопка устарела — откройте расписание в приложении."
ANSWER_NOT_YOURS = "Эта кнопка не для вас: отвечает тот, кому пришло напоминание."
ANSWER_USED = "Вы уже ответили на это напоминание."
ANSWER_TOO_LATE = "Занятие уже началось или отменено — ответ не изменит его."
ANSWER_COMING = "✅ Вы отметили: <b>приду</b>. Преподаватель видит подтверждение."


def answer_cost(price_rub: int, package: bool, note: str) -> str:
    cost = "из абонемента спишется одно занятие" if package else f"занятие будет засчитано: {rub(price_rub)} в долг"
    return (
        f"⚠️ До занятия меньше, чем требует правило преподавателя: при отмене сейчас {cost}.\n"
        f"<i>{e(note)}</i>\n\nОтменить всё равно?"
    )


def answer_cancelled(outcome: str, note: str) -> str:
    head = {
        "free": "❌ Занятие отменено — бесплатно.",
        "charged": "❌ Занятие отменено — оно засчитано (списано из абонемента или в долг).",
        "credited": "❌ Занятие отменено — вам начислено занятие-отработка.",
    }.get(outcome, "❌ Занятие отменено.")
    return f"{head}\n<i>{e(note)}</i>\nПреподаватель уже знает."
