"""Django admin for e-mail and MAX accounts: columns, search, the two staff actions, no hashes on any page."""

import pytest

from accounts.models import EmailToken, LoginSession, User
from accounts.tokens import issue_tokens
from tutorcal import events

pytestmark = pytest.mark.django_db
PASSWORD = "kvartira-Zelenaya-42"


@pytest.fixture
def mails():
    sent = []
    events.email_requested.connect(lambda sender, **kw: sent.append(kw), weak=False, dispatch_uid="admin-mails")
    yield sent
    events.email_requested.disconnect(dispatch_uid="admin-mails")


@pytest.fixture
def email_user(db):
    user = User.objects.create_user(email="vera@example.com", password=PASSWORD, first_name="Вера", max_id=991)
    User.objects.filter(pk=user.pk).update(email_verified=True, telegram_id=None)
    user.refresh_from_db()
    return user


def test_users_list_shows_email_max_and_verified_and_is_searchable(admin_client, email_user):
    page = admin_client.get("/admin/accounts/user/?q=vera@example.com").content.decode()
    assert "vera@example.com" in page and "991" in page and "Email verified" in page
    assert "vera@example.com" in admin_client.get("/admin/accounts/user/?q=991").content.decode()


def test_no_password_or_token_hash_is_displayed(admin_client, email_user):
    EmailToken.objects.create(
        user=email_user, purpose="password_reset", value_hash="f" * 64, expires_at="2099-01-01T00:00Z"
    )
    page = admin_client.get(f"/admin/accounts/user/{email_user.pk}/change/").content.decode()
    assert email_user.password not in page and "argon2" not in page and "f" * 64 not in page
    assert "set (change it" in page
    assert admin_client.get("/admin/accounts/emailtoken/").status_code == 404


def test_staff_can_resend_a_verification(admin_client, mails):
    pending = User.objects.create_user(email="new@example.com", password=PASSWORD)
    response = admin_client.post(
        "/admin/accounts/user/", {"action": "resend_verification", "_selected_action": [str(pending.pk)]}
    )
    assert response.status_code == 302
    assert [(m["kind"], m["email"]) for m in mails] == [("signup_code", "new@example.com")]


def test_staff_can_force_a_password_reset(admin_client, email_user, mails):
    issue_tokens(email_user, "teacher")
    response = admin_client.post(
        "/admin/accounts/user/", {"action": "force_password_reset", "_selected_action": [str(email_user.pk)]}
    )
    assert response.status_code == 302
    email_user.refresh_from_db()
    assert not email_user.has_usable_password()
    assert not LoginSession.objects.filter(user=email_user, ended_at__isnull=True).exists()
    assert [m["kind"] for m in mails] == ["password_reset"]
