"""Per-user notification settings: the master switch, the per-type switches, the "chat unreachable" mark,
and the gate every queued message passes."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from ..models import MASTER_ONLY_EVENTS, PREFERENCE_FIELDS, SERVICE_EVENTS, EventType, Outbox, UserNotificationSettings

logger = logging.getLogger(__name__)


def settings_get(*, user: User) -> UserNotificationSettings:
    row, _ = UserNotificationSettings.objects.get_or_create(user=user)
    return row


def settings_json(row: UserNotificationSettings) -> dict:
    return {
        "notificationsAsked": row.notifications_asked,
        "notificationsEnabled": row.notifications_enabled,
        "lessonCreatedEnabled": row.lesson_created_enabled,
        "lessonRescheduledEnabled": row.lesson_rescheduled_enabled,
        "lessonCancelledEnabled": row.lesson_cancelled_enabled,
        "lessonReminderEnabled": row.lesson_reminder_enabled,
        "lessonPromptEnabled": row.lesson_prompt_enabled,
        "newStudentEnabled": row.new_student_enabled,
        "lessonBalanceEnabled": row.lesson_balance_enabled,
        "packageEndingEnabled": row.package_ending_enabled,
        "waitlistPromotedEnabled": row.waitlist_promoted_enabled,
        "morningDigestEnabled": row.morning_digest_enabled,
    }


@transaction.atomic
def settings_set_master(*, user: User, enabled: bool) -> UserNotificationSettings:
    """`/initial` and `/toggle`: the user answered; turning notifications on also clears a 'blocked' mark."""
    row, _ = UserNotificationSettings.objects.select_for_update().get_or_create(user=user)
    row.notifications_asked = True
    row.notifications_enabled = enabled
    if enabled:
        row.bot_blocked_at = None
    row.save()
    return row


@transaction.atomic
def settings_set_preferences(*, user: User, preferences: dict[str, bool]) -> UserNotificationSettings:
    row, _ = UserNotificationSettings.objects.select_for_update().get_or_create(user=user)
    for event_type, enabled in preferences.items():
        setattr(row, PREFERENCE_FIELDS[EventType(event_type)], bool(enabled))
    row.save()
    return row


def settings_mark_blocked(*, user_id) -> None:
    """Telegram said the chat is unreachable (blocked, deleted, never started): stop sending to it."""
    now = timezone.now()
    updated = UserNotificationSettings.objects.filter(user_id=user_id).update(
        notifications_enabled=False, bot_blocked_at=now, updated_at=now
    )
    if not updated:
        UserNotificationSettings.objects.get_or_create(
            user_id=user_id, defaults={"notifications_enabled": False, "bot_blocked_at": now}
        )
    Outbox.objects.filter(recipient_id=user_id, status=Outbox.Status.PENDING).update(
        status=Outbox.Status.SKIPPED, last_error="chat unreachable (blocked or not found)"
    )


def settings_mark_reachable(*, user_id) -> None:
    """The user wrote to the bot, so the chat works again."""
    UserNotificationSettings.objects.filter(user_id=user_id, bot_blocked_at__isnull=False).update(bot_blocked_at=None)


def gate(row: UserNotificationSettings | None, event_type: str) -> bool:
    """May `event_type` go to this user? Lesson messages need the master switch and the type's flag
    (reference §4.1); service messages (welcome, new student, test) only need a reachable chat."""
    if row is not None and row.bot_blocked_at is not None:
        return False
    if event_type in SERVICE_EVENTS:
        column = PREFERENCE_FIELDS.get(event_type)
        return row is None or column is None or getattr(row, column)
    if row is None or not row.notifications_enabled:
        return False
    column = PREFERENCE_FIELDS.get(event_type)
    if column is None:
        return event_type in MASTER_ONLY_EVENTS
    return bool(getattr(row, column))
