"""/api/auth/google/calendar/{auth-url, callback, status, disconnect, events} (reference-auth-bot §6.4).
Every route but the public callback needs a JWT; all answer 404 GOOGLE_NOT_CONFIGURED when Google is off."""

from datetime import datetime, timedelta

from django.http import HttpResponseRedirect
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from tutorcal.errors import DomainError
from tutorcal.openapi import errors
from tutorcal.timeutil import parse_moment

from . import google

MAX_EVENTS_RANGE = timedelta(days=400)
NOT_CONFIGURED = errors(404, description="GOOGLE_NOT_CONFIGURED when Google is off")


class _GoogleView(APIView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        google.require_configured()


@extend_schema(
    tags=["google calendar"],
    responses={200: inline_serializer("GoogleAuthUrl", {"url": serializers.URLField()}), **NOT_CONFIGURED},
)
class AuthUrlView(_GoogleView):
    def get(self, request):
        session = request.auth.get("sid") if request.auth is not None else None
        return Response({"url": google.auth_url(user=request.user, session=session)})


@extend_schema(
    tags=["google calendar"],
    parameters=[
        OpenApiParameter("code", str, required=False),
        OpenApiParameter("state", str, required=False),
        OpenApiParameter("error", str, required=False),
    ],
    responses={
        302: OpenApiResponse(
            description="to WEBAPP_URL/profile?google_connected=true&google_email=… or "
            "?google_error=access_denied|callback_failed"
        ),
        **NOT_CONFIGURED,
    },
)
class CallbackView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request):
        q = request.query_params
        target = google.callback_redirect(
            code=(q.get("code") or "")[:2048] or None,
            state=(q.get("state") or "")[:2048] or None,
            error=(q.get("error") or "")[:200] or None,
        )
        return HttpResponseRedirect(target)


@extend_schema(
    tags=["google calendar"],
    responses={
        200: inline_serializer(
            "GoogleStatus", {"connected": serializers.BooleanField(), "email": serializers.CharField(allow_null=True)}
        ),
        **NOT_CONFIGURED,
    },
)
class StatusView(_GoogleView):
    def get(self, request):
        return Response(google.status(user=request.user))


@extend_schema(
    tags=["google calendar"],
    request=None,
    responses={
        200: inline_serializer(
            "GoogleDisconnect", {"success": serializers.BooleanField(), "message": serializers.CharField()}
        ),
        **NOT_CONFIGURED,
    },
)
class DisconnectView(_GoogleView):
    def post(self, request):
        return Response(google.disconnect(user=request.user))


def _bound(value: str | None, default: datetime, name: str) -> datetime:
    if not value:
        return default
    parsed = parse_moment(value)
    if parsed is None:
        raise DomainError(f"INVALID_{name.upper()}_DATE")
    if not isinstance(parsed, datetime):
        parsed = datetime.combine(parsed, datetime.min.time())
    return parsed if parsed.tzinfo else timezone.make_aware(parsed)


@extend_schema(
    tags=["google calendar"],
    parameters=[
        OpenApiParameter("from", str, required=False, description="ISO datetime or date; default now"),
        OpenApiParameter("to", str, required=False, description="ISO datetime or date; default from + 90 days"),
    ],
    responses={
        200: inline_serializer(
            "GoogleEvent",
            {
                "id": serializers.CharField(),
                "summary": serializers.CharField(),
                "description": serializers.CharField(allow_null=True),
                "start": serializers.CharField(help_text="ISO datetime, or a date for an all-day event"),
                "end": serializers.CharField(help_text="ISO datetime, or a date for an all-day event"),
                "location": serializers.CharField(allow_null=True),
                "recurringEventId": serializers.CharField(allow_null=True),
            },
            many=True,
        ),
        **NOT_CONFIGURED,
    },
)
class EventsView(_GoogleView):
    def get(self, request):
        start = _bound(request.query_params.get("from"), timezone.now(), "from")
        end = _bound(request.query_params.get("to"), start + timedelta(days=google.PREVIEW_DAYS), "to")
        if end < start:
            raise DomainError("INVALID_DATE_RANGE")
        if end - start > MAX_EVENTS_RANGE:
            raise DomainError("RANGE_TOO_LARGE")
        return Response(google.events_json(google.list_events(user=request.user, start=start, end=end)))
