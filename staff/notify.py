"""Support notifications, written to botapp's outbox inside the caller's transaction (the worker delivers them):
a new message -> the staff chat SUPPORT_CHAT_ID and the address SUPPORT_EMAIL (the outbox's e-mail channel, sent
with Django's mail framework); a staff reply -> the writer's Telegram chat, else MAX, else e-mail (a verified
address or the landing form's contact)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from botapp.models import EventType, Outbox
from botapp.services import outbox as bot
from botapp.texts import e, webapp_markup

from .models import SupportMessage, SupportReply

PREVIEW = 3000  # Telegram takes 4096; the full text is in the admin


def _staff_text(row: SupportMessage) -> str:
    who = "с лендинга" if row.source == SupportMessage.Source.LANDING else "из приложения"
    lines = [f"🆘 <b>Новое обращение {who}</b>", f"<b>{e(row.subject)}</b>"]
    u = row.user
    if u is not None:
        name = " ".join(p for p in (u.first_name, u.last_name) if p) or str(u.pk)
        lines.append(f"От: {e(name)}" + (f" (@{e(u.username)})" if u.username else ""))
    if row.contact:
        lines.append(f"Контакт: {e(row.contact)}")
    text = row.message if len(row.message) <= PREVIEW else row.message[:PREVIEW] + "…"
    lines += ["", e(text), "", f"#support {row.pk}"]
    return "\n".join(lines)


def _email_text(row: SupportMessage) -> str:
    u = row.user
    lines = [f"Тема: {row.subject}", f"Источник: {row.get_source_display()}"]
    if u is not None:
        name = " ".join(p for p in (u.first_name, u.last_name) if p) or str(u.pk)
        lines.append(f"От: {name}" + (f" (@{u.username})" if u.username else "") + (f" <{u.email}>" if u.email else ""))
    if row.contact:
        lines.append(f"Контакт: {row.contact}")
    lines += ["", row.message, "", f"Ответить в админке: /admin/staff/supportmessage/{row.pk}/change/"]
    return "\n".join(lines)


def support_message_received(row: SupportMessage) -> None:
    chat_id = getattr(settings, "SUPPORT_CHAT_ID", None)
    if chat_id:
        bot.outbox_put_chat(
            event_type=EventType.SUPPORT_MESSAGE, chat_id=int(chat_id), key=f"support:{row.pk}", text=_staff_text(row)
        )
    address = getattr(settings, "SUPPORT_EMAIL", "")
    if address:  # plain text (no HTML): the worker sends it with the subject
        bot.outbox_put_email(
            event_type=EventType.SUPPORT_MESSAGE,
            address=address,
            key=f"support-email:{row.pk}",
            text=_email_text(row),
            subject=f"[Поддержка] {row.subject}",
        )


def _reply_text(reply: SupportReply) -> str:
    body = reply.text if len(reply.text) <= PREVIEW else reply.text[:PREVIEW] + "…\n(полностью — в приложении)"
    return f"💬 <b>Ответ поддержки</b> на «{e(reply.support_message.subject)}»\n\n{e(body)}"


def _reply_email_address(message: SupportMessage) -> str | None:
    """A writer without a messenger hears back by e-mail: their verified address, or a landing form's contact
    when it is an address."""
    user = message.user
    if user is not None:
        return user.email if user.email and user.email_verified and user.deleted_at is None else None
    contact = (message.contact or "").strip()
    try:
        validate_email(contact)
    except ValidationError:
        return None
    return contact


def support_reply_to_user(reply: SupportReply) -> tuple[str, int] | None:
    """Queue the reply to the writer: their Telegram chat, else MAX (outbox_put picks it), else e-mail.
    Returns (channel, outbox row id), or None when there is no way to reach them (the app still shows it)."""
    message = reply.support_message
    user = message.user
    key = f"support-reply:{reply.pk}"
    if user is not None and user.deleted_at is None and (user.telegram_id or user.max_id):
        bot.outbox_put(
            [
                bot.Message(
                    event_type=EventType.SUPPORT_REPLY,
                    recipient=user,
                    key=key,
                    text=_reply_text(reply),
                    markup=webapp_markup(),
                )
            ]
        )
    else:
        address = _reply_email_address(message)
        if address is None:
            return None
        bot.outbox_put_email(
            event_type=EventType.SUPPORT_REPLY,
            address=address,
            key=key,
            text=f"{reply.text}\n\n— Поддержка Tutor Calendar",
            subject=f"Re: {message.subject}",
            recipient=user,
        )
    row = Outbox.objects.filter(dedupe_key=key).values_list("channel", "id").first()
    return (row[0], row[1]) if row else None
