"""Staff-side writes: support messages and replies, analytics events, the staff API login. Keyword-only and
atomic; notifications go through botapp's outbox in the same transaction (staff/notify.py)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from tutorcal.errors import DomainError

from . import notify, tokens
from .models import AnalyticsEvent, RequestLog, SupportMessage, SupportReply

# ---- support -------------------------------------------------------------------------------------------


@transaction.atomic
def support_message_create(*, user: User, subject: str, message: str) -> SupportMessage:
    row = SupportMessage.objects.create(user=user, subject=subject, message=message)
    notify.support_message_received(row)
    return row


@transaction.atomic
def support_landing_message_create(*, name: str, contact: str, message: str, client_ip: str | None) -> SupportMessage:
    subject = f"[Лендинг] {name}" + (f" ({contact})" if contact else "")
    row = SupportMessage.objects.create(
        source=SupportMessage.Source.LANDING,
        subject=subject[:255],
        message=message,
        contact=contact,
        client_ip=client_ip,
    )
    notify.support_message_received(row)
    return row


def support_message_update(*, message_id, status: str | None = None, admin_notes: str | None = None) -> SupportMessage:
    with transaction.atomic():
        locked = SupportMessage.objects.select_for_update(of=("self",)).select_related("user")
        row = locked.filter(pk=message_id).first()
        if row is None:
            raise DomainError("SUPPORT_MESSAGE_NOT_FOUND")
        fields = ["updated_at"]
        if status is not None:
            row.status = status
            fields.append("status")
        if admin_notes is not None:
            row.admin_notes = admin_notes
            fields.append("admin_notes")
        row.save(update_fields=fields)
    return row


@transaction.atomic
def support_reply_create(*, support_message: SupportMessage, author: User, text: str) -> SupportReply:
    """Store the reply (the user sees it in GET /api/support/my at once) and queue its delivery to the writer
    (Telegram, MAX or e-mail). The message moves to in_progress unless staff already resolved/closed it."""
    text = text.strip()
    if not text:
        raise DomainError("VALIDATION_FAILED", ["text: This field may not be blank."])
    reply = SupportReply.objects.create(support_message=support_message, author=author, text=text)
    queued = notify.support_reply_to_user(reply)
    if queued is not None:
        reply.channel, reply.outbox_id = SupportReply.Channel(queued[0]), queued[1]
        reply.save(update_fields=["channel", "outbox_id"])
    if support_message.status == SupportMessage.Status.NEW:
        SupportMessage.objects.filter(pk=support_message.pk).update(
            status=SupportMessage.Status.IN_PROGRESS, updated_at=timezone.now()
        )
    return reply


# ---- analytics -----------------------------------------------------------------------------------------


def analytics_event_create(*, user_id, user_role: str, data: dict) -> AnalyticsEvent:
    return AnalyticsEvent.objects.create(
        event_name=data["eventName"],
        category=data.get("category") or "",
        page_path=data.get("pagePath") or "",
        metadata=data.get("metadata"),
        session_id=data.get("sessionId") or "",
        platform=data.get("platform") or "web",
        user_id=user_id,
        user_role=user_role or "",
    )


def analytics_prune(*, now=None) -> int:
    days = int(getattr(settings, "ANALYTICS_RETENTION_DAYS", 180))
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = AnalyticsEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def request_log_prune(*, now=None) -> int:
    """Retention of the request log (REQUEST_LOG_DAYS, default 30); one DELETE (no cascades, no signals)."""
    cutoff = (now or timezone.now()) - timedelta(days=int(getattr(settings, "REQUEST_LOG_DAYS", 30)))
    deleted, _ = RequestLog.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# ---- staff API login -----------------------------------------------------------------------------------

_FAILS = "staff:login-fails:{login}"


def _lockout() -> tuple[int, int]:
    return int(getattr(settings, "ADMIN_LOGIN_MAX_FAILURES", 5)), int(getattr(settings, "ADMIN_LOGIN_LOCKOUT", 900))


def admin_login(*, login: str, password: str, request=None) -> str:
    """A Django staff user's email + password -> a staff API token. After ADMIN_LOGIN_MAX_FAILURES wrong
    attempts for one login, that login is locked for ADMIN_LOGIN_LOCKOUT seconds (even the right password)."""
    key = _FAILS.format(login=login.strip().lower()[:254])
    max_failures, lockout = _lockout()
    if (cache.get(key) or 0) >= max_failures:
        raise DomainError("ADMIN_LOGIN_LOCKED")
    user = authenticate(request, email=login.strip(), password=password)
    if user is None or not user.is_staff or not user.is_active or user.deleted_at is not None:
        cache.add(key, 0, timeout=lockout)
        try:
            cache.incr(key)
        except ValueError:  # expired in between
            cache.set(key, 1, timeout=lockout)
        raise DomainError("INVALID_CREDENTIALS")
    cache.delete(key)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return tokens.issue(user_id=user.pk, login=user.email or str(user.pk))
