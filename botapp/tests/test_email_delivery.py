"""Account mail through the outbox, talking SMTP to a real server on 127.0.0.1 (aiosmtpd), configured the way
production is: EMAIL_URL read by django-environ."""

import re

import environ
import pytest
from django.utils import timezone

from accounts.models import User
from botapp.models import Outbox
from botapp.worker import Worker

from .smtp_server import SmtpServer, free_port

pytestmark = pytest.mark.django_db
PASSWORD = "kvartira-Zelenaya-42"


def use_email_url(settings, url: str) -> None:
    for key, value in environ.Env.email_url_config(url).items():
        setattr(settings, key, value)


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    use_email_url(settings, f"smtp://127.0.0.1:{server.port}")
    yield server.inbox
    server.stop()


def deliver() -> None:
    worker = Worker(send=False, chat_interval=0)
    try:
        worker.run_once(periodic=False)
    finally:
        worker.close()


def post(client, path, body, **headers):
    return client.post(f"/api/auth/{path}", body, format="json", **headers)


def bearer(api, token):
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def test_sign_up_verify_login_reset_and_link_telegram_end_to_end_over_smtp(api, smtp, init_data, settings):
    # sign up: the code arrives by mail, only after the worker ran (never inside the request)
    signup = post(
        api(),
        "register-email",
        {"email": "nina@example.com", "password": PASSWORD, "firstName": "Нина", "role": "teacher"},
    )
    assert signup.status_code == 201 and smtp.messages == []
    deliver()
    mail = smtp.last()
    assert mail["To"] == "nina@example.com" and mail["From"] == settings.DEFAULT_FROM_EMAIL
    code = re.search(r"\b(\d{4})\b", text_of(mail)).group(1)
    assert mail["Subject"].strip().startswith(code) and code in html_of(mail)
    row = Outbox.objects.get()
    assert row.channel == "email" and row.status == Outbox.Status.SENT
    assert row.payload["secret"] is None and code not in row.text  # the secret is gone once sent
    # verify → signed in as a teacher
    verified = post(api(), "verify-code", {"userId": signup.json()["userId"], "code": code, "role": "teacher"}).json()
    assert verified["currentRole"] == "teacher"
    login = post(api(), "login-email", {"email": "nina@example.com", "password": PASSWORD}).json()
    assert bearer(api, login["token"]).get("/api/auth/me-web").status_code == 200
    # forgot → the reset link arrives → reset ends every earlier session
    assert post(api(), "forgot-password", {"email": "nina@example.com"}).status_code == 201
    deliver()
    link = re.search(r"/reset-password/(\S+)", text_of(smtp.last())).group(1)
    assert f'href="{settings.WEBAPP_URL}/reset-password/{link}"' in html_of(smtp.last())
    assert post(api(), "reset-password", {"token": link, "password": "Novyi-parol-2026"}).status_code == 201
    for old in (verified["token"], login["token"]):
        assert bearer(api, old).get("/api/auth/me-web").status_code == 401
    relogin = post(api(), "login-email", {"email": "nina@example.com", "password": "Novyi-parol-2026"}).json()
    # link Telegram (real signed initData) → both ways in reach the same user
    tg = init_data(id=60606, username="nina_tg")
    linked = post(api(), "link-telegram", {"initData": tg, "email": "nina@example.com", "password": "Novyi-parol-2026"})
    assert linked.status_code == 201
    via_telegram = post(api(), "init", {"initData": tg}).json()
    assert via_telegram["user"]["id"] == relogin["user"]["id"] == verified["user"]["id"]
    assert AccessTokenSub(via_telegram["token"]) == AccessTokenSub(relogin["token"])


def AccessTokenSub(token):  # noqa: N802 - reads like the claim it returns
    from rest_framework_simplejwt.tokens import AccessToken

    return AccessToken(token)["sub"]


def test_mail_is_in_english_for_an_english_browser_and_escapes_the_name(api, smtp):
    body = {"email": "tom@example.com", "password": PASSWORD, "firstName": "<b>Tom</b>", "role": "student"}
    post(api(), "register-email", body, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    deliver()
    mail = smtp.last()
    assert "is your Tutors Calendar code" in mail["Subject"]
    assert "Hello, <b>Tom</b>!" in text_of(mail)
    assert "&lt;b&gt;Tom&lt;/b&gt;" in html_of(mail) and "<b>Tom</b>" not in html_of(mail)


def test_link_email_sends_a_verify_link_that_verifies_the_address(api, smtp, tutor, settings):
    assert post(api(tutor), "link-email", {"email": "anna@example.com", "password": PASSWORD}).status_code == 201
    deliver()
    token = re.search(r"/verify-email/(\S+)", text_of(smtp.last())).group(1)
    assert post(api(), "verify-email", {"token": token}).status_code == 201
    assert User.objects.get(pk=tutor.user.pk).email_verified


def test_smtp_server_down_the_api_still_answers_and_the_mail_fails_after_the_last_try(api, settings, admin_client):
    use_email_url(settings, f"smtp://127.0.0.1:{free_port()}")  # nothing listens there
    body = {"email": "nina@example.com", "password": PASSWORD, "firstName": "Нина", "role": "teacher"}
    assert post(api(), "register-email", body).status_code == 201
    attempts = []
    for _ in range(10):
        deliver()
        row = Outbox.objects.get()
        attempts.append(row.attempts)
        if row.status != Outbox.Status.PENDING:
            break
        assert row.next_attempt_at > timezone.now()  # backoff before the next try
        Outbox.objects.update(next_attempt_at=timezone.now())
    assert row.status == Outbox.Status.FAILED and attempts == [1, 2, 3, 4, 5]
    assert "Connection" in row.last_error or "refused" in row.last_error.lower()
    assert row.payload["secret"] is None
    page = admin_client.get("/admin/botapp/outbox/?channel__exact=email")
    assert page.status_code == 200 and "failed" in page.content.decode()


def test_a_mail_is_never_sent_twice(api, smtp):
    post(
        api(),
        "register-email",
        {"email": "nina@example.com", "password": PASSWORD, "firstName": "Нина", "role": "teacher"},
    )
    deliver()
    deliver()
    assert len(smtp.messages) == 1


def self_signed(tmp_path):
    """A certificate for 127.0.0.1 that no CA signed."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_starttls_certificates_are_verified(api, settings, tmp_path):
    """smtp+tls:// to a server with an unverifiable certificate: nothing is sent in clear, the row is retried."""
    import ssl

    from aiosmtpd.controller import Controller

    from .smtp_server import Inbox

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True)
    controller.start()
    try:
        use_email_url(settings, f"smtp+tls://127.0.0.1:{port}")
        body = {"email": "nina@example.com", "password": PASSWORD, "firstName": "Нина", "role": "teacher"}
        assert post(api(), "register-email", body).status_code == 201
        deliver()
    finally:
        controller.stop()
    row = Outbox.objects.get()
    assert row.status == Outbox.Status.PENDING and "CERTIFICATE_VERIFY_FAILED" in row.last_error
    assert inbox.messages == []
