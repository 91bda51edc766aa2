"""A fake Telegram Bot API on 127.0.0.1 (threaded stdlib HTTP server). It records every call and can be
scripted to answer 429 with retry_after, 403 "bot was blocked", 400 "chat not found", 502, … — so tests and
the benchmark exercise python-telegram-bot's real HTTP path without the internet."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Tutor Calendar", "username": "tutorcal_test_bot"}


@dataclass
class Call:
    method: str
    params: dict
    at: float

    @property
    def chat_id(self):
        value = self.params.get("chat_id")
        return int(value) if value not in (None, "") else None

    @property
    def text(self) -> str:
        return self.params.get("text", "")

    @property
    def reply_markup(self) -> dict | None:
        value = self.params.get("reply_markup")
        return json.loads(value) if isinstance(value, str) else value


class FakeTelegram:
    def __init__(self, token: str):
        self.token = token
        self.calls: list[Call] = []
        self.script: list[dict] = []  # pending scripted failures
        self.latency = 0.0
        self.lock = threading.Lock()
        self.message_ids = itertools.count(1)
        self.webhook: dict = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        handler = self._handler()
        server_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 256})
        self.server = server_class(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ---- control ----------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/bot{{token}}"

    def start(self) -> FakeTelegram:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, status: int, description: str, *, method: str = "sendMessage", chat_id=None, times: int = 1,
             retry_after: int | None = None) -> None:  # fmt: skip
        with self.lock:
            self.script.append(
                {
                    "status": status,
                    "description": description,
                    "method": method,
                    "chat_id": chat_id,
                    "times": times,
                    "retry_after": retry_after,
                }
            )

    def methods(self, name: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if name is None or c.method == name]

    def sent(self, chat_id=None) -> list[Call]:
        return [c for c in self.methods("sendMessage") if chat_id is None or c.chat_id == int(chat_id)]

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.script.clear()

    # ---- server ---------------------------------------------------------------------------------------

    def _scripted(self, method: str, params: dict) -> dict | None:
        with self.lock:
            for entry in self.script:
                if entry["method"] != method:
                    continue
                if entry["chat_id"] is not None and str(entry["chat_id"]) != str(params.get("chat_id")):
                    continue
                entry["times"] -= 1
                if entry["times"] <= 0:
                    self.script.remove(entry)
                return entry
        return None

    def _answer(self, method: str, params: dict):
        if method == "getMe":
            return BOT_USER
        if method in ("sendMessage", "editMessageText"):
            chat_id = int(params.get("chat_id") or 0)
            message = {
                "message_id": int(params.get("message_id") or next(self.message_ids)),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
            return message
        if method == "setWebhook":
            self.webhook["url"] = params.get("url", "")
            return True
        if method == "deleteWebhook":
            self.webhook["url"] = ""
            return True
        if method == "getWebhookInfo":
            return dict(self.webhook)
        return True  # answerCallbackQuery, setMyCommands, …

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                return

            def setup(self):
                super().setup()
                # Answer in one segment without waiting for delayed ACKs (Nagle), like a real HTTP server.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype:
                    params = json.loads(raw or b"{}")
                else:
                    params = dict(parse_qsl(raw.decode(), keep_blank_values=True))
                path = self.path.split("?")[0]
                prefix = f"/bot{fake.token}/"
                if not path.startswith(prefix):
                    return self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                method = path[len(prefix) :]
                with fake.lock:
                    fake.calls.append(Call(method, params, time.monotonic()))
                if fake.latency:
                    time.sleep(fake.latency)
                scripted = fake._scripted(method, params)
                if scripted is not None:
                    body = {"ok": False, "error_code": scripted["status"], "description": scripted["description"]}
                    if scripted["retry_after"] is not None:
                        body["parameters"] = {"retry_after": scripted["retry_after"]}
                    return self._reply(scripted["status"], body)
                return self._reply(200, {"ok": True, "result": fake._answer(method, params)})

            do_GET = do_POST

            def _reply(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
