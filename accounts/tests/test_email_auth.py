"""E-mail accounts (reference §2.5 with the fixes of issue 12): codes, tokens, attempt limits, throttles, linking.
Secrets are read from the `email_requested` domain event here; the end-to-end test reads them from real SMTP."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import EmailToken, LoginSession, User
from accounts.services.email_auth import pending_purge
from tutorcal import events

pytestmark = pytest.mark.django_db
PASSWORD = "kvartira-Zelenaya-42"


def post(client, path, body=None, **kwargs):
    return client.post(f"/api/auth/{path}", body or {}, format="json", **kwargs)


@pytest.fixture
def mails():
    sent = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    events.email_requested.connect(receiver, weak=False, dispatch_uid="test-mails")
    yield sent
    events.email_requested.disconnect(dispatch_uid="test-mails")


def register(api, email="nina@example.com", password=PASSWORD, **extra):
    body = {"email": email, "password": password, "firstName": "Нина", "role": "teacher", **extra}
    return post(api(), "register-email", body)


def signed_up(api, mails, email="nina@example.com"):
    response = register(api, email)
    assert response.status_code == 201, response.json()
    return response.json()["userId"], mails[-1]["secret"]


def verified(api, mails, email="nina@example.com", role="teacher"):
    user_id, code = signed_up(api, mails, email)
    response = post(api(), "verify-code", {"userId": user_id, "code": code, "role": role})
    assert response.status_code == 201, response.json()
    return response.json()


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10000:04d}"


# ---- sign-up and verification ----------------------------------------------------------------------------


def test_register_creates_an_unverified_user_without_a_profile_and_mails_a_4_digit_code(api, mails):
    response = register(api, "  Nina@Example.COM ")
    body = response.json()
    assert response.status_code == 201
    assert body == {
        "pendingVerification": True,
        "userId": body["userId"],
        "email": "nina@example.com",
        "role": "teacher",
    }
    user = User.objects.get(pk=body["userId"])
    assert not user.email_verified and user.password.startswith("argon2$argon2id$")
    assert not hasattr(user, "teacher_profile") or user.teacher_profile is None
    assert len(mails) == 1 and mails[0]["kind"] == "signup_code" and mails[0]["email"] == "nina@example.com"
    code = mails[0]["secret"]
    assert len(code) == 4 and code.isdigit()
    row = EmailToken.objects.get(user=user)
    assert code not in row.value_hash and len(row.value_hash) == 64  # stored as an HMAC only


def test_verify_code_marks_verified_creates_the_role_profile_and_signs_in(api, mails):
    body = verified(api, mails, role="student")
    assert body["roles"] == ["student"] and body["currentRole"] == "student"
    assert body["user"]["emailVerified"] is True and body["user"]["email"] == "nina@example.com"
    claims = AccessToken(body["token"])
    assert claims["role"] == "student" and claims["profileId"]
    assert not EmailToken.objects.exists()  # single use


def test_the_code_is_single_use(api, mails):
    user_id, code = signed_up(api, mails)
    assert post(api(), "verify-code", {"userId": user_id, "code": code, "role": "teacher"}).status_code == 201
    again = post(api(), "verify-code", {"userId": user_id, "code": code, "role": "teacher"})
    assert again.status_code == 400 and again.json()["message"] == "ALREADY_VERIFIED"


def test_register_refuses_a_malformed_email(api, mails):
    response = register(api, "not-an-email")
    assert response.status_code == 400 and any("email" in m for m in response.json()["message"])
    assert not User.objects.exists() and not mails


@pytest.mark.parametrize("password", ["abc12", "password", "12345678", "qwertyuiop"])
def test_register_refuses_a_short_or_common_password(api, mails, password):
    response = register(api, password=password)
    assert response.status_code == 400
    assert any(m.startswith("password") for m in response.json()["message"])
    assert not User.objects.exists() and not mails


def test_register_with_a_taken_address_is_409(api, mails):
    signed_up(api, mails)
    response = register(api, "NINA@example.com")
    assert response.status_code == 409 and response.json()["message"] == "EMAIL_ALREADY_EXISTS"


@pytest.mark.parametrize("code", ["123", "12345", "12a4", ""])
def test_verify_code_refuses_a_code_of_the_wrong_shape(api, mails, code):
    user_id, _ = signed_up(api, mails)
    response = post(api(), "verify-code", {"userId": user_id, "code": code, "role": "teacher"})
    assert response.status_code == 400 and any(m.startswith("code") for m in response.json()["message"])


@pytest.mark.parametrize("user_id", ["42", "not-a-uuid", "'; drop table users; --"])
def test_verify_code_with_a_non_uuid_user_id_is_400_not_500(api, user_id):
    response = post(api(), "verify-code", {"userId": user_id, "code": "1234", "role": "teacher"})
    assert response.status_code == 400 and any(m.startswith("userId") for m in response.json()["message"])
    assert post(api(), "resend-code", {"userId": user_id}).status_code == 400


def test_verify_code_for_an_unknown_user_is_400_user_not_found(api):
    response = post(api(), "verify-code", {"userId": "0" * 32, "code": "1234", "role": "teacher"})
    assert response.status_code == 400 and response.json()["message"] == "USER_NOT_FOUND"


def test_an_expired_code_is_refused(api, mails):
    user_id, code = signed_up(api, mails)
    EmailToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = post(api(), "verify-code", {"userId": user_id, "code": code, "role": "teacher"})
    assert response.status_code == 400 and response.json()["message"] == "CODE_EXPIRED"
    assert not User.objects.get(pk=user_id).email_verified


def test_five_wrong_codes_kill_the_code_and_the_sixth_attempt_is_refused_even_when_right(api, mails):
    user_id, code = signed_up(api, mails)
    for _ in range(5):
        response = post(api(), "verify-code", {"userId": user_id, "code": wrong(code), "role": "teacher"})
        assert response.status_code == 400 and response.json()["message"] == "INVALID_CODE"
    sixth = post(api(), "verify-code", {"userId": user_id, "code": code, "role": "teacher"})
    assert sixth.status_code == 400 and sixth.json()["message"] == "CODE_EXPIRED"
    # a new code is needed, and works
    assert post(api(), "resend-code", {"userId": user_id}).status_code == 201
    fresh = mails[-1]["secret"]
    assert post(api(), "verify-code", {"userId": user_id, "code": fresh, "role": "teacher"}).status_code == 201


def test_resend_code_replaces_the_code(api, mails):
    user_id, first = signed_up(api, mails)
    post(api(), "resend-code", {"userId": user_id})
    second = mails[-1]["secret"]
    if first != second:
        old = post(api(), "verify-code", {"userId": user_id, "code": first, "role": "teacher"})
        assert old.json()["message"] == "INVALID_CODE"
    assert post(api(), "verify-code", {"userId": user_id, "code": second, "role": "teacher"}).status_code == 201


def test_resend_code_is_throttled_per_pending_user(api, mails, settings):
    settings.EMAIL_SEND_ADDRESS_THROTTLE_RATE = "2/hour"
    user_id, _ = signed_up(api, mails)  # the sign-up used one
    assert post(api(), "resend-code", {"userId": user_id}).status_code == 201
    response = post(api(), "resend-code", {"userId": user_id})
    assert response.status_code == 429 and response.json()["message"] == "TOO_MANY_REQUESTS"
    assert len(mails) == 2


def test_mail_sending_routes_are_throttled_per_client_address(api, mails, settings):
    settings.EMAIL_SEND_IP_THROTTLE_RATE = "3/hour"
    for i in range(3):
        assert register(api, f"u{i}@example.com").status_code == 201
    assert register(api, "u9@example.com").status_code == 429
    assert post(api(), "forgot-password", {"email": "u0@example.com"}).status_code == 429


# ---- sign-in ------------------------------------------------------------------------------------------


def test_login_email_signs_in_a_verified_user_with_the_first_role(api, mails):
    verified(api, mails)
    response = post(api(), "login-email", {"email": "NINA@example.com ", "password": PASSWORD})
    body = response.json()
    assert response.status_code == 201 and body["isNewUser"] is False and body["currentRole"] == "teacher"
    assert AccessToken(body["token"])["role"] == "teacher" and body["refreshToken"]


def test_login_email_answers_the_same_for_an_unknown_address_and_a_wrong_password(api, mails):
    verified(api, mails)
    unknown = post(api(), "login-email", {"email": "nobody@example.com", "password": PASSWORD})
    wrong_password = post(api(), "login-email", {"email": "nina@example.com", "password": "Wrong-password-1"})
    assert unknown.status_code == wrong_password.status_code == 401
    assert (
        unknown.json()
        == wrong_password.json()
        == {"statusCode": 401, "message": "INVALID_CREDENTIALS", "error": "Unauthorized"}
    )


def test_login_email_requires_a_verified_address(api, mails):
    signed_up(api, mails)
    response = post(api(), "login-email", {"email": "nina@example.com", "password": PASSWORD})
    assert response.status_code == 403 and response.json()["message"] == "EMAIL_NOT_VERIFIED"
    # and a wrong password on the unverified address says nothing about it
    other = post(api(), "login-email", {"email": "nina@example.com", "password": "Wrong-password-1"})
    assert other.json()["message"] == "INVALID_CREDENTIALS"


def test_login_email_is_throttled_per_address(api, mails, settings):
    settings.EMAIL_LOGIN_ADDRESS_THROTTLE_RATE = "3/hour"
    for _ in range(3):
        post(api(), "login-email", {"email": "victim@example.com", "password": "Guess-password-1"})
    response = post(api(), "login-email", {"email": "Victim@example.com", "password": "Guess-password-2"})
    assert response.status_code == 429


def test_login_email_is_throttled_per_client_address(api, settings):
    settings.EMAIL_LOGIN_IP_THROTTLE_RATE = "3/hour"
    for i in range(3):
        post(api(), "login-email", {"email": f"v{i}@example.com", "password": "Guess-password-1"})
    assert post(api(), "login-email", {"email": "v9@example.com", "password": "x"}).status_code == 429


def test_me_web_returns_the_user_and_roles(api, mails):
    body = verified(api, mails)
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    response = client.get("/api/auth/me-web")
    assert response.status_code == 200
    assert response.json()["roles"] == ["teacher"] and response.json()["user"]["email"] == "nina@example.com"
    assert api().get("/api/auth/me-web").status_code == 401


# ---- password reset -------------------------------------------------------------------------------------


def reset_token(api, mails, email="nina@example.com"):
    assert post(api(), "forgot-password", {"email": email}).status_code == 201
    assert mails[-1]["kind"] == "password_reset"
    return mails[-1]["secret"]


def test_forgot_password_always_answers_success_and_mails_only_verified_addresses(api, mails):
    signed_up(api, mails, "pending@example.com")
    count = len(mails)
    for email in ("nobody@example.com", "pending@example.com"):
        response = post(api(), "forgot-password", {"email": email})
        assert response.status_code == 201 and response.json() == {"success": True}
    assert len(mails) == count


def test_forgot_password_never_disturbs_a_pending_sign_up_code(api, mails):
    user_id, code = signed_up(api, mails)
    post(api(), "forgot-password", {"email": "nina@example.com"})
    assert post(api(), "verify-code", {"userId": user_id, "code": code, "role": "teacher"}).status_code == 201


def test_reset_password_sets_the_password_and_ends_every_session(api, mails):
    session = verified(api, mails)
    login = post(api(), "login-email", {"email": "nina@example.com", "password": PASSWORD}).json()
    token = reset_token(api, mails)
    response = post(api(), "reset-password", {"token": token, "password": "Novyi-parol-2026"})
    assert response.status_code == 201 and response.json() == {"success": True}
    for old in (session["token"], login["token"]):
        client = api()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {old}")
        assert client.get("/api/auth/me-web").status_code == 401
    assert post(api(), "refresh", {"refreshToken": login["refreshToken"]}).status_code == 401
    assert not LoginSession.objects.filter(ended_at__isnull=True).exists()
    assert set(LoginSession.objects.values_list("end_reason", flat=True)) == {"password_reset"}
    assert post(api(), "login-email", {"email": "nina@example.com", "password": PASSWORD}).status_code == 401
    assert post(api(), "login-email", {"email": "nina@example.com", "password": "Novyi-parol-2026"}).status_code == 201


def test_a_reset_token_works_once(api, mails):
    verified(api, mails)
    token = reset_token(api, mails)
    assert post(api(), "reset-password", {"token": token, "password": "Novyi-parol-2026"}).status_code == 201
    again = post(api(), "reset-password", {"token": token, "password": "Drugoi-parol-2026"})
    assert again.status_code == 400 and again.json()["message"] == "INVALID_TOKEN"


def test_a_reset_token_cannot_reset_another_users_password(api, mails):
    verified(api, mails, "victim@example.com")
    verified(api, mails, "attacker@example.com")
    victim = User.objects.get(email="victim@example.com")
    token = reset_token(api, mails, "attacker@example.com")
    forged = victim.pk.hex + token[32:]  # the attacker's secret under the victim's id
    response = post(api(), "reset-password", {"token": forged, "password": "Zakhvat-parol-2026"})
    assert response.status_code == 400 and response.json()["message"] == "INVALID_TOKEN"
    victim.refresh_from_db()
    assert victim.check_password(PASSWORD)


def test_a_sign_up_code_is_no_reset_token(api, mails):
    user_id, code = signed_up(api, mails)
    for token in (code, user_id.replace("-", "") + code):
        response = post(api(), "reset-password", {"token": token, "password": "Zakhvat-parol-2026"})
        assert response.status_code == 400 and response.json()["message"] == "INVALID_TOKEN"


def test_an_expired_reset_token_is_refused(api, mails):
    verified(api, mails)
    token = reset_token(api, mails)
    EmailToken.objects.filter(purpose="password_reset").update(expires_at=timezone.now() - timedelta(seconds=1))
    response = post(api(), "reset-password", {"token": token, "password": "Novyi-parol-2026"})
    assert response.status_code == 400 and response.json()["message"] == "TOKEN_EXPIRED"


def test_reset_password_with_a_weak_password_keeps_the_token(api, mails):
    verified(api, mails)
    token = reset_token(api, mails)
    assert post(api(), "reset-password", {"token": token, "password": "12345678"}).status_code == 400
    assert post(api(), "reset-password", {"token": token, "password": "Novyi-parol-2026"}).status_code == 201


# ---- pending sign-ups expire ------------------------------------------------------------------------------


def test_an_unverified_sign_up_expires_after_24_hours_and_frees_its_address(api, mails):
    user_id, _ = signed_up(api, mails)
    User.objects.filter(pk=user_id).update(created_at=timezone.now() - timedelta(hours=23))
    assert pending_purge() == 0
    User.objects.filter(pk=user_id).update(created_at=timezone.now() - timedelta(hours=25))
    assert pending_purge() == 1
    assert not User.objects.filter(pk=user_id).exists()
    assert register(api).status_code == 201


def test_a_stale_sign_up_frees_its_address_for_a_new_register_before_the_purge_runs(api, mails):
    user_id, _ = signed_up(api, mails)
    User.objects.filter(pk=user_id).update(created_at=timezone.now() - timedelta(hours=25))
    response = register(api)
    assert response.status_code == 201 and response.json()["userId"] != user_id


# ---- linking e-mail and Telegram ---------------------------------------------------------------------------


def test_link_email_then_verify_email_adds_a_verified_address_to_a_telegram_account(api, tutor, mails):
    response = post(api(tutor), "link-email", {"email": "anna@example.com", "password": PASSWORD})
    assert response.status_code == 201 and mails[-1]["kind"] == "email_link"
    tutor.user.refresh_from_db()
    assert tutor.user.email == "anna@example.com" and not tutor.user.email_verified
    assert post(api(), "login-email", {"email": "anna@example.com", "password": PASSWORD}).status_code == 403
    assert post(api(), "verify-email", {"token": mails[-1]["secret"]}).status_code == 201
    login = post(api(), "login-email", {"email": "anna@example.com", "password": PASSWORD}).json()
    assert login["user"]["id"] == str(tutor.user.id) and login["user"]["telegramId"] == tutor.user.telegram_id
    again = post(api(), "verify-email", {"token": mails[-1]["secret"]})
    assert again.status_code == 400 and again.json()["message"] == "INVALID_TOKEN"


def test_link_email_to_someone_elses_address_is_409(api, tutor, mails):
    verified(api, mails, "taken@example.com")
    response = post(api(tutor), "link-email", {"email": "taken@example.com", "password": PASSWORD})
    assert response.status_code == 409 and response.json()["message"] == "EMAIL_ALREADY_EXISTS"


def test_link_email_when_an_address_is_already_verified_is_409(api, tutor, mails):
    post(api(tutor), "link-email", {"email": "anna@example.com", "password": PASSWORD})
    post(api(), "verify-email", {"token": mails[-1]["secret"]})
    response = post(api(tutor), "link-email", {"email": "anna2@example.com", "password": PASSWORD})
    assert response.status_code == 409 and response.json()["message"] == "EMAIL_ALREADY_LINKED"


def test_verify_email_refuses_garbage_and_expired_tokens(api, tutor, mails):
    assert post(api(), "verify-email", {"token": "x" * 80}).json()["message"] == "INVALID_TOKEN"
    post(api(tutor), "link-email", {"email": "anna@example.com", "password": PASSWORD})
    EmailToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = post(api(), "verify-email", {"token": mails[-1]["secret"]})
    assert response.status_code == 400 and response.json()["message"] == "TOKEN_EXPIRED"


def test_link_telegram_with_the_password_then_both_sign_ins_reach_the_same_user(api, mails, init_data):
    body = verified(api, mails)
    data = init_data(id=4242, username="nina_tg")
    response = post(api(), "link-telegram", {"initData": data, "email": "nina@example.com", "password": PASSWORD})
    assert response.status_code == 201 and response.json() == {"success": True}
    via_telegram = post(api(), "init", {"initData": data}).json()
    via_email = post(api(), "login-email", {"email": "nina@example.com", "password": PASSWORD}).json()
    assert via_telegram["user"]["id"] == via_email["user"]["id"] == body["user"]["id"]
    assert via_telegram["user"]["username"] == "nina_tg"


def test_link_telegram_with_a_wrong_password_or_forged_init_data_is_refused(api, mails, init_data):
    verified(api, mails)
    bad_pw = post(
        api(), "link-telegram", {"initData": init_data(id=1), "email": "nina@example.com", "password": "nope"}
    )
    assert bad_pw.status_code == 401 and bad_pw.json()["message"] == "INVALID_CREDENTIALS"
    forged = init_data(id=1).replace("id%22%3A+1", "id%22%3A+2")
    bad_tg = post(api(), "link-telegram", {"initData": forged + "x", "email": "nina@example.com", "password": PASSWORD})
    assert bad_tg.status_code == 401 and bad_tg.json()["message"] == "INVALID_INIT_DATA"
    assert User.objects.get(email="nina@example.com").telegram_id is None


def test_link_telegram_to_an_account_someone_else_has_is_409(api, mails, tutor, init_data):
    verified(api, mails)
    data = init_data(id=tutor.user.telegram_id)
    response = post(api(), "link-telegram", {"initData": data, "email": "nina@example.com", "password": PASSWORD})
    assert response.status_code == 409 and response.json()["message"] == "TELEGRAM_ALREADY_LINKED"


def test_auto_link_telegram_links_once_and_then_reports_already_linked(api, mails, init_data):
    body = verified(api, mails)
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    data = init_data(id=9191, username="nina_tg")
    first = post(client, "auto-link-telegram", {"initData": data})
    assert first.status_code == 201 and first.json() == {"success": True}
    second = post(client, "auto-link-telegram", {"initData": data})
    assert second.json() == {"success": True, "alreadyLinked": True}
    user = User.objects.get(pk=body["user"]["id"])
    assert user.telegram_id == 9191 and user.username == "nina_tg" and user.first_name == "Нина"


def test_auto_link_telegram_of_someone_else_is_409(api, mails, tutor, init_data):
    body = verified(api, mails)
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    response = post(client, "auto-link-telegram", {"initData": init_data(id=tutor.user.telegram_id)})
    assert response.status_code == 409 and response.json()["message"] == "TELEGRAM_ALREADY_LINKED"


def test_every_email_and_max_route_is_in_the_openapi_schema(api):
    import yaml

    response = api().get("/api/schema/")
    assert response.status_code == 200
    paths = yaml.safe_load(response.content)["paths"]
    routes = (
        "register-email verify-code resend-code login-email me-web verify-email forgot-password reset-password "
        "link-email link-telegram auto-link-telegram init-max link-max auto-link-max"
    ).split()
    assert [r for r in routes if f"/api/auth/{r}" not in paths] == []


def test_sign_in_routes_take_a_fixed_number_of_queries(api, tutor, init_data, settings, django_assert_num_queries):
    """One user read, then the login session and its refresh token: 3 for login-email and init-max."""
    settings.MAX_BOT_TOKEN = "max-token-for-query-count"
    user = User.objects.get(pk=tutor.user.pk)
    user.email, user.email_verified, user.max_id = "anna@example.com", True, 5150
    user.set_password(PASSWORD)
    user.save()
    with django_assert_num_queries(3):
        login = post(api(), "login-email", {"email": "anna@example.com", "password": PASSWORD})
    assert login.status_code == 201
    with django_assert_num_queries(3):
        init = post(api(), "init-max", {"initData": init_data(id=5150, token="max-token-for-query-count")})
    assert init.status_code == 201 and init.json()["user"]["id"] == str(user.id)


def test_forgot_password_is_throttled_per_address(api, mails, settings):
    verified(api, mails, "forgetful@example.com")  # the sign-up used one of the address's mails
    settings.EMAIL_SEND_ADDRESS_THROTTLE_RATE = "2/hour"
    assert post(api(), "forgot-password", {"email": "forgetful@example.com"}).status_code == 201
    response = post(api(), "forgot-password", {"email": "Forgetful@example.com"})
    assert response.status_code == 429 and [m["kind"] for m in mails] == ["signup_code", "password_reset"]
