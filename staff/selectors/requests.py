"""Request insight: totals, per-endpoint figures, log pages and charts — SQL aggregates over a date range."""

from __future__ import annotations

import uuid

from django.db.models import Avg, Count, Max, Q, QuerySet
from django.db.models.functions import Round, TruncDay, TruncHour, TruncMinute

from accounts.models import User

from ..models import RequestLog
from .common import DateRange, tz

ERROR = Q(status_code__gte=400)
_TRUNC = {"minute": TruncMinute, "hour": TruncHour, "day": TruncDay}


def _in(rng: DateRange | None) -> QuerySet:
    qs = RequestLog.objects.all()
    if rng is not None:
        qs = qs.filter(created_at__gte=rng.since, created_at__lt=rng.until)
    return qs


def _rate(errors: int, total: int) -> float:
    return round(100.0 * errors / total, 2) if total else 0.0


def request_stats(rng: DateRange) -> dict:
    row = _in(rng).aggregate(total=Count("id"), errors=Count("id", filter=ERROR), avg=Avg("duration_ms"))
    return {
        "totalRequests": row["total"],
        "totalErrors": row["errors"],
        "errorRate": _rate(row["errors"], row["total"]),
        "avgDurationMs": round(row["avg"] or 0),
    }


def endpoints(rng: DateRange | None, *, order: str = "-lastRequestAt", limit: int = 200) -> list[dict]:
    """Per (method, normalised path): counts, error rate, mean duration, last request. One GROUP BY."""
    rows = (
        _in(rng)
        .values("method", "path")
        .annotate(
            totalRequests=Count("id"),
            totalErrors=Count("id", filter=ERROR),
            avgDurationMs=Round(Avg("duration_ms")),
            lastRequestAt=Max("created_at"),
        )
        .order_by(order, "method", "path")[:limit]
    )
    return [
        {**r, "avgDurationMs": int(r["avgDurationMs"] or 0), "errorRate": _rate(r["totalErrors"], r["totalRequests"])}
        for r in rows
    ]


def slowest_endpoints(rng: DateRange, limit: int = 10) -> list[dict]:
    return endpoints(rng, order="-avgDurationMs", limit=limit)


def failing_endpoints(rng: DateRange, limit: int = 10) -> list[dict]:
    return [e for e in endpoints(rng, order="-totalErrors", limit=limit) if e["totalErrors"]]


def logs(
    *,
    status: str = "all",
    method: str | None = None,
    path: str | None = None,
    user: str | None = None,
    users: list[str] | None = None,
    user_mode: str = "include",
    rng: DateRange | None = None,
) -> QuerySet:
    qs = _in(rng)
    if status == "success":
        qs = qs.filter(status_code__lt=400)
    elif status == "error":
        qs = qs.filter(status_code__gte=400, status_code__lt=600)
    if method and path:
        qs = qs.filter(method=method.upper(), path=path)
    if user:
        qs = qs.filter(user_id__in=_user_ids(user))
    if users:
        ids = User.objects.filter(username__in=users).values("id")
        if user_mode == "exclude":
            qs = qs.exclude(user_id__in=ids.filter(id__isnull=False))
        else:
            qs = qs.filter(user_id__in=ids)
    return qs.order_by("-created_at", "-id")


def _user_ids(term: str):
    term = term.strip().lstrip("@")
    try:
        return [uuid.UUID(term)]
    except ValueError:
        return User.objects.filter(username__icontains=term).values("id")


def logs_page(qs: QuerySet, *, page: int, limit: int, with_users: bool = False) -> tuple[list[dict], int]:
    total = qs.count()
    rows = list(qs[(page - 1) * limit : page * limit])
    names: dict = {}
    if with_users:
        ids = {r.user_id for r in rows if r.user_id}
        names = {
            u["id"]: u for u in User.objects.filter(id__in=ids).values("id", "first_name", "last_name", "username")
        }
    out = []
    for r in rows:
        item = log_json(r)
        if with_users:
            u = names.get(r.user_id)
            item["userName"] = f"{u['first_name']} {u['last_name']}".strip() if u else None
            item["userUsername"] = (u["username"] or None) if u else None
        out.append(item)
    return out, total


def log_json(r: RequestLog) -> dict:
    return {
        "id": r.id,
        "method": r.method,
        "path": r.path,
        "statusCode": r.status_code,
        "durationMs": r.duration_ms,
        "userId": str(r.user_id) if r.user_id else None,
        "userRole": r.user_role or None,
        "clientIp": r.client_ip,
        "userAgent": r.user_agent or None,
        "requestBody": r.request_body or None,
        "responseBody": r.response_body or None,
        "createdAt": r.created_at,
    }


def chart(rng: DateRange, *, interval: str = "hour", user: str | None = None) -> list[dict]:
    """[{time, success, errors}] per bucket (zero buckets omitted, as the reference), one GROUP BY."""
    qs = _in(rng)
    if user:
        qs = qs.filter(user_id__in=_user_ids(user))
    rows = (
        qs.annotate(bucket=_TRUNC[interval]("created_at", tzinfo=tz()))
        .values("bucket")
        .annotate(success=Count("id", filter=~ERROR), errors=Count("id", filter=ERROR))
        .order_by("bucket")
    )
    fmt = {"minute": "%Y-%m-%d %H:%M", "hour": "%Y-%m-%d %H:00", "day": "%Y-%m-%d"}[interval]
    return [
        {"time": r["bucket"].astimezone(tz()).strftime(fmt), "success": r["success"], "errors": r["errors"]}
        for r in rows
    ]
