"""Fetching a user-supplied calendar URL without opening the server's network to the user (no SSRF).

* only http/https (webcal:// is read as https://), no user:password@ in the URL, no credentials or cookies
  of ours ever sent;
* the host is resolved once and every resolved address must be public: loopback, private, link-local,
  multicast, reserved, unspecified and the IPv4 forms hidden in IPv6 are refused; the connection then goes to
  the checked address (the Host header and TLS SNI/certificate still name the host), so a DNS answer cannot
  change between the check and the connect;
* every redirect is checked the same way (at most 5), 5 s connect/read timeouts and a 15 s overall deadline,
  the body is capped at 2 MB after decompression.

CALENDAR_FETCH_ALLOW_LOOPBACK (a test-only setting, never read from the environment) lets tests fetch from a
server on 127.0.0.1; private ranges stay refused even then.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings

from tutorcal.errors import DomainError

from .ics_parse import MAX_BYTES

MAX_REDIRECTS = 5
TIMEOUT = 5.0
DEADLINE = 15.0
USER_AGENT = "TutorCalendar/1.0 (+calendar import)"


def _refused(detail: str) -> DomainError:
    return DomainError("CALENDAR_URL_FORBIDDEN", messages=[f"CALENDAR_URL_FORBIDDEN: {detail}"])


def _failed(detail: str) -> DomainError:
    return DomainError("CALENDAR_FETCH_FAILED", messages=[f"CALENDAR_FETCH_FAILED: {detail}"])


def normalise_url(url: str) -> str:
    url = (url or "").strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    return url


def _split(url: str):
    if any(ord(ch) <= 32 or ord(ch) == 127 for ch in url):
        raise _refused("the URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refused("the URL is malformed") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise _refused("only http, https and webcal URLs can be imported")
    if not parts.hostname:
        raise _refused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise _refused("URLs with a user name or password are not fetched")
    return parts, port or (443 if parts.scheme.lower() == "https" else 80)


def _ascii_host(host: str) -> str:
    """An internationalised host name in its DNS (punycode) form, which is what Host and SNI carry."""
    try:
        return host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        raise _refused("the host name is not valid") from None


def address_allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return address_allowed(embedded)
    if ip.is_loopback and getattr(settings, "CALENDAR_FETCH_ALLOW_LOOPBACK", False):
        return True
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_unspecified)


def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError, ValueError):
        raise _failed(f"the host {host!r} could not be resolved") from None
    addresses = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise _failed(f"the host {host!r} has no address")
    bad = [str(ip) for ip in addresses if not address_allowed(ip)]
    if bad:
        raise _refused(f"{host} resolves to a private or reserved address ({', '.join(bad[:3])})")
    return addresses


def fetch_calendar(url: str) -> bytes:
    """The body at `url` (≤ 2 MB), following checked redirects. Raises DomainError with a readable message."""
    url = normalise_url(url)
    deadline = time.monotonic() + DEADLINE
    timeout = httpx.Timeout(TIMEOUT)
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, verify=True) as client:
        for _ in range(MAX_REDIRECTS + 1):
            parts, port = _split(url)
            host = _ascii_host(parts.hostname)
            ip = resolve(host, port)[0]
            literal = f"[{ip}]" if ip.version == 6 else str(ip)
            target = parts._replace(netloc=f"{literal}:{port}").geturl()
            default_port = port == (443 if parts.scheme.lower() == "https" else 80)
            host_header = host if default_port else f"{host}:{port}"
            if ":" in host and not host.startswith("["):
                host_header = f"[{host}]" if default_port else f"[{host}]:{port}"
            headers = {"Host": host_header, "User-Agent": USER_AGENT, "Accept": "text/calendar, text/plain, */*"}
            try:
                with client.stream("GET", target, headers=headers, extensions={"sni_hostname": host}) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise _failed("a redirect without a Location")
                        url = normalise_url(urljoin(url, location))
                        continue
                    if response.status_code != 200:
                        raise _failed(f"the server answered HTTP {response.status_code}")
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > MAX_BYTES:
                        raise DomainError("ICS_TOO_LARGE")
                    return _read_capped(response, deadline)
            except httpx.TimeoutException:
                raise _failed("the server did not answer within 5 seconds") from None
            except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
                raise _failed(f"the connection failed ({type(exc).__name__})") from None
    raise _failed(f"more than {MAX_REDIRECTS} redirects")


def _read_capped(response: httpx.Response, deadline: float) -> bytes:
    body = bytearray()
    for chunk in response.iter_bytes():
        body.extend(chunk)
        if len(body) > MAX_BYTES:
            raise DomainError("ICS_TOO_LARGE")
        if time.monotonic() > deadline:
            raise _failed(f"the download took longer than {int(DEADLINE)} seconds")
    return bytes(body)
