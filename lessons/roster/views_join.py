"""Joining from the auth API (/api/auth/join, /join-web, /accept-invitation): these create roster links, so
the views live with the roster and tutorcal/urls.py routes the /api/auth/ paths here (accounts never imports
lessons)."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts import output as o
from accounts import serializers as s
from accounts.services.users import user_get_or_create_from_telegram
from accounts.views import AuthView, PublicAuthView, verified_telegram_user
from lessons.roster.services.invitations import invitation_accept, invitation_check, invite_url
from lessons.roster.services.joins import referral_code_join
from tutorcal.errors import DomainError
from tutorcal.openapi import errors


def _join_response(user, result) -> dict:
    body = {**s.session_json(user, result.role), "isNewConnection": result.is_new_connection}
    if result.role == "student":
        body["teacher"] = {"id": str(result.teacher.id), "displayName": result.teacher.display_name}
        body["parentInviteCode"] = result.student.parent_invite_code
        body["parentInviteUrl"] = invite_url(result.student.parent_invite_code)
    else:
        body["student"] = {"id": str(result.student.id), "name": result.student.user.full_name}
    return body


@extend_schema(responses={200: o.JoinOut, **errors(401, 403, 404, 409)}, tags=["auth"])
class JoinView(PublicAuthView):
    serializer_class = s.JoinSerializer

    def post(self, request):
        data = self.body(request)
        tg_user = verified_telegram_user(data["initData"])
        code = data["referralCode"].strip()
        if not code.startswith(("T_", "P_")):
            raise DomainError("INVALID_REFERRAL_CODE")
        user, _ = user_get_or_create_from_telegram(tg_user=tg_user)
        result = referral_code_join(user=user, code=code, via="telegram")
        return Response(_join_response(user, result))


@extend_schema(responses={200: o.JoinOut, **errors(404, 409)}, tags=["auth"])
class JoinWebView(AuthView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.JoinWebSerializer

    def post(self, request):
        result = referral_code_join(user=request.user, code=self.body(request)["referralCode"], via="web")
        return Response(_join_response(request.user, result))


@extend_schema(responses={200: o.AcceptInvitationOut, **errors(401, 404, 409, 410)}, tags=["auth"])
class AcceptInvitationView(PublicAuthView):
    serializer_class = s.AcceptInvitationSerializer

    def post(self, request):
        data = self.body(request)
        invitation = invitation_check(data["invitationToken"])  # the reference checks the token first
        tg_user = verified_telegram_user(data["initData"])
        user, is_new = invitation_accept(invitation=invitation, tg_user=tg_user)
        role = "student" if invitation.type == "student" else "parent"
        teacher = invitation.teacher
        return Response(
            {
                **s.session_json(user, role),
                "isNewConnection": is_new,
                "invitation": {
                    "type": invitation.type,
                    "teacher": {"id": str(teacher.id), "displayName": teacher.display_name},
                },
            }
        )
