"""/api/admin/* for the existing admin panel: login, dashboard, users, referrals, analytics, support queue.
Every route but login and analytics/track needs a staff token (staff/tokens.py)."""

import json

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ProfileJWTAuthentication
from tutorcal.errors import parse_uuid
from tutorcal.openapi import errors

from .. import services
from ..models import SupportMessage
from ..selectors import analytics, support, usage
from ..selectors.common import today
from . import outputs as out
from . import params
from .authentication import IsStaffToken, StaffTokenAuthentication
from .throttles import AdminLoginThrottle, AnalyticsThrottle

METADATA_MAX_BYTES = 4096
TAGS = ["admin"]


class AdminView(APIView):
    authentication_classes = [StaffTokenAuthentication]
    permission_classes = [IsStaffToken]


def _obj(name, **fields):
    return inline_serializer(name, fields)


# ---- auth ---------------------------------------------------------------------------------------------


class LoginIn(serializers.Serializer):
    login = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class LoginView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AdminLoginThrottle]

    @extend_schema(
        request=LoginIn,
        responses={201: _obj("AdminToken", accessToken=serializers.CharField()), **errors(401)},
        tags=TAGS,
    )
    def post(self, request):
        data = params.parse_body(LoginIn, request)
        token = services.admin_login(login=data["login"], password=data["password"], request=request._request)
        return Response({"accessToken": token}, status=status.HTTP_201_CREATED)


class MeView(AdminView):
    @extend_schema(responses=out.AdminMeOut, tags=TAGS)
    def get(self, request):
        p = request.auth
        return Response({"admin": {k: p[k] for k in ("sub", "login", "type", "iat", "exp")}})


# ---- dashboard, referrals, users ----------------------------------------------------------------------


class StatsView(AdminView):
    @extend_schema(
        responses=_obj(
            "AdminStats",
            totalTeachers=serializers.IntegerField(),
            totalStudents=serializers.IntegerField(),
            totalParents=serializers.IntegerField(),
            newTeachersToday=serializers.IntegerField(),
            newStudentsToday=serializers.IntegerField(),
            newParentsToday=serializers.IntegerField(),
        ),
        tags=TAGS,
    )
    def get(self, request):
        return Response(usage.dashboard_stats())


class RegistrationDayOut(serializers.Serializer):
    date = serializers.DateField()
    teachers = serializers.IntegerField()
    students = serializers.IntegerField()
    parents = serializers.IntegerField()


class RegistrationsView(AdminView):
    @extend_schema(parameters=[params.RangeIn], responses=RegistrationDayOut(many=True), tags=TAGS)
    def get(self, request):
        return Response(usage.registrations_by_day(params.parse(params.RangeIn, request)["range"]))


class ReferralsView(AdminView):
    @extend_schema(responses=out.ReferralOut(many=True), tags=TAGS)
    def get(self, request):
        return Response(usage.referral_sources())


class UsersView(AdminView):
    @extend_schema(parameters=[params.UsersIn], responses=out.UsersPageOut, tags=TAGS)
    def get(self, request):
        q = params.parse(params.UsersIn, request)
        rows, total = usage.users_page(role=q["role"], page=q["page"], limit=q["limit"])
        day = today()
        users = []
        for profile in rows:
            u = profile.user
            users.append(
                {
                    "id": u.pk,
                    "firstName": u.first_name,
                    "lastName": u.last_name or None,
                    "username": u.username or None,
                    "telegramId": str(u.telegram_id) if u.telegram_id else None,
                    "email": u.email or None,
                    "createdAt": u.created_at,
                    "isNew": u.created_at.astimezone(usage.tz()).date() == day,
                    "role": q["role"],
                    "profileId": profile.pk,
                    "displayName": getattr(profile, "display_name", None),
                    "referralSource": u.referral_source or None,
                }
            )
        return Response({"users": users, "total": total})


# ---- analytics ----------------------------------------------------------------------------------------


class TrackIn(serializers.Serializer):
    eventName = serializers.CharField(max_length=100)
    category = serializers.CharField(max_length=50, required=False, allow_blank=True, allow_null=True)
    pagePath = serializers.CharField(max_length=500, required=False, allow_blank=True, allow_null=True)
    metadata = serializers.JSONField(required=False, allow_null=True)
    sessionId = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True)

    def validate_metadata(self, value):
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
        if size > METADATA_MAX_BYTES:
            raise serializers.ValidationError(f"At most {METADATA_MAX_BYTES} bytes of JSON (got {size}).")
        return value


class TrackView(APIView):
    """Public. A Bearer token, when sent, is verified; only a valid one attaches its user (a forged or expired
    token is not an error: the event is stored without a user)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnalyticsThrottle]

    @extend_schema(request=TrackIn, responses={201: _obj("TrackOut", success=serializers.BooleanField())}, tags=TAGS)
    def post(self, request):
        data = params.parse_body(TrackIn, request)
        user_id, role = None, ""
        try:
            found = ProfileJWTAuthentication().authenticate(request)
        except APIException:
            found = None
        if found is not None:
            user, token = found
            user_id, role = user.pk, str(token.get("role") or "")[:20]
        services.analytics_event_create(user_id=user_id, user_role=role, data=data)
        return Response({"success": True}, status=status.HTTP_201_CREATED)


class EventsView(AdminView):
    @extend_schema(parameters=[params.EventsIn], responses=out.EventsPageOut, tags=TAGS)
    def get(self, request):
        q = params.parse(params.EventsIn, request)
        qs = analytics.events(event_name=q.get("eventName"))
        total = qs.count()
        rows = qs[(q["page"] - 1) * q["limit"] : q["page"] * q["limit"]]
        return Response({"events": [analytics.event_json(e) for e in rows], "total": total})


class TopEventsView(AdminView):
    @extend_schema(parameters=[params.RangeIn], responses=out.TopEventOut(many=True), tags=TAGS)
    def get(self, request):
        return Response(analytics.top_events(params.parse(params.RangeIn, request)["range"]))


# ---- support queue ------------------------------------------------------------------------------------


def support_json(m) -> dict:
    u = m.user
    return {
        "id": m.pk,
        "subject": m.subject,
        "message": m.message,
        "status": m.status,
        "source": m.source,
        "contact": m.contact or None,
        "adminNotes": m.admin_notes or None,
        "createdAt": m.created_at,
        "updatedAt": m.updated_at,
        "user": None
        if u is None
        else {
            "id": u.pk,
            "firstName": u.first_name,
            "lastName": u.last_name or None,
            "username": u.username or None,
            "telegramId": str(u.telegram_id) if u.telegram_id else None,
            "email": u.email or None,
        },
    }


class SupportListView(AdminView):
    @extend_schema(parameters=[params.SupportListIn], responses=out.SupportPageOut, tags=TAGS)
    def get(self, request):
        q = params.parse(params.SupportListIn, request)
        qs = support.queue(status=q.get("status"))
        total = qs.count()
        rows = qs[(q["page"] - 1) * q["limit"] : q["page"] * q["limit"]]
        return Response({"messages": [support_json(m) for m in rows], "total": total})


class SupportCountView(AdminView):
    @extend_schema(responses=_obj("SupportCount", count=serializers.IntegerField()), tags=TAGS)
    def get(self, request):
        return Response({"count": support.new_count()})


class SupportPatchIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=SupportMessage.Status.choices, required=False)
    adminNotes = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


class SupportPatchView(AdminView):
    @extend_schema(request=SupportPatchIn, responses=out.AdminSupportOut, tags=TAGS)
    def patch(self, request, message_id):
        data = params.parse_body(SupportPatchIn, request)
        row = services.support_message_update(
            message_id=parse_uuid(message_id, "SUPPORT_MESSAGE_NOT_FOUND"),
            status=data.get("status"),
            admin_notes=data.get("adminNotes"),
        )
        return Response(support_json(row))
