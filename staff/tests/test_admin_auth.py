"""POST /api/admin/login and the staff token: staff only, no default account, lockout, re-checked every request."""

import pytest
from django.core import signing
from rest_framework.test import APIClient

from accounts.models import User
from staff import tokens

from .conftest import STAFF_PASSWORD

pytestmark = pytest.mark.django_db


def _login(login, password, **extra):
    return APIClient().post("/api/admin/login", {"login": login, "password": password}, format="json", **extra)


def test_staff_user_logs_in_and_me_answers_with_the_token_payload(admin_api, staff_user):
    r = admin_api.get("/api/admin/me")
    assert r.status_code == 200
    admin = r.json()["admin"]
    assert admin["sub"] == str(staff_user.pk) and admin["login"] == "ops@example.com" and admin["type"] == "admin"
    assert admin["exp"] - admin["iat"] == 3600


def test_there_is_no_default_admin_account():
    assert _login("admin", "admin").status_code == 401
    assert not User.objects.filter(is_staff=True).exists()


def test_wrong_password_unknown_login_and_non_staff_get_the_same_401(staff_user, tutor):
    User.objects.create_user(email="user@example.com", password=STAFF_PASSWORD)
    for login, password in [
        ("ops@example.com", "nope"),
        ("ghost@example.com", STAFF_PASSWORD),
        ("user@example.com", STAFF_PASSWORD),
    ]:
        r = _login(login, password)
        assert r.status_code == 401 and r.json()["message"] == "INVALID_CREDENTIALS"


def test_missing_fields_are_400():
    assert _login("", "").status_code == 400
    assert APIClient().post("/api/admin/login", {}, format="json").status_code == 400


def test_repeated_failures_lock_the_login_even_for_the_right_password(staff_user, settings):
    settings.ADMIN_LOGIN_THROTTLE_RATE = "1000/minute"
    for _ in range(5):
        assert _login("ops@example.com", "wrong").status_code == 401
    r = _login("ops@example.com", STAFF_PASSWORD)
    assert r.status_code == 429 and r.json()["message"] == "ADMIN_LOGIN_LOCKED"


def test_login_is_throttled_per_ip(staff_user, settings):
    settings.ADMIN_LOGIN_THROTTLE_RATE = "3/minute"
    codes = [_login(f"x{i}@example.com", "w").status_code for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]


def test_token_stops_working_when_staff_is_revoked_or_deactivated(admin_api, staff_user):
    assert admin_api.get("/api/admin/support/count").status_code == 200
    User.objects.filter(pk=staff_user.pk).update(is_staff=False)
    assert admin_api.get("/api/admin/support/count").status_code == 401
    User.objects.filter(pk=staff_user.pk).update(is_staff=True, is_active=False)
    assert admin_api.get("/api/admin/support/count").status_code == 401


def test_no_token_forged_token_and_ordinary_user_token_are_rejected(api, tutor, staff_user):
    assert api().get("/api/admin/me").status_code == 401
    assert api(tutor).get("/api/admin/me").status_code == 401  # a user JWT is not a staff token
    forged = signing.dumps({"sub": str(staff_user.pk), "type": "admin", "iat": 0, "exp": 2**40}, salt="other")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert client.get("/api/admin/me").status_code == 401


def test_a_staff_token_is_not_a_user_token(staff_user, api):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.issue(user_id=staff_user.pk, login='x')}")
    assert client.get("/api/support/my").status_code == 401


def test_expired_token_is_rejected(staff_user, settings):
    settings.ADMIN_TOKEN_LIFETIME = -1
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.issue(user_id=staff_user.pk, login='x')}")
    assert client.get("/api/admin/me").status_code == 401


ADMIN_GETS = [
    "/api/admin/me",
    "/api/admin/dashboard/stats",
    "/api/admin/dashboard/registrations?from=2026-01-01&to=2026-01-02",
    "/api/admin/requests/stats?from=2026-01-01&to=2026-01-02",
    "/api/admin/requests/endpoints",
    "/api/admin/requests/endpoint-logs?method=GET&path=/api/health",
    "/api/admin/requests/logs",
    "/api/admin/requests/errors",
    "/api/admin/requests/logs-detailed",
    "/api/admin/requests/chart?from=2026-01-01&to=2026-01-02",
    "/api/admin/referrals",
    "/api/admin/analytics/events",
    "/api/admin/analytics/top?from=2026-01-01&to=2026-01-02",
    "/api/admin/users",
    "/api/admin/support",
    "/api/admin/support/count",
]


@pytest.mark.parametrize("url", ADMIN_GETS)
def test_every_admin_route_refuses_a_user_token_and_answers_staff(url, api, tutor, admin_api):
    assert api().get(url).status_code == 401
    assert api(tutor).get(url).status_code == 401
    assert admin_api.get(url).status_code == 200


def test_patch_support_refuses_a_user_token(api, tutor):
    r = api(tutor).patch("/api/admin/support/00000000-0000-0000-0000-000000000000", {"status": "closed"}, format="json")
    assert r.status_code == 401
