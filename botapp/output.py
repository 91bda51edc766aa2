"""Response shapes of /api/bot/* for the OpenAPI schema (the views build these bodies as dicts)."""

from rest_framework import serializers

from tutorcal.openapi import SuccessOut  # noqa: F401 (re-exported for the views)


class SetWebhookOut(serializers.Serializer):
    success = serializers.BooleanField()
    url = serializers.URLField()
    message = serializers.CharField()


class WebhookInfoOut(serializers.Serializer):
    info = serializers.DictField(allow_null=True, help_text="Telegram's WebhookInfo, as Telegram sent it")


class TestSendOut(serializers.Serializer):
    success = serializers.BooleanField()
    telegramId = serializers.IntegerField()
    message = serializers.CharField()


class NotificationSettingsOut(serializers.Serializer):
    notificationsAsked = serializers.BooleanField()
    notificationsEnabled = serializers.BooleanField()
    lessonCreatedEnabled = serializers.BooleanField()
    lessonRescheduledEnabled = serializers.BooleanField()
    lessonCancelledEnabled = serializers.BooleanField()
    lessonReminderEnabled = serializers.BooleanField()
    lessonPromptEnabled = serializers.BooleanField()
    newStudentEnabled = serializers.BooleanField()
    lessonBalanceEnabled = serializers.BooleanField()
    morningDigestEnabled = serializers.BooleanField()
    packageEndingEnabled = serializers.BooleanField()
    waitlistPromotedEnabled = serializers.BooleanField()


class PreferencesOut(serializers.Serializer):
    success = serializers.BooleanField()
    settings = NotificationSettingsOut()
