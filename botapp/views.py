"""/api/bot/*: the Telegram webhook (async, served by daphne), operator endpoints guarded by BOT_ADMIN_SECRET,
and the user's notification settings (JWT).

python-telegram-bot (~36 MB resident with httpx) is imported where it is used, not with this module: the web
workers, which load every URL's views, never serve the webhook or the operator calls."""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, JsonResponse
from django.utils.http import parse_header_parameters
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.throttles import AuthIPThrottle
from tutorcal import jsonbody
from tutorcal.errors import DomainError, error_body
from tutorcal.openapi import errors

from . import output as o
from . import texts
from .models import PREFERENCE_FIELDS
from .services import preferences

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
MAX_UPDATE_BYTES = 1024 * 1024


def _secret_ok(given: str | None, expected: str) -> bool:
    if not expected:
        return False
    return hmac.compare_digest((given or "").encode(), expected.encode())


# ---- webhook ----------------------------------------------------------------------------------------------


@csrf_exempt
async def webhook(request: HttpRequest) -> JsonResponse:
    """POST /api/bot/webhook. 403 unless X-Telegram-Bot-Api-Secret-Token matches; otherwise 200, even for a body
    it cannot read or an update whose handler failed (both are logged)."""
    if request.method != "POST":
        return JsonResponse(error_body(405, "METHOD_NOT_ALLOWED"), status=405)
    if not _secret_ok(request.headers.get("X-Telegram-Bot-Api-Secret-Token"), settings.TELEGRAM_WEBHOOK_SECRET):
        return JsonResponse(error_body(403, "INVALID_WEBHOOK_SECRET"), status=403)
    # With the right secret the answer is always 200: anything else makes Telegram retry the update for hours.
    # What cannot be read is logged (never the body itself: it may hold users' messages).
    data = _update_from(request)
    if data is None:
        return JsonResponse({"ok": True, "handled": False})
    from telegram import Update

    from . import telegram_app

    app = await telegram_app.get_application_safe()
    if app is None:
        return JsonResponse({"ok": True, "handled": False})
    try:
        update = Update.de_json(data, app.bot)
        await app.process_update(update)
    except Exception:  # a broken update or handler must not make Telegram retry it forever
        logger.exception("failed to process Telegram update %s", data.get("update_id"))
    finally:
        if not isinstance(request, ASGIRequest):  # this loop ends with the request: close the bot's connections
            await telegram_app.release_application()
    return JsonResponse({"ok": True})


webhook.accepts_any_body = True  # tutorcal.middleware lets it answer 200 itself to whatever Telegram sends


def _update_from(request: HttpRequest) -> dict | None:
    content_type, _ = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
    if content_type != "application/json":
        logger.warning("webhook: ignored a body of type %r", content_type[:100])
        return None
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_UPDATE_BYTES:
            raise DomainError("REQUEST_TOO_LARGE")
        data = jsonbody.loads(request.body)  # bytes: never decoded with the charset the sender names
    except ValueError:
        logger.warning("webhook: ignored an update with a malformed Content-Length")
        return None
    except DomainError as exc:
        logger.warning("webhook: ignored an unreadable update (%s)", exc.code)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        logger.warning("webhook: ignored JSON that is not an update")
        return None
    return data


# ---- operator endpoints -----------------------------------------------------------------------------


class AdminSecretView(APIView):
    """X-Admin-Secret must equal BOT_ADMIN_SECRET (constant time). Never the bot token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthIPThrottle]  # secret guesses are rate limited per client address, like logins

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not _secret_ok(request.headers.get("X-Admin-Secret"), settings.BOT_ADMIN_SECRET):
            raise DomainError("INVALID_ADMIN_SECRET")
        from . import telegram_app

        if not telegram_app.bot_enabled():
            raise DomainError("BOT_DISABLED")

    def call(self, factory):
        from telegram.error import TelegramError

        from . import telegram_app

        try:
            return telegram_app.run_bot_call(factory)
        except TelegramError as exc:
            logger.warning("Bot API call failed: %s", exc)  # the details stay in the log, not the response
            raise DomainError("TELEGRAM_ERROR") from None


ADMIN_HEADER = OpenApiParameter("X-Admin-Secret", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True)


class SetWebhookSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2048)
    dropPendingUpdates = serializers.BooleanField(required=False, default=False)

    def validate_url(self, value: str) -> str:
        if not value.startswith("https://"):
            raise serializers.ValidationError("Telegram needs an https:// URL")
        return value


async def set_webhook_and_commands(bot, *, url: str, drop_pending_updates: bool) -> bool:
    from telegram import BotCommand, MenuButtonWebApp, WebAppInfo

    ok = await bot.set_webhook(
        url=url,
        secret_token=settings.TELEGRAM_WEBHOOK_SECRET or None,
        allowed_updates=ALLOWED_UPDATES,
        drop_pending_updates=drop_pending_updates,
    )
    await bot.set_my_commands([BotCommand(name, description) for name, description in texts.TEACHER_COMMANDS])
    if settings.WEBAPP_URL.startswith("https://"):  # Telegram accepts only https Mini App URLs
        button = MenuButtonWebApp(text=texts.BTN_MENU, web_app=WebAppInfo(url=settings.WEBAPP_URL))
        await bot.set_chat_menu_button(menu_button=button)
    return ok


@extend_schema(
    request=SetWebhookSerializer,
    responses={200: o.SetWebhookOut, **errors(401, 502, 503)},
    parameters=[ADMIN_HEADER],
    tags=["bot"],
)
class SetWebhookView(AdminSecretView):
    def post(self, request):
        body = SetWebhookSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        url = body.validated_data["url"]
        if not settings.TELEGRAM_WEBHOOK_SECRET:
            raise DomainError("TELEGRAM_WEBHOOK_SECRET_NOT_SET")
        ok = self.call(
            lambda bot: set_webhook_and_commands(
                bot, url=url, drop_pending_updates=body.validated_data["dropPendingUpdates"]
            )
        )
        return Response({"success": bool(ok), "url": url, "message": "Webhook set" if ok else "Webhook not set"})


@extend_schema(
    request=None, responses={200: o.WebhookInfoOut, **errors(401, 502, 503)}, parameters=[ADMIN_HEADER], tags=["bot"]
)
class WebhookInfoView(AdminSecretView):
    def get(self, request):
        info = self.call(lambda bot: bot.get_webhook_info())
        return Response({"info": info.to_dict() if info else None})


@extend_schema(
    request=None, responses={200: o.SuccessOut, **errors(401, 502, 503)}, parameters=[ADMIN_HEADER], tags=["bot"]
)
class DeleteWebhookView(AdminSecretView):
    def post(self, request):
        return Response({"success": bool(self.call(lambda bot: bot.delete_webhook()))})


class TestSendSerializer(serializers.Serializer):
    telegramId = serializers.IntegerField(min_value=1, max_value=jsonbody.INT_MAX)
    text = serializers.CharField(max_length=texts.TELEGRAM_LIMIT)
    buttonText = serializers.CharField(max_length=64, required=False, allow_blank=True)


@extend_schema(
    request=TestSendSerializer,
    responses={200: o.TestSendOut, **errors(401, 503)},
    parameters=[ADMIN_HEADER],
    tags=["bot"],
)
class TestSendView(AdminSecretView):
    def post(self, request):
        body = TestSendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        markup = texts.webapp_markup(data["buttonText"]) if data.get("buttonText") else None
        from telegram.constants import ParseMode
        from telegram.error import TelegramError

        from . import telegram_app
        from .handlers import markup_obj

        async def send(bot):
            return await bot.send_message(
                chat_id=data["telegramId"],
                text=data["text"],
                parse_mode=ParseMode.HTML,
                reply_markup=markup_obj(markup),
            )

        try:
            telegram_app.run_bot_call(send)
            ok = True
        except TelegramError as exc:
            logger.warning("test-send failed: %s", exc)
            ok = False
        return Response(
            {
                "success": ok,
                "telegramId": data["telegramId"],
                "message": "Message sent" if ok else "Failed to send message",
            }
        )


# ---- notification settings (JWT) ----------------------------------------------------------------------

EVENT_TYPES = [str(t) for t in PREFERENCE_FIELDS]


class GrantedSerializer(serializers.Serializer):
    granted = serializers.BooleanField()


class EnabledSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()


class PreferenceSerializer(serializers.Serializer):
    eventType = serializers.ChoiceField(choices=EVENT_TYPES)
    enabled = serializers.BooleanField()


class PreferencesSerializer(serializers.Serializer):
    preferences = serializers.DictField(child=serializers.BooleanField(), allow_empty=False)

    def validate_preferences(self, value: dict) -> dict:
        unknown = sorted(set(value) - set(EVENT_TYPES))
        if unknown:
            raise serializers.ValidationError(f"unknown event types: {', '.join(unknown)}")
        return value


class SettingsView(APIView):
    permission_classes = [IsAuthenticated]

    def body(self, serializer_class, request) -> dict:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


@extend_schema(responses=o.NotificationSettingsOut, tags=["bot"])
class NotificationsView(SettingsView):
    def get(self, request):
        return Response(preferences.settings_json(preferences.settings_get(user=request.user)))


@extend_schema(request=GrantedSerializer, responses=o.SuccessOut, tags=["bot"])
class NotificationsInitialView(SettingsView):
    def post(self, request):
        preferences.settings_set_master(user=request.user, enabled=self.body(GrantedSerializer, request)["granted"])
        return Response({"success": True})


@extend_schema(request=EnabledSerializer, responses=o.SuccessOut, tags=["bot"])
class NotificationsToggleView(SettingsView):
    def post(self, request):
        preferences.settings_set_master(user=request.user, enabled=self.body(EnabledSerializer, request)["enabled"])
        return Response({"success": True})


@extend_schema(request=PreferenceSerializer, responses=o.SuccessOut, tags=["bot"])
class NotificationsPreferenceView(SettingsView):
    def post(self, request):
        data = self.body(PreferenceSerializer, request)
        preferences.settings_set_preferences(user=request.user, preferences={data["eventType"]: data["enabled"]})
        return Response({"success": True})


@extend_schema(request=PreferencesSerializer, responses=o.PreferencesOut, tags=["bot"])
class NotificationsPreferencesView(SettingsView):
    def post(self, request):
        data = self.body(PreferencesSerializer, request)
        row = preferences.settings_set_preferences(user=request.user, preferences=data["preferences"])
        return Response({"success": True, "settings": preferences.settings_json(row)})
