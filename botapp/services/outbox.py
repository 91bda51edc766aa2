"""The outbox: one row per message to one recipient, queued exactly once (unique dedupe key), written in
the transaction of the change that caused it; retried and pruned by the worker and the admin."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .. import selectors
from ..models import Outbox
from .preferences import gate

logger = logging.getLogger(__name__)


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
    # Telegram when the user has it, else MAX (users who came only through MAX get the same notifications).
    messages = [
        m for m in messages if (m.recipient.telegram_id or m.recipient.max_id) and m.recipient.deleted_at is None
    ]
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
        on_max = not m.recipient.telegram_id
        rows.append(
            Outbox(
                channel=Outbox.Channel.MAX if on_max else Outbox.Channel.TELEGRAM,
                event_type=m.event_type,
                dedupe_key=m.key,
                recipient_id=m.recipient.pk,
                chat_id=None if on_max else m.recipient.telegram_id,
                address=str(m.recipient.max_id) if on_max else "",
                lesson_id=m.lesson_id,
                lesson_start=m.lesson_start,
                text=m.text,
                reply_markup=None if on_max else m.markup,  # Telegram's buttons mean nothing in MAX
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


def outbox_put_email(
    *, event_type: str, address: str, key: str, text: str, subject: str, recipient: User | None = None
) -> int | None:
    """Queue one plain-text e-mail (the worker sends it with `subject`). Returns the row id (that of the earlier
    row when the key was queued before)."""
    Outbox.objects.bulk_create(
        [
            Outbox(
                channel=Outbox.Channel.EMAIL,
                event_type=event_type,
                dedupe_key=key[:255],
                recipient=recipient,
                address=address,
                text=text,
                payload={"subject": subject[:200]},
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
