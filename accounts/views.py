"""Auth API (/api/auth/*), wire-compatible with the reference (reference-auth-bot.md §2)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import AccessToken

from tutorcal.errors import DomainError
from tutorcal.openapi import errors
from tutorcal.timeutil import iso

from . import output as o
from . import serializers as s
from .authentication import ProfileJWTAuthentication
from .selectors import profile_of, roles_of, users_with_profiles
from .services import users as services
from .telegram import InvalidInitData, validate_init_data
from .throttles import AUTH_THROTTLES
from .tokens import issue_tokens, refresh_blacklist, refresh_rotate


def verified_telegram_user(init_data: str) -> dict:
    try:
        return validate_init_data(init_data, bot_token=settings.BOT_TOKEN, max_age=settings.TELEGRAM_INIT_DATA_MAX_AGE)
    except InvalidInitData:
        raise DomainError("INVALID_INIT_DATA") from None


class AuthView(APIView):
    """Base: validated body in `self.data`, auth throttles, schema from `serializer_class`."""

    permission_classes = [AllowAny]
    throttle_classes = AUTH_THROTTLES
    serializer_class = None

    def body(self, request) -> dict:
        serializer = self.serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class PublicAuthView(AuthView):
    authentication_classes: list = []


@extend_schema(responses={200: o.InitOut, **errors(401)}, tags=["auth"])
class InitView(PublicAuthView):
    serializer_class = s.InitDataSerializer

    def post(self, request):
        tg_user = verified_telegram_user(self.body(request)["initData"])
        user, days_left = services.user_for_init(tg_user=tg_user)
        if days_left is not None:
            return Response(
                {
                    "isNewUser": False,
                    "isDeleted": True,
                    "canRestore": True,
                    "daysLeft": days_left,
                    "deletedAt": iso(user.deleted_at),
                    "telegramUser": s.telegram_user_json(tg_user),
                }
            )
        if user is None:
            return Response({"isNewUser": True, "telegramUser": s.telegram_user_json(tg_user)})
        roles = roles_of(user)
        return Response({"isNewUser": False, **s.session_json(user, roles[0] if len(roles) == 1 else None)})


@extend_schema(responses={201: o.RegisterOut, **errors(401, 403, 409)}, tags=["auth"])
class RegisterView(PublicAuthView):
    serializer_class = s.RegisterSerializer

    def post(self, request):
        data = self.body(request)
        tg_user = verified_telegram_user(data["initData"])
        user = services.user_register(tg_user=tg_user, role=data["role"], referral_source=data["referralSource"])
        profile = profile_of(user, data["role"])
        body = s.session_json(user, data["role"])
        body["profile"] = {"id": str(profile.id)}
        if data["role"] == "teacher":
            body["profile"]["displayName"] = profile.display_name
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(responses={200: o.AuthSessionOut, **errors(401, 403)}, tags=["auth"])
class SelectRoleView(PublicAuthView):
    serializer_class = s.SelectRoleSerializer

    def post(self, request):
        data = self.body(request)
        tg_user = verified_telegram_user(data["initData"])
        user = services.user_find_by_telegram(tg_user["id"])
        if user is None:
            raise DomainError("USER_NOT_FOUND")
        if profile_of(user, data["role"]) is None:
            raise DomainError("ROLE_NOT_AVAILABLE")
        return Response(s.session_json(user, data["role"]))


@extend_schema(responses={201: o.AuthSessionOut, **errors(409)}, tags=["auth"])
class AddRoleView(AuthView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.RoleSerializer

    def post(self, request):
        role = self.body(request)["role"]
        services.role_add(user=request.user, role=role)
        session = request.auth.get("sid")
        return Response(s.session_json(request.user, role, session=session), status=status.HTTP_201_CREATED)


@extend_schema(responses=o.MeOut, tags=["auth"])
class MeView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response(s.me_json(request.user, request.auth.get("role")))


@extend_schema(responses={200: o.TokensOut, **errors(401)}, tags=["auth"])
class RefreshView(PublicAuthView):
    """Rotate a refresh token ({refreshToken}); for the existing frontend a still-valid bearer also works.
    Authentication is manual so that an expired bearer header does not block a refresh-token call."""

    serializer_class = s.RefreshSerializer

    def post(self, request):
        raw = self.body(request).get("refreshToken")
        if raw:
            user_id, role, session = refresh_rotate(raw)
            user = users_with_profiles().filter(pk=user_id, is_active=True, deleted_at__isnull=True).first()
        else:
            authenticated = ProfileJWTAuthentication().authenticate(request._request)
            if authenticated is None:
                raise DomainError("UNAUTHORIZED")
            user, role, session = authenticated[0], authenticated[1].get("role"), authenticated[1].get("sid")
        if user is None:
            raise DomainError("USER_NOT_FOUND")
        if role and profile_of(user, role) is None:
            raise DomainError("REFRESH_ROLE_NOT_AVAILABLE")
        return Response(issue_tokens(user, role, session=session))


@extend_schema(responses=o.MessageOut, tags=["auth"])
class LogoutView(AuthView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.RefreshSerializer

    def post(self, request):
        raw = self.body(request).get("refreshToken")
        if raw:
            refresh_blacklist(raw, user=request.user)
        if isinstance(request.auth, AccessToken):
            services.session_end(user=request.user, token=request.auth)
        return Response({"message": "Вы вышли из системы"})


@extend_schema(request=None, responses=o.DeleteAccountOut, tags=["auth"])
class DeleteAccountView(AuthView):
    permission_classes = [IsAuthenticated]

    def post(self, request):
        user = services.account_delete(user=request.user)
        return Response(
            {
                "success": True,
                "message": "Аккаунт удалён. Его можно восстановить в течение 7 дней.",
                "deletedAt": iso(user.deleted_at),
                "restoreDays": 7,
            }
        )


@extend_schema(responses={200: o.RestoreAccountOut, **errors(401, 404, 410)}, tags=["auth"])
class RestoreAccountView(PublicAuthView):
    serializer_class = s.InitDataSerializer

    def post(self, request):
        tg_user = verified_telegram_user(self.body(request)["initData"])
        user = services.account_restore(tg_user=tg_user)
        roles = roles_of(user)
        return Response(
            {
                "success": True,
                "message": "Аккаунт восстановлен",
                **s.session_json(user, roles[0] if len(roles) == 1 else None),
            }
        )


@extend_schema(responses=o.ActivateBetaOut, tags=["auth"])
class ActivateBetaView(AuthView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.BetaSerializer

    def post(self, request):
        already = services.beta_activate(user=request.user, code=self.body(request)["betaCode"])
        body = {
            "userId": str(request.user.id),
            "isBetaTester": True,
            "message": "Вы уже бета-тестер" if already else "Бета-доступ активирован",
        }
        role = request.auth.get("role")
        if role:
            # fresh claim, no stale isBetaTester; same login session
            body.update(issue_tokens(request.user, role, session=request.auth.get("sid")))
        return Response(body)


@extend_schema(responses=o.BetaStatusOut, tags=["auth"])
class BetaStatusView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"isBetaTester": request.user.is_beta_tester})
