from django.conf import settings
from rest_framework import serializers

from tutorcal.timeutil import iso

from .models import User
from .selectors import profile_of, roles_of

ROLE_CHOICES = ["teacher", "student", "parent"]


class InitDataSerializer(serializers.Serializer):
    initData = serializers.CharField(max_length=8192, trim_whitespace=False)


class RegisterSerializer(InitDataSerializer):
    role = serializers.ChoiceField(choices=ROLE_CHOICES)
    referralSource = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class SelectRoleSerializer(InitDataSerializer):
    role = serializers.ChoiceField(choices=ROLE_CHOICES)


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ROLE_CHOICES)


class RefreshSerializer(serializers.Serializer):
    refreshToken = serializers.CharField(max_length=4096, required=False)


class JoinSerializer(InitDataSerializer):
    referralCode = serializers.CharField(max_length=64)


class JoinWebSerializer(serializers.Serializer):
    referralCode = serializers.CharField(max_length=64)


class AcceptInvitationSerializer(serializers.Serializer):
    initData = serializers.CharField(max_length=8192, trim_whitespace=False)
    invitationToken = serializers.CharField(max_length=128)


class BetaSerializer(serializers.Serializer):
    betaCode = serializers.CharField(max_length=128)


def user_json(user: User) -> dict:
    return {
        "id": str(user.id),
        "telegramId": user.telegram_id,
        "maxId": str(user.max_id) if user.max_id is not None else None,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "username": user.username,
        "email": user.email,
        "emailVerified": user.email_verified,
        "isBetaTester": user.is_beta_tester,
        "timezone": user.timezone,
    }


def telegram_user_json(tg_user: dict) -> dict:
    return {
        "id": tg_user["id"],
        "firstName": tg_user.get("first_name") or "",
        "lastName": tg_user.get("last_name") or "",
        "username": tg_user.get("username") or "",
    }


def profiles_json(user: User) -> dict:
    out = {}
    if teacher := profile_of(user, "teacher"):
        out["teacher"] = {"id": str(teacher.id), "displayName": teacher.display_name, "bio": teacher.bio}
    if student := profile_of(user, "student"):
        out["student"] = {"id": str(student.id), "customFields": student.custom_fields}
    if parent := profile_of(user, "parent"):
        out["parent"] = {"id": str(parent.id)}
    return out


def session_json(user: User, role: str | None, *, session: str | None = None) -> dict:
    """{user, roles, currentRole, token, refreshToken}: tokens only when a role is chosen (a new login session
    unless `session` continues one)."""
    from .tokens import issue_tokens

    body = {"user": user_json(user), "roles": roles_of(user), "currentRole": role, "token": None, "refreshToken": None}
    if role:
        tokens = issue_tokens(user, role, session=session)
        body.update(token=tokens["token"], refreshToken=tokens["refreshToken"])
    return body


def me_json(user: User, current_role: str | None) -> dict:
    return {
        "user": {**user_json(user), "createdAt": iso(user.created_at)},
        "roles": roles_of(user),
        "currentRole": current_role,
        "profiles": profiles_json(user),
    }


def parent_invite_url(code: str) -> str:
    return f"{settings.WEBAPP_URL}/invite/{code}"
