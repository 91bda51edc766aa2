"""POST /api/max-bot/webhook: updates from MAX (reference §3.4). Refused (403) unless X-Max-Bot-Api-Secret equals
MAX_WEBHOOK_SECRET (registered with `manage.py set_max_webhook`); with the right secret the answer is always 200,
so MAX never retries an update we could not use. Answers are queued in the outbox (sent by the worker)."""

import hmac
import logging

from django.conf import settings
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from tutorcal.errors import error_body
from tutorcal.openapi import errors

from .channels import max as max_channel

logger = logging.getLogger(__name__)


@extend_schema(
    tags=["bot"],
    summary="MAX webhook (MAX only)",
    request=OpenApiTypes.OBJECT,
    responses={
        200: inline_serializer(
            "MaxWebhookAccepted", {"ok": serializers.BooleanField(), "handled": serializers.BooleanField()}
        ),
        **errors(403),
    },
    parameters=[OpenApiParameter("X-Max-Bot-Api-Secret", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True)],
)
class MaxWebhookView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def post(self, request):
        expected = settings.MAX_WEBHOOK_SECRET
        given = request.headers.get("X-Max-Bot-Api-Secret", "")
        if not max_channel.enabled() or not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return Response(error_body(403, "INVALID_WEBHOOK_SECRET"), status=403)
        update = request.data if isinstance(request.data, dict) else {}
        try:
            with transaction.atomic():
                answered = max_channel.answer_update(update)
        except Exception:  # a broken update must not make MAX retry it forever
            logger.exception("failed to process a MAX update of type %r", str(update.get("update_type"))[:40])
            answered = None
        return Response({"ok": True, "handled": answered is not None})
