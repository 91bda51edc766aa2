"""The URL fetcher against a real HTTP server on 127.0.0.1 (allowed only by the test-only setting), and every
refusal: loopback by default, private/reserved addresses, a redirect to one, huge and endless bodies, schemes."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lessons.calendars import fetch
from lessons.models import Lesson
from tutorcal.errors import DomainError

from .test_ics_import import FIXTURE, IMPORT, PREVIEW, WINDOW

CAL = FIXTURE.encode()


class Handler(BaseHTTPRequestHandler):
    seen_headers: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        Handler.seen_headers.append(dict(self.headers))
        path = self.path
        if path == "/cal.ics":
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(CAL)))
            self.end_headers()
            self.wfile.write(CAL)
        elif path.startswith("/redirect?to="):
            self.send_response(302)
            self.send_header("Location", path.split("=", 1)[1])
            self.end_headers()
        elif path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
        elif path == "/huge":
            self.send_response(200)
            self.send_header("Content-Length", str(50 * 1024 * 1024))
            self.end_headers()
        elif path == "/endless":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"X" * 65536
            try:
                for _ in range(1000):  # 64 MB if nobody stops reading
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif path == "/slow":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            time.sleep(15)  # far past the 5 s read timeout, so an answer before 12 s proves the timeout fired
        else:
            self.send_response(404)
            self.end_headers()


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Handler.seen_headers = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def loopback_allowed(settings):
    settings.CALENDAR_FETCH_ALLOW_LOOPBACK = True


def refused(url: str) -> str:
    with pytest.raises(DomainError) as info:
        fetch.fetch_calendar(url)
    return info.value.code


def test_fetches_a_calendar_from_an_allowed_server_without_forwarding_credentials(server, loopback_allowed):
    assert fetch.fetch_calendar(f"{server}/cal.ics") == CAL
    headers = {k.lower(): v for k, v in Handler.seen_headers[-1].items()}
    assert "authorization" not in headers and "cookie" not in headers
    assert headers["host"] == server.removeprefix("http://")


def test_preview_and_import_by_url_end_to_end(api, tutor, server, loopback_allowed):
    client = api(tutor)
    body = client.post(PREVIEW, {"url": f"{server}/cal.ics", **WINDOW}, format="json").json()
    assert body["totalEvents"] == 23
    uid = body["events"][0]["uid"]
    result = client.post(IMPORT, {"url": f"{server}/cal.ics", **WINDOW, "events": [{"uid": uid}]}, format="json")
    assert result.json()["imported"] == 1 and Lesson.objects.count() == 1


def test_loopback_is_refused_by_default(api, tutor, server):
    assert refused(f"{server}/cal.ics") == "CALENDAR_URL_FORBIDDEN"
    response = api(tutor).post(PREVIEW, {"url": f"{server}/cal.ics"}, format="json")
    assert response.status_code == 400
    assert response.json()["message"][0].startswith("CALENDAR_URL_FORBIDDEN: 127.0.0.1 resolves to a private")
    assert Handler.seen_headers == []  # never connected


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.7/cal.ics",
        "http://192.168.1.1/cal.ics",
        "http://172.16.5.4/cal.ics",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:10.0.0.1]/cal.ics",
        "http://[fe80::1]/cal.ics",
        "http://0.0.0.0/cal.ics",
        "http://224.0.0.1/cal.ics",
        "http://240.0.0.1/cal.ics",
        "http://100.64.0.1/cal.ics",
        "http://[fc00::1]/cal.ics",
    ],
)
def test_private_and_reserved_addresses_are_refused(url, loopback_allowed):
    # Even with loopback allowed for tests, private and reserved ranges stay refused.
    assert refused(url) == "CALENDAR_URL_FORBIDDEN"


@pytest.mark.parametrize("url", ["http://[::1]/cal.ics", "http://localhost/cal.ics", "http://127.1.2.3/x"])
def test_every_loopback_spelling_is_refused_by_default(url, settings):
    settings.CALENDAR_FETCH_ALLOW_LOOPBACK = False  # the shipped default, whatever ran before
    assert refused(url) == "CALENDAR_URL_FORBIDDEN"


@pytest.mark.parametrize(
    "target", ["http://10.0.0.1/cal.ics", "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd"]
)
def test_a_redirect_to_a_private_address_or_another_scheme_is_refused(server, loopback_allowed, target):
    assert refused(f"{server}/redirect?to={target}") == "CALENDAR_URL_FORBIDDEN"


def test_a_redirect_to_an_allowed_address_is_followed(server, loopback_allowed):
    assert fetch.fetch_calendar(f"{server}/redirect?to=/cal.ics") == CAL


def test_a_redirect_loop_stops(server, loopback_allowed):
    assert refused(f"{server}/loop") == "CALENDAR_FETCH_FAILED"


def test_a_declared_huge_body_is_refused_without_reading_it(server, loopback_allowed):
    started = time.perf_counter()
    assert refused(f"{server}/huge") == "ICS_TOO_LARGE"
    assert time.perf_counter() - started < 10  # a guard against reading 50 MB, loose enough for a loaded CI box


def test_an_endless_body_is_cut_at_2_mb(server, loopback_allowed):
    started = time.perf_counter()
    assert refused(f"{server}/endless") == "ICS_TOO_LARGE"
    assert time.perf_counter() - started < 20  # a guard against an endless read, not a speed target


def test_a_server_that_does_not_answer_times_out(server, loopback_allowed):
    started = time.perf_counter()
    assert refused(f"{server}/slow") == "CALENDAR_FETCH_FAILED"
    assert 4 < time.perf_counter() - started < 12


def test_an_http_error_is_a_readable_400(api, tutor, server, loopback_allowed):
    response = api(tutor).post(PREVIEW, {"url": f"{server}/missing"}, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == ["CALENDAR_FETCH_FAILED: the server answered HTTP 404"]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/cal.ics",
        "gopher://example.com/",
        "javascript:alert(1)",
        "http://user:secret@example.com/cal.ics",
        "http:///nohost",
        "http://example.com:99999/",
        "http://example.com/a b.ics",
        "http://example.com/a\x00b.ics",
        "http://exa\x00mple.com/",
        "http://" + "я" * 70 + ".example/",
    ],
)
def test_non_http_schemes_credentials_and_malformed_urls_are_refused(url):
    assert refused(url) == "CALENDAR_URL_FORBIDDEN"


def test_webcal_is_read_as_https():
    assert fetch.normalise_url(" webcal://calendar.example.com/x.ics ") == "https://calendar.example.com/x.ics"
    assert fetch.normalise_url("WEBCAL://a.example/x") == "https://a.example/x"


def test_an_unresolvable_host_is_a_fetch_failure():
    assert refused("http://no-such-host.invalid/cal.ics") == "CALENDAR_FETCH_FAILED"


def test_window_dates_outside_the_supported_years_are_400(api, tutor):
    response = api(tutor).post(
        PREVIEW, {"content": FIXTURE, "fromDate": "0001-01-01", "toDate": "9999-12-31"}, format="json"
    )
    assert response.status_code == 400
