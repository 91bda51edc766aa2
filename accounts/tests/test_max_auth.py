"""MAX messenger sign-in (reference §2.4): initData checked like Telegram's, keyed with MAX_BOT_TOKEN."""

import time

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from conftest import TEST_BOT_TOKEN

pytestmark = pytest.mark.django_db
MAX_TOKEN = "max-bot-token-for-tests-only"


@pytest.fixture(autouse=True)
def _max_token(settings):
    settings.MAX_BOT_TOKEN = MAX_TOKEN


@pytest.fixture
def max_data(init_data):
    def _make(id=31337, **kwargs):
        kwargs.setdefault("token", MAX_TOKEN)
        return init_data(id=id, **kwargs)

    return _make


def post(client, path, body=None):
    return client.post(f"/api/auth/{path}", body or {}, format="json")


def test_init_max_tells_an_unknown_max_user_they_are_new(api, max_data):
    response = post(api(), "init-max", {"initData": max_data(first_name="Макс")})
    body = response.json()
    assert response.status_code == 201
    assert body["isNewUser"] is True and body["user"] is None and body["roles"] == [] and body["token"] is None
    assert body["maxUser"]["id"] == 31337 and body["maxUser"]["firstName"] == "Макс"


def test_link_max_then_init_max_signs_in_the_same_user(api, tutor, max_data):
    assert post(api(tutor), "link-max", {"initData": max_data()}).json() == {"success": True}
    body = post(api(), "init-max", {"initData": max_data()}).json()
    assert body["isNewUser"] is False and body["currentRole"] == "teacher"
    assert body["user"]["id"] == str(tutor.user.id) and body["user"]["maxId"] == 31337
    assert AccessToken(body["token"])["sub"] == str(tutor.user.id)


def test_init_max_refuses_init_data_signed_with_the_telegram_token(api, tutor, max_data):
    post(api(tutor), "link-max", {"initData": max_data()})
    response = post(api(), "init-max", {"initData": max_data(token=TEST_BOT_TOKEN)})
    assert response.status_code == 401 and response.json()["message"] == "INVALID_MAX_INIT_DATA"


def test_telegram_init_refuses_init_data_signed_with_the_max_token(api, tutor, max_data):
    response = post(api(), "init", {"initData": max_data(id=tutor.user.telegram_id)})
    assert response.status_code == 401 and response.json()["message"] == "INVALID_INIT_DATA"


def test_init_max_refuses_forged_and_expired_init_data(api, max_data):
    forged = max_data().replace("31337", "31338")
    expired = max_data(auth_date=int(time.time()) - 2 * 86400)
    for data in (forged, expired, "user=%7B%22id%22%3A1%7D", "test", ""):
        response = post(api(), "init-max", {"initData": data})
        assert response.status_code in (400, 401)
        if data:
            assert response.json()["message"] == "INVALID_MAX_INIT_DATA"


def test_without_max_bot_token_max_init_data_is_always_refused(api, max_data, settings):
    data = max_data()
    settings.MAX_BOT_TOKEN = ""
    response = post(api(), "init-max", {"initData": data})
    assert response.status_code == 401 and response.json()["message"] == "INVALID_MAX_INIT_DATA"


def test_link_max_of_an_account_someone_else_has_is_409(api, tutor, stranger_tutor, max_data):
    post(api(tutor), "link-max", {"initData": max_data()})
    response = post(api(stranger_tutor), "link-max", {"initData": max_data()})
    assert response.status_code == 409 and response.json()["message"] == "MAX_ACCOUNT_ALREADY_LINKED"
    auto = post(api(stranger_tutor), "auto-link-max", {"initData": max_data()})
    assert auto.status_code == 409 and auto.json()["message"] == "MAX_ALREADY_LINKED"
    assert User.objects.get(pk=stranger_tutor.user.pk).max_id is None


def test_auto_link_max_links_once_and_fills_empty_names(api, tutor, max_data):
    User.objects.filter(pk=tutor.user.pk).update(username="")
    first = post(api(tutor), "auto-link-max", {"initData": max_data(username="anna_max")})
    assert first.status_code == 201 and first.json() == {"success": True}
    again = post(api(tutor), "auto-link-max", {"initData": max_data(username="anna_max")})
    assert again.json() == {"success": True, "alreadyLinked": True}
    user = User.objects.get(pk=tutor.user.pk)
    assert user.max_id == 31337 and user.username == "anna_max" and user.first_name == "Анна"


def test_link_max_needs_a_signed_in_user(api, max_data):
    assert post(api(), "link-max", {"initData": max_data()}).status_code == 401
    assert post(api(), "auto-link-max", {"initData": max_data()}).status_code == 401
