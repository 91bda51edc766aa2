"""Response shapes of /api/auth/* for the OpenAPI schema. The views build these bodies as dicts
(accounts.serializers.session_json & co.); the suite validates every real response against these shapes."""

from rest_framework import serializers

from .serializers import ROLE_CHOICES
from .serializers_email import UserOutSerializer as UserOut


class MeUserOut(UserOut):
    createdAt = serializers.DateTimeField()


class TelegramUserOut(serializers.Serializer):
    id = serializers.IntegerField()
    firstName = serializers.CharField()
    lastName = serializers.CharField()
    username = serializers.CharField()


class TokensOut(serializers.Serializer):
    token = serializers.CharField(help_text="Access token (Bearer)")
    refreshToken = serializers.CharField()
    expiresAt = serializers.DateTimeField(help_text="When the access token expires")


class AuthSessionOut(serializers.Serializer):
    """Tokens are null until a role is chosen (a user with several roles calls select-role)."""

    user = UserOut()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ROLE_CHOICES))
    currentRole = serializers.ChoiceField(choices=ROLE_CHOICES, allow_null=True)
    token = serializers.CharField(allow_null=True)
    refreshToken = serializers.CharField(allow_null=True)


class InitOut(serializers.Serializer):
    """Three shapes: a new user ({isNewUser: true, telegramUser}); a deleted, restorable account
    ({isNewUser: false, isDeleted, canRestore, daysLeft, deletedAt, telegramUser}); a known user
    ({isNewUser: false} + the session)."""

    isNewUser = serializers.BooleanField()
    telegramUser = TelegramUserOut(required=False)
    isDeleted = serializers.BooleanField(required=False)
    canRestore = serializers.BooleanField(required=False)
    daysLeft = serializers.IntegerField(required=False)
    deletedAt = serializers.DateTimeField(required=False)
    user = UserOut(required=False)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ROLE_CHOICES), required=False)
    currentRole = serializers.ChoiceField(choices=ROLE_CHOICES, allow_null=True, required=False)
    token = serializers.CharField(allow_null=True, required=False)
    refreshToken = serializers.CharField(allow_null=True, required=False)


class RegisteredProfileOut(serializers.Serializer):
    id = serializers.UUIDField()
    displayName = serializers.CharField(required=False, help_text="teachers only")


class RegisterOut(AuthSessionOut):
    profile = RegisteredProfileOut()


class TeacherProfileOut(serializers.Serializer):
    id = serializers.UUIDField()
    displayName = serializers.CharField()
    bio = serializers.CharField()


class StudentProfileOut(serializers.Serializer):
    id = serializers.UUIDField()
    customFields = serializers.JSONField(allow_null=True)


class ParentProfileOut(serializers.Serializer):
    id = serializers.UUIDField()


class ProfilesOut(serializers.Serializer):
    teacher = TeacherProfileOut(required=False)
    student = StudentProfileOut(required=False)
    parent = ParentProfileOut(required=False)


class MeOut(serializers.Serializer):
    user = MeUserOut()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ROLE_CHOICES))
    currentRole = serializers.ChoiceField(choices=ROLE_CHOICES, allow_null=True)
    profiles = ProfilesOut()


class MessageOut(serializers.Serializer):
    message = serializers.CharField()


class TeacherRefOut(serializers.Serializer):
    id = serializers.UUIDField()
    displayName = serializers.CharField()


class StudentRefOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class JoinOut(AuthSessionOut):
    """A student joining a teacher gets `teacher` and the parent invite; a parent joining a child gets `student`."""

    isNewConnection = serializers.BooleanField()
    teacher = TeacherRefOut(required=False)
    parentInviteCode = serializers.CharField(required=False)
    parentInviteUrl = serializers.URLField(required=False)
    student = StudentRefOut(required=False)


class InvitationOut(serializers.Serializer):
    type = serializers.ChoiceField(choices=["student", "parent"])
    teacher = TeacherRefOut()


class AcceptInvitationOut(AuthSessionOut):
    isNewConnection = serializers.BooleanField()
    invitation = InvitationOut()


class DeleteAccountOut(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    deletedAt = serializers.DateTimeField()
    restoreDays = serializers.IntegerField()


class RestoreAccountOut(AuthSessionOut):
    success = serializers.BooleanField()
    message = serializers.CharField()


class ActivateBetaOut(serializers.Serializer):
    """With a role in the token, fresh tokens carrying isBetaTester are included."""

    userId = serializers.UUIDField()
    isBetaTester = serializers.BooleanField()
    message = serializers.CharField()
    token = serializers.CharField(required=False)
    refreshToken = serializers.CharField(required=False)
    expiresAt = serializers.DateTimeField(required=False)


class BetaStatusOut(serializers.Serializer):
    isBetaTester = serializers.BooleanField()
