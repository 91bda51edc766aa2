"""REST side of realtime: a WebSocket ticket, and the presence state for clients that cannot hold a socket."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import PROFILE_REQUIRED
from accounts.selectors import profile_of

from . import serializers as s
from .selectors import ROLES, Identity, contacts_of, display_name, presence_state
from .tickets import ticket_issue


class HasRoleProfile(BasePermission):
    """Any role, as long as the token's profileId is this user's profile of the token's role."""

    def has_permission(self, request, view) -> bool:
        if request.user is None or request.auth is None:
            return False
        role, profile_id = request.auth.get("role"), request.auth.get("profileId")
        profile = profile_of(request.user, role) if role in ROLES else None
        if not profile_id or profile is None or str(profile.id) != str(profile_id):
            raise PermissionDenied(PROFILE_REQUIRED)
        request.role, request.profile = role, profile
        return True


class TicketView(APIView):
    permission_classes = [HasRoleProfile]

    @extend_schema(request=None, responses={201: s.TicketSerializer}, tags=["realtime"])
    def post(self, request):
        """A single-use ticket (~30 s) for /ws/?ticket=…, bound to this user and the token's role."""
        data = ticket_issue(
            user_id=request.user.pk, role=request.role, profile_id=request.profile.id, session=request.auth.get("sid")
        )
        return Response(s.TicketSerializer(data).data, status=201)


class PresenceView(APIView):
    permission_classes = [HasRoleProfile]

    @extend_schema(responses=s.PresenceSerializer, tags=["realtime"])
    def get(self, request):
        """Which of my contacts are online (a tutor's students, a student's tutors) and who is viewing which of
        the lessons I can see — the same state the socket sends as `presence`."""
        profile_id = str(request.profile.id)
        identity = Identity(
            user_id=str(request.user.pk),
            role=request.role,
            profile_id=profile_id,
            name=display_name(request.user),
            contacts=contacts_of(request.role, profile_id),
        )
        return Response(presence_state(identity))
