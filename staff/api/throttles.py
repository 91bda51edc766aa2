from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class _IPThrottle(SimpleRateThrottle):
    """Per client address (behind nginx: the trusted proxy's X-Forwarded-For, DRF NUM_PROXIES)."""

    setting = ""
    default = ""

    def get_rate(self):
        return getattr(settings, self.setting, self.default)  # read per request so tests/staging can change it

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LandingThrottle(_IPThrottle):
    scope, setting, default = "support_landing", "SUPPORT_LANDING_THROTTLE_RATE", "5/hour"


class SupportUserThrottle(SimpleRateThrottle):
    scope = "support_user"

    def get_rate(self):
        return getattr(settings, "SUPPORT_USER_THROTTLE_RATE", "20/hour")

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk} if request.user else None


class AnalyticsThrottle(_IPThrottle):
    scope, setting, default = "analytics", "ANALYTICS_THROTTLE_RATE", "120/minute"


class AdminLoginThrottle(_IPThrottle):
    scope, setting, default = "admin_login", "ADMIN_LOGIN_THROTTLE_RATE", "10/minute"
