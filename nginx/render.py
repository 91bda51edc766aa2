#!/usr/bin/env python3
"""Render nginx/tutorcal.conf.template into a site config (stdlib only: runs with the host's python3).

  python3 nginx/render.py --domain api.example.com --mode acme -o /etc/nginx/sites-available/tutorcal
  python3 nginx/render.py --domain api.example.com --mode tls  -o /etc/nginx/sites-available/tutorcal
  python3 nginx/render.py --domain localhost --mode plain --listen 127.0.0.1:18080 --log-dir /tmp/x   (smoke)

Modes: acme = port 80 only (ACME challenge + redirect to https), before the certificate exists;
tls = port 80 redirect + the 443 server; plain = one plain-HTTP server on --listen (local checks only).
"""

import argparse
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("tutorcal.conf.template")
SECTIONS = {
    "acme": {"redirect"},
    "tls": {"redirect", "app", "tls"},
    "plain": {"app", "plain"},
}
ALL_SECTIONS = {"redirect", "app", "tls", "plain"}
HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9-]{1,63})*$")
ADDRESS_RE = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):\d{1,5}$")
PATH_RE = re.compile(r"^/[A-Za-z0-9._/-]*$")


def render(
    *,
    domain: str,
    mode: str = "tls",
    web: str = "127.0.0.1:8000",
    asgi: str = "127.0.0.1:8001",
    listen: str = "127.0.0.1:8080",
    acme_root: str = "/var/www/certbot",
    log_dir: str = "/var/log/nginx",
    template: str | None = None,
) -> str:
    if mode not in SECTIONS:
        raise ValueError(f"mode must be one of {', '.join(SECTIONS)}")
    if not HOSTNAME_RE.match(domain):
        raise ValueError(f"not a host name: {domain!r}")
    for name, value in (("web", web), ("asgi", asgi), ("listen", listen)):
        if not ADDRESS_RE.match(value):
            raise ValueError(f"--{name} must be HOST:PORT, got {value!r}")
    for name, value in (("acme-root", acme_root), ("log-dir", log_dir)):
        if not PATH_RE.match(value):
            raise ValueError(f"--{name} must be an absolute path without spaces, got {value!r}")

    text = template if template is not None else TEMPLATE.read_text()
    keep = SECTIONS[mode]
    for section in ALL_SECTIONS:
        pattern = re.compile(r"^\{\{#" + section + r"\}\}\n(.*?)^\{\{/" + section + r"\}\}\n", re.S | re.M)
        text = pattern.sub((lambda m: m.group(1)) if section in keep else "", text)
    values = {
        "DOMAIN": domain,
        "MODE": mode,
        "WEB_UPSTREAM": web,
        "ASGI_UPSTREAM": asgi,
        "LISTEN": listen,
        "ACME_ROOT": acme_root,
        "LOG_DIR": log_dir.rstrip("/") or "/",
    }
    text = re.sub(r"\{\{([A-Z_]+)\}\}", lambda m: values[m.group(1)], text)
    if "{{" in text:
        raise ValueError("unrendered placeholder left in the template")
    return re.sub(r"\n{3,}", "\n\n", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--domain", required=True, help="public host name, e.g. api.example.com")
    parser.add_argument("--mode", choices=sorted(SECTIONS), default="tls")
    parser.add_argument("--web", default="127.0.0.1:8000", help="gunicorn address (compose publishes 127.0.0.1:8000)")
    parser.add_argument("--asgi", default="127.0.0.1:8001", help="daphne address (compose publishes 127.0.0.1:8001)")
    parser.add_argument("--listen", default="127.0.0.1:8080", help="plain mode only: address to listen on")
    parser.add_argument("--acme-root", default="/var/www/certbot", help="webroot for certbot challenges")
    parser.add_argument("--log-dir", default="/var/log/nginx")
    parser.add_argument("-o", "--output", help="write here instead of stdout")
    args = parser.parse_args(argv)
    try:
        text = render(
            domain=args.domain,
            mode=args.mode,
            web=args.web,
            asgi=args.asgi,
            listen=args.listen,
            acme_root=args.acme_root,
            log_dir=args.log_dir,
        )
    except ValueError as exc:
        parser.error(str(exc))
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
