"""Russian texts of the money loop (balances after marking, package ending, a seat from the waitlist, the tutor's
morning digest). Values from users are HTML-escaped here, as in botapp.texts."""

from __future__ import annotations

from datetime import datetime

from .texts import _lesson_block, about, e, fmt_date, fmt_time, fmt_when, rub


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def lessons_count(n: int) -> str:
    return f"{n} {_plural(n, 'занятие', 'занятия', 'занятий')}"


def balance_line(package_left: int | None, debt_amount: int, debt_count: int) -> str:
    parts = []
    if package_left is not None:
        parts.append(f"🎫 в абонементе осталось: <b>{lessons_count(package_left)}</b>")
    if debt_count:
        parts.append(f"💸 долг: <b>{rub(debt_amount)}</b> за {lessons_count(debt_count)}")
    if not parts:
        parts.append("✅ долгов нет")
    return "\n".join(parts)


def balance(l: dict, tz: str, result: str, line: str, child: str | None = None) -> str:  # noqa: E741
    return (
        f"📒 <b>Занятие отмечено</b>: {e(result)}"
        + about(child)
        + f"\n🗓 {fmt_when(l['start'], tz)} · {e(l['subject'] or 'Занятие')} · {e(l['teacher'])}"
        + f"\n\n<b>Баланс</b>\n{line}"
    )


def package_ending(teacher: str, student: str, for_teacher: bool, child: str | None = None) -> str:
    if for_teacher:
        return f"🎫 У ученика <b>{e(student)}</b> в абонементе осталось <b>1 занятие</b> — пора предложить новый."
    return (
        "🎫 <b>Абонемент заканчивается</b>"
        + about(child)
        + f"\nОсталось 1 занятие у преподавателя {e(teacher)}. Продлите абонемент заранее."
    )


def waitlist_seat(l: dict, tz: str, child: str | None = None) -> str:  # noqa: E741
    return (
        "🎉 <b>Освободилось место — вы записаны!</b>"
        + about(child)
        + "\n\n"
        + _lesson_block(l["subject"], l["start"], tz, l["teacher"], l["meeting_url"])
    )


def morning_digest(day: datetime, tz: str, lessons: list[tuple], debtors: list[tuple]) -> str:
    """lessons: [(start, subject, [(name, confirmed: bool)])]; debtors: [(name, amount, count)]."""
    out = [f"☀️ <b>Доброе утро! Сегодня, {fmt_date(day, tz)}</b>"]
    if not lessons:
        out.append("\nЗанятий сегодня нет.")
    for start, subject, people in lessons:
        names = ", ".join(f"{'✅' if ok else '⏳'} {e(name)}" for name, ok in people) or "—"
        out.append(f"\n🕐 {fmt_time(start, tz)} {e(subject or 'Занятие')}\n   {names}")
    if debtors:
        out.append("\n<b>Должны</b>:")
        out += [f"💸 {e(name)}: {rub(amount)} за {lessons_count(count)}" for name, amount, count in debtors]
    return "\n".join(out)
