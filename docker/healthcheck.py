#!/usr/bin/env python3
"""Container health check (stdlib only, no Django start-up).

Finds the role from PID 1's command line (tini → entrypoint.sh ROLE): web (gunicorn) → GET /api/health/ready
on WEB_PORT, asgi (daphne) → the same on ASGI_PORT; any other role (worker, one-shot commands) is healthy while
its process runs. Sends a Host header from DJANGO_ALLOWED_HOSTS so Django's host check passes. `--show` prints
the full /api/health body (deploy.sh).
"""

import json
import os
import sys
import urllib.error
import urllib.request


def role_of(argv: list[str]) -> str:
    """PID 1 is tini → entrypoint.sh <role> (or the server itself when started without the entrypoint)."""
    for index, arg in enumerate(argv):
        if arg.endswith("entrypoint.sh"):
            role = argv[index + 1] if index + 1 < len(argv) and argv[index + 1] else "web"
            return role if role in {"web", "asgi"} else "other"
    joined = " ".join(argv)
    if "gunicorn" in joined:
        return "web"
    if "daphne" in joined:
        return "asgi"
    return "other"


def _role() -> str:
    try:
        with open("/proc/1/cmdline", "rb") as fh:
            argv = fh.read().decode(errors="replace").split("\0")
    except OSError:
        return "other"
    return role_of(argv)


def _host() -> str:
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def main() -> int:
    role = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--role" else _role()
    show = "--show" in sys.argv
    if role not in {"web", "asgi"}:
        return 0
    port = os.environ.get("WEB_PORT" if role == "web" else "ASGI_PORT", "8000" if role == "web" else "8001")
    path = "/api/health" if show else "/api/health/ready"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Host": _host(), "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310 - fixed loopback URL
            body = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read().decode(errors="replace"), exc.code
    except OSError as exc:
        print(f"{role}: not answering on :{port}: {exc}", file=sys.stderr)
        return 1
    if show:
        try:
            print(json.dumps(json.loads(body), indent=2, ensure_ascii=False))
        except ValueError:
            print(body)
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
