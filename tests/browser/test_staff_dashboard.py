"""The staff dashboard in Chromium: a staff user signs in to the Django admin, opens /admin/dashboard/ and the
vendored SVG chart draws the figures the database holds (pytest-django's live server, the test database)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import StudentProfile, TeacherProfile, User
from staff.models import RequestLog, SupportMessage
from staff.selectors.common import today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_sees_the_dashboard_charts_drawn_from_the_database(live_server, settings):
    # Own Playwright session, started after the database work: its event loop must not run while the ORM does.
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, SCREENSHOTS

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    User.objects.create_user(email="ops@example.com", password="Staff-passw0rd!", is_staff=True, is_superuser=True)
    for i in range(3):
        user = User.objects.create_user(telegram_id=7000 + i, first_name=f"T{i}")
        TeacherProfile.objects.create(user=user, display_name=f"T{i}")
    StudentProfile.objects.create(user=User.objects.create_user(telegram_id=7100, first_name="S"))
    now = timezone.now()
    for status in (200, 200, 500):
        RequestLog.objects.create(created_at=now, method="GET", path="/api/x", status_code=status, duration_ms=7)
    SupportMessage.objects.create(subject="help", message="m")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            _check(browser, live_server.url, SCREENSHOTS)
        finally:
            browser.close()


def _check(browser, base, screenshots):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{base}/admin/login/?next=/admin/")
        page.fill("#id_username", "ops@example.com")
        page.fill("#id_password", "Staff-passw0rd!")
        page.click("input[type=submit]")
        assert page.locator("#support-new-count").inner_text() == "1"
        d = today()
        page.goto(f"{base}/admin/dashboard/?from={d - timedelta(days=6)}&to={d}")
        page.wait_for_selector("#chart-registrations svg rect[data-series='teachers']", state="attached")
        assert page.locator("#chart-registrations rect[data-series='teachers']").count() == 7  # one bar per day
        last = page.locator(f"#chart-registrations rect[data-series='teachers'][data-label='{d}']")
        assert last.get_attribute("data-value") == "3"
        students = page.locator(f"#chart-registrations rect[data-series='students'][data-label='{d}']")
        assert students.get_attribute("data-value") == "1"
        errs = page.locator("#chart-requests rect[data-series='errors']")
        assert sum(int(errs.nth(i).get_attribute("data-value")) for i in range(errs.count())) == 1
        assert page.locator("#fig-requests").inner_text() == "3"
        screenshots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshots / "staff-dashboard.png"), full_page=True)
        assert not errors, errors
    finally:
        page.close()
