import uuid

from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

from .selectors import user_with_profiles
from .tokens import token_is_revoked


def _fail(code: str) -> AuthenticationFailed:
    exc = AuthenticationFailed(code)
    exc.tutorcal_code = code
    return exc


class ProfileJWTAuthentication(JWTAuthentication):
    """Bearer JWT; the user (with all profiles, one query) must exist, be active and not soft-deleted."""

    def get_validated_token(self, raw_token):
        try:
            token = super().get_validated_token(raw_token)
        except InvalidToken:
            raise _fail("Unauthorized") from None
        if token_is_revoked(token):
            raise _fail("Unauthorized")
        return token

    def get_user(self, validated_token):
        user_id = validated_token.get("sub")
        if not user_id:
            raise _fail("INVALID_TOKEN")
        try:
            user = user_with_profiles(uuid.UUID(str(user_id)))
        except (ValueError, TypeError, AttributeError):
            raise _fail("USER_NOT_FOUND") from None
        if user is None or not user.is_active or user.deleted_at is not None:
            raise _fail("USER_NOT_FOUND")
        return user
