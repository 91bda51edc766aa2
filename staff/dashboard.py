"""The staff dashboard in the Django admin (/admin/dashboard/): every figure is one SQL aggregate over the chosen
date range (default the last 14 days, at most 400), drawn by static/staff/barchart.js (vendored, no CDN)."""

from datetime import date, timedelta

from django.contrib import admin
from django.shortcuts import render

from tutorcal.errors import DomainError

from .selectors import requests as req
from .selectors import support, usage
from .selectors.common import DateRange, date_range, last_days
from .selectors.outbox import outbox_health

DEFAULT_DAYS = 14


def _range(params) -> tuple[DateRange, str]:
    try:
        start, end = date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
    except (KeyError, ValueError):
        return last_days(DEFAULT_DAYS), "" if not params else "Dates must be YYYY-MM-DD; showing the last 14 days."
    try:
        return date_range(start, end), ""
    except DomainError as exc:
        reason = "from is after to" if exc.code == "INVALID_DATE_RANGE" else "the range is longer than 400 days"
        return last_days(DEFAULT_DAYS), f"Invalid range ({reason}); showing the last 14 days."


def figures(rng: DateRange) -> dict:
    interval = "hour" if (rng.end - rng.start) < timedelta(days=7) else "day"
    chart = req.chart(rng, interval=interval)
    for point in chart:
        total = point["success"] + point["errors"]
        point["errorRate"] = round(100 * point["errors"] / total, 1) if total else 0.0
    return {
        "registrations": usage.registrations_by_day(rng),
        "active": usage.active_users(rng),
        "lessons": usage.lessons_by_day(rng),
        "referrals": usage.referral_sources(rng),
        "requests": chart,
        "requestInterval": interval,
        "requestStats": req.request_stats(rng),
        "slowest": req.slowest_endpoints(rng),
        "failing": req.failing_endpoints(rng),
        "support": support.queue_sizes(),
        "outbox": outbox_health(rng),
    }


def dashboard_view(request):
    rng, error = _range(request.GET)
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "range": rng,
        "range_error": error,
        "figures": figures(rng),
    }
    return render(request, "staff/dashboard.html", context)


dashboard = admin.site.admin_view(dashboard_view)
