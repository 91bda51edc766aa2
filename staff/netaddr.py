"""The client address as the one trusted proxy saw it (TRUSTED_PROXIES hops of X-Forwarded-For, counted from the
right, as DRF's NUM_PROXIES); with no proxy configured the header is ignored, so a client cannot spoof it."""

import ipaddress

from django.conf import settings


def client_ip(meta) -> str | None:
    proxies = max(0, int(getattr(settings, "TRUSTED_PROXIES", 0)))
    addr = meta.get("REMOTE_ADDR") or ""
    if proxies:
        hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if hops:
            addr = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(addr))
    except ValueError:
        return None
