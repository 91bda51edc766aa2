"""E-mail routes of /api/auth (reference §2.5): paths, bodies, answers and codes as the reference, with its
weaknesses fixed (accounts/services/email_auth.py). POSTs answer 201 as the reference (Nest's default)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from tutorcal.openapi import errors

from . import serializers as s
from . import serializers_email as es
from .selectors import roles_of
from .services import email_auth, linking
from .throttles import AUTH_THROTTLES
from .throttles_email import LOGIN_THROTTLES, SEND_THROTTLES
from .views import AuthView, PublicAuthView, verified_telegram_user

SUCCESS = {"success": True}


def created(body: dict) -> Response:
    return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(
    request=es.RegisterEmailSerializer, responses={201: es.PendingSignupSerializer, **errors(409)}, tags=["auth-email"]
)
class RegisterEmailView(PublicAuthView):
    serializer_class = es.RegisterEmailSerializer
    throttle_classes = [*AUTH_THROTTLES, *SEND_THROTTLES]

    def post(self, request):
        data = self.body(request)
        user = email_auth.signup_start(
            email=data["email"],
            password=data["password"],
            first_name=data["firstName"],
            last_name=data["lastName"],
            referral_source=data["referralSource"],
            language=email_auth.language_of(request.headers.get("Accept-Language", "")),
        )
        return created({"pendingVerification": True, "userId": str(user.id), "email": user.email, "role": data["role"]})


@extend_schema(request=es.VerifyCodeSerializer, responses={201: es.SessionOutSerializer}, tags=["auth-email"])
class VerifyCodeView(PublicAuthView):
    serializer_class = es.VerifyCodeSerializer

    def post(self, request):
        data = self.body(request)
        user = email_auth.signup_verify(user_id=data["userId"], code=data["code"], role=data["role"])
        return created(s.session_json(user, data["role"]))


@extend_schema(request=es.UserIdSerializer, responses={201: es.SuccessSerializer}, tags=["auth-email"])
class ResendCodeView(PublicAuthView):
    serializer_class = es.UserIdSerializer
    throttle_classes = [*AUTH_THROTTLES, *SEND_THROTTLES]

    def post(self, request):
        email_auth.signup_resend(user_id=self.body(request)["userId"])
        return created(SUCCESS)


@extend_schema(
    request=es.LoginEmailSerializer, responses={201: es.SessionOutSerializer, **errors(401, 403)}, tags=["auth-email"]
)
class LoginEmailView(PublicAuthView):
    serializer_class = es.LoginEmailSerializer
    throttle_classes = [*AUTH_THROTTLES, *LOGIN_THROTTLES]

    def post(self, request):
        data = self.body(request)
        user, role = email_auth.email_login(email=data["email"], password=data["password"])
        return created({**s.session_json(user, role), "isNewUser": False})


@extend_schema(responses=es.MeWebSerializer, tags=["auth-email"])
class MeWebView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"user": s.user_json(request.user), "roles": roles_of(request.user)})


@extend_schema(request=es.TokenSerializer, responses={201: es.SuccessSerializer}, tags=["auth-email"])
class VerifyEmailView(PublicAuthView):
    serializer_class = es.TokenSerializer

    def post(self, request):
        email_auth.email_link_verify(token=self.body(request)["token"])
        return created(SUCCESS)


@extend_schema(request=es.EmailOnlySerializer, responses={201: es.SuccessSerializer}, tags=["auth-email"])
class ForgotPasswordView(PublicAuthView):
    serializer_class = es.EmailOnlySerializer
    throttle_classes = [*AUTH_THROTTLES, *SEND_THROTTLES]

    def post(self, request):
        email_auth.password_forgot(email=self.body(request)["email"])
        return created(SUCCESS)


@extend_schema(request=es.ResetPasswordSerializer, responses={201: es.SuccessSerializer}, tags=["auth-email"])
class ResetPasswordView(PublicAuthView):
    serializer_class = es.ResetPasswordSerializer

    def post(self, request):
        data = self.body(request)
        email_auth.password_reset(token=data["token"], password=data["password"])
        return created(SUCCESS)


@extend_schema(
    request=es.LinkEmailSerializer, responses={201: es.SuccessSerializer, **errors(409)}, tags=["auth-email"]
)
class LinkEmailView(AuthView):
    permission_classes = [IsAuthenticated]
    serializer_class = es.LinkEmailSerializer
    throttle_classes = [*AUTH_THROTTLES, *SEND_THROTTLES]

    def post(self, request):
        data = self.body(request)
        email_auth.email_link_start(user=request.user, email=data["email"], password=data["password"])
        return created(SUCCESS)


@extend_schema(
    request=es.LinkTelegramSerializer,
    responses={201: es.SuccessSerializer, **errors(401, 403, 409)},
    tags=["auth-email"],
)
class LinkTelegramView(PublicAuthView):
    """Proves the address by its password, then attaches the Telegram account of the signed initData."""

    serializer_class = es.LinkTelegramSerializer
    throttle_classes = [*AUTH_THROTTLES, *LOGIN_THROTTLES]

    def post(self, request):
        data = self.body(request)
        tg_user = verified_telegram_user(data["initData"])
        user = email_auth.credentials_check(email=data["email"], password=data["password"])
        linking.identity_link(user=user, network="telegram", identity=tg_user)
        return created(SUCCESS)


@extend_schema(
    request=s.InitDataSerializer, responses={201: es.SuccessSerializer, **errors(401, 409)}, tags=["auth-email"]
)
class AutoLinkTelegramView(AuthView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.InitDataSerializer

    def post(self, request):
        tg_user = verified_telegram_user(self.body(request)["initData"])
        already = linking.identity_link(user=request.user, network="telegram", identity=tg_user, auto=True)
        return created({"success": True, "alreadyLinked": True} if already else SUCCESS)
