"""GET /metrics (Prometheus text format, django-prometheus' registry plus a few service gauges). Reachable from
METRICS_ALLOWED_NETWORKS on a direct connection (no X-Forwarded-For: nothing that came through nginx), or with
`Authorization: Bearer METRICS_TOKEN`. The public nginx site denies the path as well."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django_prometheus.exports import ExportToDjangoView
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY

from tutorcal.errors import error_body


def _internal(request) -> bool:
    if request.META.get("HTTP_X_FORWARDED_FOR") or request.META.get("HTTP_X_REAL_IP"):
        return False
    try:
        addr = ipaddress.ip_address(request.META.get("REMOTE_ADDR") or "")
    except ValueError:
        return False
    for net in settings.METRICS_ALLOWED_NETWORKS:
        try:
            if addr in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            continue
    return False


def _token_ok(request) -> bool:
    expected = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if not expected or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[7:].encode(), expected.encode())


def metrics_view(request) -> HttpResponse:
    if request.method != "GET":
        return JsonResponse(error_body(405, "METHOD_NOT_ALLOWED"), status=405)
    if not (_token_ok(request) or _internal(request)):
        return JsonResponse(error_body(403, "Forbidden resource"), status=403)
    return ExportToDjangoView(request)


class ServiceCollector:
    """Gauges read at scrape time: the outbox by status, the support queue, this process's request-log buffer."""

    def describe(self):  # lets the registry learn the names without a database query at start-up
        return [
            GaugeMetricFamily("tutorcal_outbox_messages", "", labels=["status"]),
            GaugeMetricFamily("tutorcal_support_messages", "", labels=["status"]),
            GaugeMetricFamily("tutorcal_request_log_buffered", ""),
            GaugeMetricFamily("tutorcal_request_log_dropped", ""),
        ]

    def collect(self):
        from botapp.models import Outbox

        from .request_log import buffer
        from .selectors.support import queue_sizes

        outbox = GaugeMetricFamily("tutorcal_outbox_messages", "Outbox rows by status", labels=["status"])
        counts = dict.fromkeys(Outbox.Status.values, 0)
        try:
            from django.db.models import Count

            counts.update(dict(Outbox.objects.values_list("status").annotate(n=Count("id")).order_by()))
            support = queue_sizes()
        except Exception:  # a scrape must not fail because the database is briefly away
            support = {}
        for status, n in counts.items():
            outbox.add_metric([status], n)
        yield outbox
        queue = GaugeMetricFamily("tutorcal_support_messages", "Support messages by status", labels=["status"])
        for status, n in support.items():
            queue.add_metric([status], n)
        yield queue
        yield GaugeMetricFamily("tutorcal_request_log_buffered", "Request-log rows waiting", value=len(buffer.items))
        yield GaugeMetricFamily("tutorcal_request_log_dropped", "Request-log rows dropped", value=buffer.dropped)


_registered = False


def register_collector() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(ServiceCollector())
        _registered = True
