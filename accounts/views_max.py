"""MAX messenger sign-in (reference §2.4): init-max, link-max, auto-link-max. MAX users register by e-mail and
then auto-link (the reference's register-max is commented out; we keep that flow)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers as rf
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from tutorcal.openapi import errors

from . import serializers as s
from . import serializers_email as es
from .max import max_user_json, verified_max_user
from .selectors import roles_of
from .services import linking
from .views import AuthView, PublicAuthView


class MaxUserSerializer(rf.Serializer):
    id = rf.IntegerField()
    firstName = rf.CharField()
    lastName = rf.CharField()
    username = rf.CharField()


class MaxUserOutSerializer(es.UserOutSerializer):
    maxId = rf.IntegerField(allow_null=True, help_text="a number in the MAX variant (reference §2.3)")


class InitMaxOutSerializer(es.SessionOutSerializer):
    user = MaxUserOutSerializer(allow_null=True)
    maxUser = MaxUserSerializer(required=False)


@extend_schema(
    request=s.InitDataSerializer, responses={201: InitMaxOutSerializer, **errors(401, 403)}, tags=["auth-max"]
)
class InitMaxView(PublicAuthView):
    """Known MAX user: a session for their first role. Unknown: isNewUser (plus `maxUser`, so the client can
    prefill the e-mail sign-up before it auto-links)."""

    serializer_class = s.InitDataSerializer

    def post(self, request):
        max_user = verified_max_user(self.body(request)["initData"])
        user = linking.user_find_by_max(max_user["id"])
        if user is None:
            body = {"isNewUser": True, "user": None, "roles": [], "currentRole": None, "token": None}
            return Response({**body, "refreshToken": None, "maxUser": max_user_json(max_user)}, status=201)
        roles = roles_of(user)
        body = s.session_json(user, roles[0] if roles else None)
        body["user"]["maxId"] = user.max_id  # the MAX variant of the user answers a number (reference §2.3)
        return Response({"isNewUser": False, **body}, status=status.HTTP_201_CREATED)


@extend_schema(request=s.InitDataSerializer, responses={201: es.SuccessSerializer, **errors(409)}, tags=["auth-max"])
class LinkMaxView(AuthView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.InitDataSerializer

    def post(self, request):
        max_user = verified_max_user(self.body(request)["initData"])
        linking.identity_link(user=request.user, network="max", identity=max_user)
        return Response({"success": True}, status=status.HTTP_201_CREATED)


@extend_schema(request=s.InitDataSerializer, responses={201: es.SuccessSerializer, **errors(409)}, tags=["auth-max"])
class AutoLinkMaxView(AuthView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.InitDataSerializer

    def post(self, request):
        max_user = verified_max_user(self.body(request)["initData"])
        already = linking.identity_link(user=request.user, network="max", identity=max_user, auto=True)
        body = {"success": True, "alreadyLinked": True} if already else {"success": True}
        return Response(body, status=status.HTTP_201_CREATED)
