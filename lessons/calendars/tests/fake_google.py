"""A fake Google (OAuth token/revoke, userinfo, Calendar API events.list) on 127.0.0.1 for the tests: it speaks
HTTP like Google does, keeps the tokens it issued and records every request."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CLIENT_ID = "client-id.apps.googleusercontent.com"
CLIENT_SECRET = "client-secret"
GOOD_CODE = "4/good-code"
EMAIL = "tutor@gmail.com"


@dataclass
class GoogleState:
    refresh_tokens: set = field(default_factory=set)
    access_tokens: set = field(default_factory=set)
    revoked: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    events: list = field(default_factory=list)
    page_size: int = 3
    issued: int = 0


def _google_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def sample_events(now: datetime) -> list[dict]:
    """A weekly series (one occurrence moved by the user), a one-off, an all-day event and a cancelled one."""
    base = (now + timedelta(days=2)).replace(hour=12, minute=0, second=0, microsecond=0)
    items = []
    for week in range(4):
        start = base + timedelta(weeks=week)
        original = start
        if week == 2:
            start = start + timedelta(hours=3)
        items.append(
            {
                "id": f"phys_{original:%Y%m%dT%H%M%SZ}",
                "status": "confirmed",
                "summary": "Физика",
                "description": "Механика",
                "location": "https://meet.google.com/xyz",
                "start": {"dateTime": _google_time(start), "timeZone": "Europe/Moscow"},
                "end": {"dateTime": _google_time(start + timedelta(minutes=90)), "timeZone": "Europe/Moscow"},
                "recurringEventId": "phys",
                "originalStartTime": {"dateTime": _google_time(original)},
            }
        )
    one = base + timedelta(days=1)
    items.append(
        {
            "id": "consult1",
            "status": "confirmed",
            "summary": "Консультация",
            "start": {"dateTime": _google_time(one)},
            "end": {"dateTime": _google_time(one + timedelta(minutes=45))},
        }
    )
    items.append(
        {
            "id": "holiday",
            "status": "confirmed",
            "summary": "Выходной",
            "start": {"date": (base + timedelta(days=3)).date().isoformat()},
            "end": {"date": (base + timedelta(days=4)).date().isoformat()},
        }
    )
    items.append({"id": "gone", "status": "cancelled"})
    items.sort(key=lambda x: (x.get("start") or {}).get("dateTime") or (x.get("start") or {}).get("date") or "")
    return items


class _Handler(BaseHTTPRequestHandler):
    state: GoogleState

    def log_message(self, *args):
        pass

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _bearer(self) -> bool:
        header = self.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.state.access_tokens

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        path = urlsplit(self.path).path
        self.state.requests.append(("POST", path, form))
        if path == "/token":
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return self._json(401, {"error": "invalid_client"})
            grant = form.get("grant_type")
            if grant == "authorization_code" and form.get("code") == GOOD_CODE:
                self.state.issued += 1
                refresh, access = f"1//refresh-{self.state.issued}", f"ya29.access-{self.state.issued}"
                self.state.refresh_tokens.add(refresh)
                self.state.access_tokens.add(access)
                return self._json(200, {"access_token": access, "refresh_token": refresh, "expires_in": 3599})
            if grant == "refresh_token" and form.get("refresh_token") in self.state.refresh_tokens:
                self.state.issued += 1
                access = f"ya29.access-{self.state.issued}"
                self.state.access_tokens.add(access)
                return self._json(200, {"access_token": access, "expires_in": 3599})
            return self._json(400, {"error": "invalid_grant"})
        if path == "/revoke":
            token = form.get("token")
            self.state.revoked.append(token)
            if token in self.state.refresh_tokens:
                self.state.refresh_tokens.discard(token)
                return self._json(200, {})
            return self._json(400, {"error": "invalid_token"})
        return self._json(404, {"error": "not_found"})

    def do_GET(self):
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.state.requests.append(("GET", parts.path, query))
        if not self._bearer():
            return self._json(401, {"error": {"code": 401, "message": "Invalid Credentials"}})
        if parts.path == "/oauth2/v3/userinfo":
            return self._json(200, {"email": EMAIL, "email_verified": True})
        if parts.path == "/calendar/v3/calendars/primary/events":
            start = int(query.get("pageToken") or 0)
            page = self.state.events[start : start + self.state.page_size]
            body = {"kind": "calendar#events", "items": page}
            if start + self.state.page_size < len(self.state.events):
                body["nextPageToken"] = str(start + self.state.page_size)
            return self._json(200, body)
        return self._json(404, {"error": "not_found"})


class FakeGoogle:
    def __init__(self):
        self.state = GoogleState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeGoogle:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
