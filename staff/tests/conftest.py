"""Staff fixtures: a Django staff user, a client holding their staff API token, the fake Bot API."""

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from botapp.tests.conftest import fake_tg, worker  # noqa: F401  (fixtures)

STAFF_PASSWORD = "a-Long-staff-passw0rd"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests only: argon2 is slow


@pytest.fixture
def staff_user(db):
    """A support operator: staff, with the admin's permissions (superuser keeps the fixture short)."""
    return User.objects.create_user(
        email="ops@example.com", password=STAFF_PASSWORD, first_name="Ops", is_staff=True, is_superuser=True
    )


@pytest.fixture
def admin_api(staff_user):
    client = APIClient()
    r = client.post("/api/admin/login", {"login": "ops@example.com", "password": STAFF_PASSWORD}, format="json")
    assert r.status_code == 201, r.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {r.json()['accessToken']}")
    return client
