"""Output shapes of /api/admin/* for the OpenAPI schema (the views build these dicts in the selectors)."""

from rest_framework import serializers as s

from ..models import SupportMessage


class AdminPayloadOut(s.Serializer):
    sub = s.UUIDField()
    login = s.CharField()
    type = s.CharField()
    iat = s.IntegerField()
    exp = s.IntegerField()


class AdminMeOut(s.Serializer):
    admin = AdminPayloadOut()


class ReferralOut(s.Serializer):
    source = s.CharField(allow_null=True)
    count = s.IntegerField()
    teachers = s.IntegerField()
    students = s.IntegerField()
    parents = s.IntegerField()
    lastRegisteredAt = s.DateTimeField()


class UserContactOut(s.Serializer):
    id = s.UUIDField()
    firstName = s.CharField()
    lastName = s.CharField(allow_null=True)
    username = s.CharField(allow_null=True)
    telegramId = s.CharField(allow_null=True)
    email = s.EmailField(allow_null=True)


class SupportUserOut(UserContactOut):
    """The user who wrote a support message."""


class AdminUserOut(UserContactOut):
    createdAt = s.DateTimeField()
    isNew = s.BooleanField()
    role = s.ChoiceField(choices=["teacher", "student", "parent"])
    profileId = s.UUIDField()
    displayName = s.CharField(allow_null=True)
    referralSource = s.CharField(allow_null=True)


class UsersPageOut(s.Serializer):
    users = AdminUserOut(many=True)
    total = s.IntegerField()


class EventOut(s.Serializer):
    id = s.IntegerField()
    eventName = s.CharField()
    category = s.CharField(allow_null=True)
    userId = s.UUIDField(allow_null=True)
    userRole = s.CharField(allow_null=True)
    pagePath = s.CharField(allow_null=True)
    metadata = s.JSONField(allow_null=True)
    platform = s.CharField()
    sessionId = s.CharField(allow_null=True)
    createdAt = s.DateTimeField()


class EventsPageOut(s.Serializer):
    events = EventOut(many=True)
    total = s.IntegerField()


class TopEventOut(s.Serializer):
    eventName = s.CharField()
    category = s.CharField(allow_null=True)
    count = s.IntegerField()


class AdminSupportOut(s.Serializer):
    id = s.UUIDField()
    subject = s.CharField()
    message = s.CharField()
    status = s.ChoiceField(choices=SupportMessage.Status.choices)
    source = s.ChoiceField(choices=["app", "landing"])
    contact = s.CharField(allow_null=True)
    adminNotes = s.CharField(allow_null=True)
    createdAt = s.DateTimeField()
    updatedAt = s.DateTimeField()
    user = SupportUserOut(allow_null=True)


class SupportPageOut(s.Serializer):
    messages = AdminSupportOut(many=True)
    total = s.IntegerField()


class RequestLogOut(s.Serializer):
    id = s.IntegerField()
    method = s.CharField()
    path = s.CharField(help_text="Normalised route: ids and codes replaced by :name")
    statusCode = s.IntegerField()
    durationMs = s.IntegerField()
    userId = s.UUIDField(allow_null=True)
    userRole = s.CharField(allow_null=True)
    clientIp = s.IPAddressField(allow_null=True)
    userAgent = s.CharField(allow_null=True)
    requestBody = s.CharField(allow_null=True, help_text="JSON with secrets replaced by ***, ≤ 1000 chars")
    responseBody = s.CharField(allow_null=True, help_text="Error responses only")
    createdAt = s.DateTimeField()


class DetailedLogOut(RequestLogOut):
    userName = s.CharField(allow_null=True)
    userUsername = s.CharField(allow_null=True)


class LogsPageOut(s.Serializer):
    logs = RequestLogOut(many=True)
    total = s.IntegerField()


class DetailedLogsPageOut(s.Serializer):
    logs = DetailedLogOut(many=True)
    total = s.IntegerField()


class ChartPointOut(s.Serializer):
    time = s.CharField(help_text="Bucket start in TIME_ZONE: YYYY-MM-DD HH:MM / HH:00 / YYYY-MM-DD")
    success = s.IntegerField()
    errors = s.IntegerField()
