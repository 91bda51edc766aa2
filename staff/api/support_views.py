"""/api/support: a signed-in user's messages (POST, GET /my) and the public landing form."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent

from .. import services
from ..netaddr import client_ip
from ..selectors import support as support_selectors
from .throttles import LandingThrottle, SupportUserThrottle

MESSAGE_MAX = 5000
SENT = "Сообщение отправлено"


class SupportIn(serializers.Serializer):
    subject = serializers.CharField(max_length=255)
    message = serializers.CharField(max_length=MESSAGE_MAX)


class LandingIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    contact = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    message = serializers.CharField(max_length=MESSAGE_MAX)
    # Honeypot: hidden on the landing page; a bot that fills it is told "sent" and nothing is stored.
    website = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class SentOut(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    id = serializers.UUIDField(required=False)


class ReplyOut(serializers.Serializer):
    id = serializers.UUIDField()
    message = serializers.CharField(source="text")
    createdAt = serializers.DateTimeField(source="created_at")


class MyMessageOut(serializers.Serializer):
    """Only the message's own fields (never the user row, never the internal notes)."""

    id = serializers.UUIDField()
    subject = serializers.CharField()
    message = serializers.CharField()
    status = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    replies = ReplyOut(many=True)


class SupportView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [SupportUserThrottle]

    @extend_schema(request=SupportIn, responses={201: SentOut}, tags=["support"])
    @idempotent
    def post(self, request):
        data = SupportIn(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.support_message_create(user=request.user, **data.validated_data)
        return Response({"success": True, "message": SENT, "id": row.pk}, status=status.HTTP_201_CREATED)


class MySupportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MyMessageOut(many=True), tags=["support"])
    def get(self, request):
        return Response(MyMessageOut(support_selectors.my_messages(user=request.user), many=True).data)


class LandingView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LandingThrottle]

    @extend_schema(request=LandingIn, responses={201: SentOut}, tags=["support"])
    def post(self, request):
        data = LandingIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        if fields.pop("website"):
            return Response({"success": True, "message": SENT}, status=status.HTTP_201_CREATED)
        services.support_landing_message_create(**fields, client_ip=client_ip(request.META))
        return Response({"success": True, "message": SENT}, status=status.HTTP_201_CREATED)
