from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from ..models import SupportMessage, SupportReply


def my_messages(*, user) -> list[SupportMessage]:
    """The user's messages, newest first, with their replies (two queries)."""
    return list(SupportMessage.objects.filter(user=user).order_by("-created_at").prefetch_related("replies")[:200])


def queue(*, status: str | None = None) -> QuerySet:
    qs = SupportMessage.objects.select_related("user").order_by("-created_at")
    if status:
        qs = qs.filter(status=status)
    return qs


def new_count() -> int:
    return SupportMessage.objects.filter(status=SupportMessage.Status.NEW).count()


def queue_sizes() -> dict:
    return SupportMessage.objects.aggregate(
        **{s.value: Count("id", filter=Q(status=s.value)) for s in SupportMessage.Status}
    )


def replies_with_delivery(message_id) -> list[SupportReply]:
    return list(SupportReply.objects.filter(support_message_id=message_id).select_related("author"))
