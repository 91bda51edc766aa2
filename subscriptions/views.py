"""Subscription endpoints (reference-domain §2.5, §4): thin views over services and selectors.

Every read checks the teacher–student link (archived links count, as in the reference): a teacher gets
404 STUDENT_NOT_FOUND for a student who is not theirs, a student 404 TEACHER_NOT_FOUND."""

from zoneinfo import ZoneInfo

from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from accounts.models import TeacherStudentLink
from accounts.permissions import IsStudent, IsTeacher
from tutorcal.errors import DomainError, parse_uuid
from tutorcal.openapi import SuccessOut, errors

from . import selectors, services
from . import serializers as s


def nullable(data: dict | None):
    """DRF renders a None body as an empty response; the contract wants a JSON `null`."""
    return Response(data) if data is not None else JsonResponse(None, safe=False)


def linked_student_id(request, student_id: str):
    """The path's student id, if this teacher has a link with them (archived OK); else 404 STUDENT_NOT_FOUND."""
    sid = parse_uuid(student_id, "STUDENT_NOT_FOUND")
    if not TeacherStudentLink.objects.filter(teacher_id=request.profile.id, student_id=sid).exists():
        raise DomainError("STUDENT_NOT_FOUND")
    return sid


class TeacherView(APIView):
    permission_classes = [IsTeacher]


class StudentView(APIView):
    permission_classes = [IsStudent]


@extend_schema(tags=["teacher subscriptions"])
class StudentSubscriptionView(TeacherView):
    @extend_schema(
        operation_id="teacher_student_subscription_get",
        responses={
            200: OpenApiResponse(
                s.SubscriptionOutSerializer(allow_null=True), description="The non-deleted one or null"
            )
        },
    )
    def get(self, request, student_id: str):
        sid = linked_student_id(request, student_id)
        return nullable(selectors.subscription_json(selectors.active_subscription(request.profile.id, sid)))

    @extend_schema(
        operation_id="teacher_student_subscription_create",
        request=s.SubscriptionCreateSerializer,
        responses={201: s.SubscriptionOutSerializer, **errors(409)},
    )
    @idempotent
    def post(self, request, student_id: str):
        sid = linked_student_id(request, student_id)  # 404 before the body is looked at, as in the reference
        zone = ZoneInfo(request.user.timezone or "Europe/Moscow")
        serializer = s.SubscriptionCreateSerializer(data=request.data, context={"zone": zone})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        subscription = services.subscription_create(
            teacher_id=request.profile.id,
            student_id=sid,
            type=data["type"],
            total_lessons=data.get("totalLessons"),
            expires_at=data.get("expiresAt"),
            name=data.get("name"),
        )
        return Response(selectors.subscription_json(subscription), status=status.HTTP_201_CREATED)


@extend_schema(tags=["teacher subscriptions"])
class SubscriptionDeleteView(TeacherView):
    @extend_schema(operation_id="teacher_subscription_delete", request=None, responses={200: SuccessOut})
    def delete(self, request, subscription_id: str):
        services.subscription_delete(
            teacher_id=request.profile.id, subscription_id=parse_uuid(subscription_id, "SUBSCRIPTION_NOT_FOUND")
        )
        return Response({"success": True})


@extend_schema(tags=["teacher subscriptions"])
class SubscriptionRestoreView(TeacherView):
    @extend_schema(
        operation_id="teacher_subscription_restore",
        request=None,
        responses={201: s.SubscriptionOutSerializer, **errors(409)},
    )
    def post(self, request, subscription_id: str):
        subscription = services.subscription_restore(
            teacher_id=request.profile.id, subscription_id=parse_uuid(subscription_id, "SUBSCRIPTION_NOT_FOUND")
        )
        # Every POST is 201 in the reference (NestJS default), restore included.
        return Response(selectors.subscription_json(subscription), status=status.HTTP_201_CREATED)


@extend_schema(tags=["teacher subscriptions"])
class HasSubscriptionView(TeacherView):
    @extend_schema(operation_id="teacher_student_has_subscription", responses={200: s.HasSubscriptionOutSerializer})
    def get(self, request, student_id: str):
        sid = linked_student_id(request, student_id)
        return Response(selectors.has_subscription_json(selectors.active_subscription(request.profile.id, sid)))


@extend_schema(tags=["teacher subscriptions"])
class ArchivedSubscriptionsView(TeacherView):
    @extend_schema(
        operation_id="teacher_student_subscriptions_archived",
        responses={200: s.ArchivedSubscriptionOutSerializer(many=True)},
    )
    def get(self, request, student_id: str):
        sid = linked_student_id(request, student_id)
        rows = selectors.archived_subscriptions(request.profile.id, sid)
        return Response([selectors.archived_subscription_json(sub) for sub in rows])


@extend_schema(tags=["student subscriptions"])
class MySubscriptionsView(StudentView):
    @extend_schema(
        operation_id="student_subscriptions_list", responses={200: s.StudentSubscriptionOutSerializer(many=True)}
    )
    def get(self, request):
        rows = selectors.student_subscriptions(request.profile.id)
        return Response([selectors.student_subscription_json(sub) for sub in rows])


@extend_schema(tags=["student subscriptions"])
class MySubscriptionWithTeacherView(StudentView):
    @extend_schema(
        operation_id="student_subscription_with_teacher",
        responses={
            200: OpenApiResponse(
                s.StudentSubscriptionOutSerializer(allow_null=True), description="The non-deleted one or null"
            )
        },
    )
    def get(self, request, teacher_id: str):
        tid = parse_uuid(teacher_id, "TEACHER_NOT_FOUND")
        if not TeacherStudentLink.objects.filter(teacher_id=tid, student_id=request.profile.id).exists():
            raise DomainError("TEACHER_NOT_FOUND")
        sub = selectors.student_subscriptions(request.profile.id).filter(teacher_id=tid).first()
        return nullable(selectors.student_subscription_json(sub) if sub is not None else None)
