from __future__ import annotations

from django.db.models import Count, QuerySet

from ..models import AnalyticsEvent
from .common import DateRange


def events(*, event_name: str | None = None) -> QuerySet:
    qs = AnalyticsEvent.objects.order_by("-created_at", "-id")
    if event_name:
        qs = qs.filter(event_name=event_name)
    return qs


def top_events(rng: DateRange, limit: int = 10) -> list[dict]:
    """Top events of the range: [{eventName, category, count}], one GROUP BY."""
    rows = (
        AnalyticsEvent.objects.filter(created_at__gte=rng.since, created_at__lt=rng.until)
        .values("event_name", "category")
        .annotate(count=Count("id"))
        .order_by("-count", "event_name")[:limit]
    )
    return [{"eventName": r["event_name"], "category": r["category"] or None, "count": r["count"]} for r in rows]


def event_json(e: AnalyticsEvent) -> dict:
    return {
        "id": e.id,
        "eventName": e.event_name,
        "category": e.category or None,
        "userId": str(e.user_id) if e.user_id else None,
        "userRole": e.user_role or None,
        "pagePath": e.page_path or None,
        "metadata": e.metadata,
        "platform": e.platform,
        "sessionId": e.session_id or None,
        "createdAt": e.created_at,
    }
