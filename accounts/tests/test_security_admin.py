"""The Django admin: no default credentials, and password guessing on its login form is throttled."""

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-admin-password-1"


@pytest.fixture
def staff():
    return User.objects.create_superuser("ops@example.com", PASSWORD)


def login(client, password, ip="203.0.113.10"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "ops@example.com", "password": password},
        REMOTE_ADDR=ip,
    )


def test_a_fresh_database_has_no_staff_account_to_log_in_with(client):
    assert not User.objects.filter(is_staff=True).exists()
    for username, password in [("admin", "admin"), ("admin@example.com", "admin")]:
        response = client.post("/admin/login/?next=/admin/", {"username": username, "password": password})
        assert response.status_code == 200  # the form again, no redirect into the admin


def test_the_right_password_signs_a_staff_member_in(client, staff):
    response = login(client, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_password_guessing_on_the_admin_login_is_stopped_after_ten_failures(client, staff):
    for _ in range(10):
        assert login(client, "wrong-guess").status_code == 200
    blocked = login(client, PASSWORD)
    assert blocked.status_code == 200, "even the right password is refused while the address is blocked"
    assert "Too many failed sign-ins" in blocked.content.decode()
    assert login(client, PASSWORD, ip="203.0.113.11").status_code == 302, "other addresses are not blocked"
