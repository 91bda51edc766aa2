from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.permissions import BasePermission

from accounts.models import User

from .. import tokens


def _fail(exc_class, code: str):
    exc = exc_class(code)
    exc.tutorcal_code = code
    return exc


class StaffTokenAuthentication(BaseAuthentication):
    """Authorization: Bearer <staff token>. The user must still exist, be staff and active (checked every time)."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise _fail(AuthenticationFailed, "INVALID_TOKEN")
        payload = tokens.verify(header[1].decode("latin-1"))
        if payload is None:
            raise _fail(AuthenticationFailed, "INVALID_TOKEN")
        user = User.objects.filter(pk=payload["sub"], is_staff=True, is_active=True, deleted_at__isnull=True).first()
        if user is None:
            raise _fail(AuthenticationFailed, "INVALID_TOKEN")
        return user, payload

    def authenticate_header(self, request):
        return 'Bearer realm="admin"'


class IsStaffToken(BasePermission):
    def has_permission(self, request, view):
        if request.user is None or not isinstance(request.auth, dict):
            raise _fail(NotAuthenticated, "AUTHORIZATION_REQUIRED")
        return True
