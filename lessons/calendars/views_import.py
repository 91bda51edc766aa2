"""POST /api/teachers/me/calendar/preview and /import (ICS from content or URL), GET …/calendar/google/preview
and POST …/calendar/google/import (reference §2.6). Thin: validate, call importer, render."""

from zoneinfo import ZoneInfo

from django.core.exceptions import RequestDataTooBig
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from accounts.permissions import IsTeacher
from tutorcal.errors import DomainError
from tutorcal.openapi import errors

from . import google, importer
from . import serializers as s


class _CalendarView(APIView):
    permission_classes = [IsTeacher]

    @property
    def teacher(self):
        return self.request.profile

    def body(self, serializer_class) -> dict:
        try:
            data = self.request.data
        except RequestDataTooBig:
            raise DomainError("ICS_TOO_LARGE") from None
        serializer = serializer_class(data=data)
        with timezone.override(ZoneInfo(importer.teacher_tz(self.teacher))):
            serializer.is_valid(raise_exception=True)
        return serializer.validated_data


@extend_schema(tags=["teacher: calendar import"])
class IcsPreviewView(_CalendarView):
    @extend_schema(
        request=s.PreviewSerializer,
        responses={200: s.PreviewOut},
        description="Events of an ICS file (`content`) or URL (`url`, http/https/webcal) between fromDate and toDate "
        "(dates in the tutor's zone; default today … +365 days, at most 731 days).",
    )
    def post(self, request):
        data = self.body(s.PreviewSerializer)
        parsed = importer.parse_source(
            teacher=self.teacher,
            url=data.get("url"),
            content=data.get("content"),
            from_date=data.get("from_date"),
            to_date=data.get("to_date"),
        )
        return Response(importer.preview_json(teacher=self.teacher, events=parsed.events, source="ics"))


@extend_schema(tags=["teacher: calendar import"])
class IcsImportView(_CalendarView):
    @extend_schema(
        request=s.ImportSerializer,
        responses={200: s.ImportResultSerializer},
        description="Imports the chosen events (by preview `uid`) in one transaction. Importing again updates "
        "moved events and never duplicates.",
    )
    @idempotent
    def post(self, request):
        data = self.body(s.ImportSerializer)
        parsed = importer.parse_source(
            teacher=self.teacher,
            url=data.get("url"),
            content=data.get("content"),
            from_date=data.get("from_date"),
            to_date=data.get("to_date"),
        )
        result = importer.import_events(teacher=self.teacher, parsed=parsed, requests=data["events"], source="ics")
        return Response(result.as_json())


@extend_schema(tags=["teacher: calendar import"])
class GooglePreviewView(_CalendarView):
    @extend_schema(
        responses={200: s.PreviewOut, **errors(400, 404)},
        description="Events of the primary Google calendar, now … +90 days (404 when Google is off).",
    )
    def get(self, request):
        parsed = google.calendar_events_parsed(user=request.user, tz=importer.teacher_tz(self.teacher))
        return Response(importer.preview_json(teacher=self.teacher, events=parsed.events, source="google"))


@extend_schema(tags=["teacher: calendar import"])
class GoogleImportView(_CalendarView):
    @extend_schema(request=s.GoogleImportSerializer, responses={200: s.ImportResultSerializer})
    @idempotent
    def post(self, request):
        data = self.body(s.GoogleImportSerializer)
        parsed = google.calendar_events_parsed(user=request.user, tz=importer.teacher_tz(self.teacher))
        result = importer.import_events(teacher=self.teacher, parsed=parsed, requests=data["events"], source="google")
        return Response(result.as_json())
