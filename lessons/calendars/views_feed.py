"""GET /api/calendar/feed, POST /api/calendar/feed/rotate (JWT: the signed-in role's feed URL) and the feed
itself, GET /api/calendar/<token>.ics (no JWT: the token is the credential)."""

import hashlib
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime

from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
from django.utils import timezone
from django.views import View
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import PROFILE_REQUIRED
from accounts.selectors import profile_of
from tutorcal.error_codes import status_for
from tutorcal.errors import DomainError, error_body

from . import feed
from . import serializers as s


class HasRoleProfile(BasePermission):
    """Any role, as long as the token's profileId is this user's profile of the token's role."""

    def has_permission(self, request, view) -> bool:
        if request.user is None or request.auth is None:
            return False
        role, profile_id = request.auth.get("role"), request.auth.get("profileId")
        profile = profile_of(request.user, role) if role in feed.ITEMS else None
        if not profile_id or profile is None or str(profile.id) != str(profile_id):
            raise PermissionDenied(PROFILE_REQUIRED)
        request.profile = profile
        return True


def _urls(request, token: str) -> dict:
    url = request.build_absolute_uri(f"/api/calendar/{token}.ics")
    return {"url": url, "webcalUrl": "webcal://" + url.split("://", 1)[1], "role": request.auth["role"]}


@extend_schema(tags=["calendar feed"], responses=s.FeedOut)
class FeedUrlView(APIView):
    permission_classes = [HasRoleProfile]

    def get(self, request):
        return Response(_urls(request, feed.feed_token(user=request.user, role=request.auth["role"])))


@extend_schema(tags=["calendar feed"], request=None, responses=s.FeedOut)
class FeedRotateView(APIView):
    permission_classes = [HasRoleProfile]

    def post(self, request):
        return Response(_urls(request, feed.feed_rotate(user=request.user, role=request.auth["role"])))


class FeedIcsView(View):
    """Plain Django view (text/calendar, no DRF negotiation). Conditional GET: the ETag is the body's SHA-256;
    Last-Modified is when this exact body was first served (kept in the cache), so deleting a lesson — which
    leaves no newer timestamp behind — still changes it."""

    http_method_names = ["get", "head"]

    def get(self, request, token: str):
        try:
            owner = feed.feed_owner(token)
        except DomainError as exc:
            return JsonResponse(error_body(status_for(exc.code), exc.code), status=status_for(exc.code))
        body, _ = feed.render(owner)
        digest = hashlib.sha256(body).hexdigest()
        etag = f'"{digest[:32]}"'
        first_seen = _first_seen(owner, digest)
        headers = {
            "ETag": etag,
            "Last-Modified": format_datetime(first_seen, usegmt=True),
            "Cache-Control": "private, max-age=300",
        }
        if _not_modified(request, etag, first_seen):
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
            response["Content-Disposition"] = 'inline; filename="tutor-calendar.ics"'
        for name, value in headers.items():
            response[name] = value
        response["X-Robots-Tag"] = "noindex"
        return response


def _first_seen(owner: feed.FeedOwner, digest: str):
    """When this feed first had this body (whole seconds, strictly later than the previous body's), so a change
    within the same second still moves Last-Modified forward."""
    key = f"calendar-feed-lm:{owner.user.id}:{owner.role}"
    known = cache.get(key)
    if known and known[0] == digest:
        return known[1]
    now = timezone.now().replace(microsecond=0)
    if known and known[1] >= now:
        now = known[1] + timedelta(seconds=1)
    cache.set(key, (digest, now), 30 * 86400)
    return now


def _not_modified(request, etag: str, first_seen) -> bool:
    inm = request.headers.get("If-None-Match")
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return etag in tags or "*" in tags
    ims = request.headers.get("If-Modified-Since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError, IndexError):
            return False
        return since is not None and since.tzinfo is not None and first_seen <= since
    return False
