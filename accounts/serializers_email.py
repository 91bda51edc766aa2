"""Bodies and answers of the e-mail and MAX routes (reference §2.4, §2.5): same field names and limits."""

from rest_framework import serializers

from .serializers import ROLE_CHOICES


class EmailField(serializers.EmailField):
    def __init__(self, **kwargs):
        super().__init__(max_length=254, **kwargs)


class PasswordField(serializers.CharField):
    """6–128 characters as the reference; Django's password validators then decide (AUTH_PASSWORD_VALIDATORS)."""

    def __init__(self, **kwargs):
        super().__init__(min_length=6, max_length=128, trim_whitespace=False, **kwargs)


class RegisterEmailSerializer(serializers.Serializer):
    email = EmailField()
    password = PasswordField()
    firstName = serializers.CharField(min_length=1, max_length=100)
    lastName = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=ROLE_CHOICES)
    referralSource = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class VerifyCodeSerializer(serializers.Serializer):
    userId = serializers.UUIDField()
    code = serializers.RegexField(r"^[0-9]{4}$", min_length=4, max_length=4)
    role = serializers.ChoiceField(choices=ROLE_CHOICES)


class UserIdSerializer(serializers.Serializer):
    userId = serializers.UUIDField()


class LoginEmailSerializer(serializers.Serializer):
    email = EmailField()
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)


class EmailOnlySerializer(serializers.Serializer):
    email = EmailField()


class ResetPasswordSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)
    password = PasswordField()


class LinkEmailSerializer(serializers.Serializer):
    email = EmailField()
    password = PasswordField()


class LinkTelegramSerializer(serializers.Serializer):
    initData = serializers.CharField(max_length=8192, trim_whitespace=False)
    email = EmailField()
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class PendingSignupSerializer(serializers.Serializer):
    pendingVerification = serializers.BooleanField()
    userId = serializers.UUIDField()
    email = serializers.EmailField()
    role = serializers.CharField()


class SuccessSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    alreadyLinked = serializers.BooleanField(required=False)


class UserOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    telegramId = serializers.IntegerField(allow_null=True)
    maxId = serializers.CharField(allow_null=True)
    firstName = serializers.CharField()
    lastName = serializers.CharField()
    username = serializers.CharField()
    email = serializers.EmailField(allow_null=True)
    emailVerified = serializers.BooleanField()
    isBetaTester = serializers.BooleanField()
    timezone = serializers.CharField()


class SessionOutSerializer(serializers.Serializer):
    token = serializers.CharField(allow_null=True)
    refreshToken = serializers.CharField(allow_null=True)
    user = UserOutSerializer(allow_null=True)
    roles = serializers.ListField(child=serializers.CharField(), help_text="teacher, student, parent (that order)")
    currentRole = serializers.CharField(allow_null=True)
    isNewUser = serializers.BooleanField(required=False)


class MeWebSerializer(serializers.Serializer):
    user = UserOutSerializer()
    roles = serializers.ListField(child=serializers.CharField(), help_text="teacher, student, parent (that order)")
