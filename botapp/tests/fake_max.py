"""A fake MAX Bot API on 127.0.0.1 (threaded stdlib HTTP server): records every call (method, path, query, JSON
body, Authorization header) and can be scripted to fail the next calls with a status code."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class MaxCall:
    method: str
    path: str
    query: dict
    body: dict
    authorization: str


class FakeMax:
    def __init__(self):
        self.calls: list[MaxCall] = []
        self.failures: list[int] = []  # statuses to answer the next calls with
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeMax:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def messages(self) -> list[MaxCall]:
        return [c for c in self.calls if c.method == "POST" and c.path == "/messages"]

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _serve(self):
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                with fake.lock:
                    fake.calls.append(
                        MaxCall(
                            self.command,
                            url.path,
                            dict(parse_qsl(url.query)),
                            body,
                            self.headers.get("Authorization", ""),
                        )
                    )
                    status = fake.failures.pop(0) if fake.failures else 200
                if status != 200:
                    answer = {"code": "error", "message": f"scripted {status}"}
                elif url.path == "/subscriptions":
                    answer = {"success": True}
                elif url.path == "/messages":
                    answer = {"message": {"body": {"mid": f"mid.{len(fake.calls)}", "text": body.get("text")}}}
                else:
                    answer = {}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

        return Handler
