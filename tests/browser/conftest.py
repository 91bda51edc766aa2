"""Browser tests of the built-in Mini App (`make browser`, run by .ci/run): Playwright drives Debian's Chromium
(/usr/bin/chromium, never a downloaded browser) against daphne (HTTP + WebSocket) on 127.0.0.1 with its own
SQLite database. Inside "Telegram" the page loads Telegram's real (vendored) script and gets REAL signed initData
the way Telegram passes it, in the URL fragment (#tgWebAppData=…&tgWebAppThemeParams=…); an init script installs
the webview proxy Telegram's apps provide (window.TelegramWebviewProxy) and records every event the page posts
(haptics, MainButton, popups). Telegram's own events (MainButton pressed, popup closed, theme changed) are
delivered through Telegram.WebView.receiveEvent, as the app does. A failing step saves a screenshot to
tests/browser/artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from accounts.telegram import sign_init_data

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).parent / "artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TEST_BOT_TOKEN = "123456:BROWSER-TEST-TOKEN"
PHONE = {"width": 390, "height": 844}

LIGHT = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#707579",
    "link_color": "#3390ec",
    "button_color": "#3390ec",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#f4f4f5",
}
DARK = {
    "bg_color": "#212121",
    "text_color": "#ffffff",
    "hint_color": "#aaaaaa",
    "link_color": "#8774e1",
    "button_color": "#8774e1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#0f0f0f",
}

# Records what the page asks of Telegram (the real script calls TelegramWebviewProxy.postEvent on mobile clients).
PROXY = """
window.__tg = [];
window.TelegramWebviewProxy = { postEvent(type, data) { window.__tg.push([type, data ? JSON.parse(data) : null]); } };
"""


def pytest_collection_modifyitems(config, items):
    if os.environ.get("TUTORCAL_BROWSER") == "1":
        return
    skip = pytest.mark.skip(reason="browser test: run with `make browser` (TUTORCAL_BROWSER=1)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    """daphne on a free port with a fresh SQLite database; stopped (by its pid) at the end of the session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (never a downloaded browser)")
    tmp = Path(tempfile.mkdtemp(prefix="tutorcal-browser-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'browser.sqlite3'}",
        "DJANGO_DEBUG": "True",
        "BOT_TOKEN": TEST_BOT_TOKEN,
        "BOT_USERNAME": "tutorcal_test_bot",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot{token}",  # nothing listens: no message leaves
        "AUTH_THROTTLE_RATE": "10000/minute",
        "LOG_LEVEL": "WARNING",
        # The request log's background flush thread writes to SQLite beside the request threads and makes them
        # fail with "database is locked" (seen on register-email); it is not what these tests are about.
        "REQUEST_LOG_ENABLED": "False",
    }
    for name in ("REDIS_URL", "DJANGO_TESTING", "WEBAPP_URL"):
        env.pop(name, None)
    python = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    port = _free_port()
    log = open(tmp / "daphne.log", "ab")  # noqa: SIM115 - closed at teardown
    daphne = str(Path(python).parent / "daphne")
    server = Server(f"http://127.0.0.1:{port}")
    server.command = [daphne, "-b", "127.0.0.1", "-p", str(port), "tutorcal.asgi:application"]
    server.env, server.log, server.log_path = env, log, tmp / "daphne.log"
    try:
        server.start()
        yield server
    finally:
        server.stop()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


class Server(str):
    """The base URL, plus start/stop/restart of the daphne behind it (a restart drops every WebSocket)."""

    proc: subprocess.Popen | None = None

    def start(self):
        self.proc = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self + "/api/health/live", timeout=2) as r:  # noqa: S310 - loopback
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("daphne did not start:\n" + self.log_path.read_text()[-3000:])
            time.sleep(0.2)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)

    def restart(self):
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


_ids = count(int(time.time()) % 1_000_000 * 100 + 500_000_000)


class TelegramUser:
    """A Telegram account: signs initData (optionally with start_param) and calls the API as Telegram would."""

    def __init__(self, base: str, first_name: str, language_code: str = "en"):
        self.base = base
        self.id = next(_ids)
        self.first_name = first_name
        self.language_code = language_code
        self.token = None

    def init_data(self, **extra) -> str:
        user = {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": "",
            "username": f"u{self.id}",
            "language_code": self.language_code,
        }
        fields = {
            "auth_date": str(int(time.time())),
            "query_id": "AAH-browser",
            "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
            **extra,
        }
        return sign_init_data(fields, bot_token=TEST_BOT_TOKEN)

    def register(self, role: str) -> TelegramUser:
        r = httpx.post(self.base + "/api/auth/register", json={"initData": self.init_data(), "role": role})
        assert r.status_code == 201, r.text
        self.token = r.json()["token"]
        return self

    def join(self, code: str) -> dict:
        r = httpx.post(self.base + "/api/auth/join", json={"initData": self.init_data(), "referralCode": code})
        assert r.status_code == 200, r.text
        self.token = r.json()["token"]
        return r.json()

    def call(self, method: str, path: str, body=None):
        r = httpx.request(method, self.base + path, json=body, headers={"Authorization": f"Bearer {self.token}"})
        assert r.status_code < 400, (path, r.status_code, r.text)
        return r.json() if r.content else None


@pytest.fixture
def tg_user(server):
    return lambda first_name, language_code="en": TelegramUser(server, first_name, language_code)


class App:
    """One browser context = one phone running the Mini App."""

    def __init__(self, page, base, name, request):
        self.page = page
        self.base = base
        self.name = name
        self.request = request

    def open(self, user: TelegramUser | None, path="/app/", start_param=None, theme=None, scheme="light"):
        url = self.base + path
        if user is not None:
            extra = {"start_param": start_param} if start_param else {}
            fragment = {
                "tgWebAppData": user.init_data(**extra),
                "tgWebAppVersion": "8.0",
                "tgWebAppPlatform": "android",
                "tgWebAppThemeParams": json.dumps(theme or (DARK if scheme == "dark" else LIGHT)),
            }
            url += "#" + "&".join(f"{k}={quote(v, safe='')}" for k, v in fragment.items())
        self.page.goto(url)
        return self

    def events(self, kind: str) -> list:
        return [data for name, data in self.page.evaluate("window.__tg || []") if name == kind]

    def telegram(self, event: str, data=None):
        """Deliver an event from the Telegram client (MainButton pressed, popup closed, theme changed…)."""
        self.page.evaluate("([e, d]) => Telegram.WebView.receiveEvent(e, d)", [event, data])

    def press_main_button(self):
        self.page.wait_for_function("window.__tg.some(([n, d]) => n === 'web_app_setup_main_button' && d.is_visible)")
        self.telegram("main_button_pressed")

    def confirm_popup(self):
        self.page.wait_for_function("window.__tg.some(([n]) => n === 'web_app_open_popup')")
        popup = self.events("web_app_open_popup")[-1]
        ok = next(b["id"] for b in popup["buttons"] if b["type"] in ("ok", "default"))
        self.telegram("popup_closed", {"button_id": ok})

    @contextmanager
    def step(self, title: str):
        """A named step: on failure the phone's screen is saved as artifacts/<test>-<phone>-<step>.png."""
        try:
            yield
        except BaseException:
            ARTIFACTS.mkdir(exist_ok=True)
            slug = re.sub(r"[^a-z0-9]+", "-", f"{self.request.node.name}-{self.name}-{title}".lower()).strip("-")
            try:
                self.page.screenshot(path=str(ARTIFACTS / f"{slug}.png"), full_page=True)
            except Exception:  # noqa: BLE001 - the original failure matters more
                pass
            raise

    def shot(self, name: str):
        """A README screenshot at phone size (docs/screenshots/)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@pytest.fixture
def phone(browser, server, request):
    contexts = []

    def _phone(name: str, dark: bool = False):
        context = browser.new_context(
            viewport=PHONE,
            device_scale_factor=1,
            is_mobile=True,
            has_touch=True,
            color_scheme="dark" if dark else "light",
            locale="en-US",
            timezone_id="Europe/Moscow",
        )
        context.add_init_script(PROXY)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: request.node.__dict__.setdefault("page_errors", []).append(str(exc)))
        return App(page, server, name, request)

    yield _phone
    for context in contexts:
        context.close()
    errors = request.node.__dict__.get("page_errors", [])
    assert not errors, f"JavaScript errors on the page: {errors}"
