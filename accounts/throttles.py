from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class _AuthThrottle(SimpleRateThrottle):
    def get_rate(self):
        return settings.AUTH_THROTTLE_RATE  # read per request so staging/tests can change it


class AuthIPThrottle(_AuthThrottle):
    """Per client address (behind nginx: from X-Forwarded-For of the trusted proxy, see NUM_PROXIES)."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AuthUserThrottle(_AuthThrottle):
    scope = "auth_user"

    def get_cache_key(self, request, view):
        if request.user is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


AUTH_THROTTLES = [AuthIPThrottle, AuthUserThrottle]
