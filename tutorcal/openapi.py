"""OpenAPI conventions shared by every app: the contract's error body as one component, and an AutoSchema that
documents the error statuses a view can answer from its own configuration (auth, role, throttles, body, path ids),
so a view's `extend_schema` only lists its domain-specific codes (409, 410, 502, ...)."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]})
class ErrorMessageField(serializers.Field):
    """A machine code (LESSON_NOT_FOUND) or, for validation errors, a list of 'field: message' strings."""


class ErrorSerializer(serializers.Serializer):
    statusCode = serializers.IntegerField()
    message = ErrorMessageField()
    error = serializers.CharField(help_text="HTTP reason phrase")


class SuccessOut(serializers.Serializer):
    success = serializers.BooleanField()


def errors(*codes: int, description: str = "") -> dict:
    """`responses={**errors(409, 410)}`: the contract's error body for these statuses."""
    return {code: OpenApiResponse(ErrorSerializer, description=description) for code in codes}


# Views answered by tutorcal.viewcache: an ETag on every 200, 304 (no body) when If-None-Match names it.
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="the ETag of a body the client holds: 304 with no body while it is still current",
)
NOT_MODIFIED = {304: OpenApiResponse(description="Not modified: the body named by If-None-Match is current")}


class AutoSchema(SpectacularAutoSchema):
    def _implied_error_codes(self) -> set[int]:
        view = self.view
        codes: set[int] = set()
        permissions = view.get_permissions()
        public = all(isinstance(p, AllowAny) for p in permissions)
        if not public:
            codes.add(401)
            if not all(isinstance(p, IsAuthenticated) for p in permissions):
                codes.add(403)  # a role or secret check
        if view.get_throttles():
            codes.add(429)
        queried = any(  # a query serializer, or a query parameter
            not isinstance(p, OpenApiParameter) or p.location == OpenApiParameter.QUERY
            for p in self.get_override_parameters()
        )
        if self.method in ("POST", "PUT", "PATCH"):
            codes |= {400, 413, 415}  # a body: invalid, too large, not JSON
        if queried:
            codes.add(400)
        if "{" in self.path:
            codes.add(404)
        return codes

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        """A serializer instance with allow_null=True documents a body that may be a JSON `null`."""
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        inner = serializer.response if isinstance(serializer, OpenApiResponse) else serializer
        if isinstance(inner, serializers.Serializer) and inner.allow_null:
            for media in response.get("content", {}).values():
                media["schema"] = {"allOf": [media["schema"]], "nullable": True}
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in sorted(self._implied_error_codes()):
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(ErrorSerializer, str(code), direction=direction)
        return responses
