"""/api/admin/requests/*: request insight for the admin panel (SQL aggregates over the request log)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from ..selectors import requests as req
from . import outputs as out
from . import params
from .admin_views import TAGS, AdminView


class RequestStatsOut(serializers.Serializer):
    totalRequests = serializers.IntegerField()
    totalErrors = serializers.IntegerField()
    errorRate = serializers.FloatField()
    avgDurationMs = serializers.IntegerField()


class EndpointOut(serializers.Serializer):
    method = serializers.CharField()
    path = serializers.CharField()
    totalRequests = serializers.IntegerField()
    totalErrors = serializers.IntegerField()
    errorRate = serializers.FloatField()
    avgDurationMs = serializers.IntegerField()
    lastRequestAt = serializers.DateTimeField()


class RequestStatsView(AdminView):
    @extend_schema(parameters=[params.RangeIn], responses=RequestStatsOut, tags=TAGS)
    def get(self, request):
        return Response(req.request_stats(params.parse(params.RangeIn, request)["range"]))


class EndpointsView(AdminView):
    """Every endpoint seen in the range (default: all retained logs), newest activity first, at most 200."""

    @extend_schema(parameters=[params.OptionalRangeIn], responses=EndpointOut(many=True), tags=TAGS)
    def get(self, request):
        return Response(req.endpoints(params.parse(params.OptionalRangeIn, request)["range"]))


def _page(qs, q, *, with_users=False):
    logs, total = req.logs_page(qs, page=q["page"], limit=q["limit"], with_users=with_users)
    return Response({"logs": logs, "total": total})


class EndpointLogsView(AdminView):
    @extend_schema(parameters=[params.EndpointLogsIn], responses=out.LogsPageOut, tags=TAGS)
    def get(self, request):
        q = params.parse(params.EndpointLogsIn, request)
        return _page(req.logs(method=q["method"], path=q["path"]), q)


class LogsView(AdminView):
    @extend_schema(parameters=[params.LogsIn], responses=out.LogsPageOut, tags=TAGS)
    def get(self, request):
        q = params.parse(params.LogsIn, request)
        return _page(req.logs(status=q["status"]), q)


class ErrorsView(AdminView):
    @extend_schema(parameters=[params.PageIn], responses=out.LogsPageOut, tags=TAGS)
    def get(self, request):
        q = params.parse(params.PageIn, request)
        return _page(req.logs(status="error"), q)


class LogsDetailedView(AdminView):
    @extend_schema(parameters=[params.LogsDetailedIn], responses=out.DetailedLogsPageOut, tags=TAGS)
    def get(self, request):
        q = params.parse(params.LogsDetailedIn, request)
        qs = req.logs(
            status=q["status"],
            method=q.get("method"),
            path=q.get("path"),
            user=q.get("user"),
            users=q["users"],
            user_mode=q["userMode"],
        )
        return _page(qs, q, with_users=True)


class ChartView(AdminView):
    @extend_schema(parameters=[params.ChartIn], responses=out.ChartPointOut(many=True), tags=TAGS)
    def get(self, request):
        q = params.parse(params.ChartIn, request)
        return Response(req.chart(q["range"], interval=q["interval"], user=q.get("user")))
