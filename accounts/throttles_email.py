"""Throttles of the e-mail routes, per client address and per e-mail address (or pending user id), on top of the
general auth throttle. Rates are settings (EMAIL_*_THROTTLE_RATE), read per request so tests can change them."""

import hashlib
import uuid

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class _SettingRate(SimpleRateThrottle):
    rate_setting = ""

    def get_rate(self):
        return getattr(settings, self.rate_setting)


class _PerIP(_SettingRate):
    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class _PerAddress(_SettingRate):
    """Keyed by the body's `email` (normalised) or, for resend-code, the address of its `userId` (one budget per
    address across register, resend and forgot); hashed, never stored in clear."""

    def get_cache_key(self, request, view):
        data = request.data if isinstance(request.data, dict) else {}
        value = data.get("email") or _address_of(data.get("userId"))
        if not isinstance(value, str) or not value.strip() or len(value) > 320:
            return None  # the serializer refuses it
        ident = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _address_of(user_id) -> str | None:
    from accounts.models import User

    try:
        user_id = uuid.UUID(str(user_id))
    except ValueError:
        return None
    return User.objects.filter(pk=user_id).values_list("email", flat=True).first()


class EmailSendIPThrottle(_PerIP):
    scope = "email_send_ip"
    rate_setting = "EMAIL_SEND_IP_THROTTLE_RATE"


class EmailSendAddressThrottle(_PerAddress):
    scope = "email_send_address"
    rate_setting = "EMAIL_SEND_ADDRESS_THROTTLE_RATE"


class EmailLoginIPThrottle(_PerIP):
    scope = "email_login_ip"
    rate_setting = "EMAIL_LOGIN_IP_THROTTLE_RATE"


class EmailLoginAddressThrottle(_PerAddress):
    scope = "email_login_address"
    rate_setting = "EMAIL_LOGIN_ADDRESS_THROTTLE_RATE"


SEND_THROTTLES = [EmailSendIPThrottle, EmailSendAddressThrottle]
LOGIN_THROTTLES = [EmailLoginIPThrottle, EmailLoginAddressThrottle]
