"""Per process: Redis failed a moment ago. Code that can do without the cache (the session check reads the
database, the view cache renders) skips it for CACHE_REST_SECONDS instead of waiting out the socket timeout again
in the same request and in every request after it while Redis is down."""

import time

from django.conf import settings

_down_until = 0.0


def note_outage() -> None:
    global _down_until
    _down_until = time.monotonic() + settings.CACHE_REST_SECONDS


def resting() -> bool:
    return time.monotonic() < _down_until


def reset() -> None:
    """Forget an outage (tests: one test's broken Redis must not change the next test's path)."""
    global _down_until
    _down_until = 0.0
