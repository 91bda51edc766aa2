"""End to end: user → support message → staff chat (fake Bot API) → staff reply in the Django admin → the user's
Telegram chat and GET /api/support/my. And a reply to a user who blocked the bot: failed in the admin, kept."""

import pytest
from django.test import Client

from botapp.models import Outbox
from staff.models import SupportMessage, SupportReply

pytestmark = pytest.mark.django_db(transaction=True)

STAFF_CHAT = -100123456


def admin_reply(staff_user, message, text, status="in_progress"):
    client = Client()
    client.force_login(staff_user)
    return client.post(
        f"/admin/staff/supportmessage/{message.pk}/change/",
        {
            "status": status,
            "admin_notes": "called them",
            "reply": text,
            "replies-TOTAL_FORMS": "0",
            "replies-INITIAL_FORMS": "0",
            "replies-MIN_NUM_FORMS": "0",
            "replies-MAX_NUM_FORMS": "1000",
        },
    )


def test_user_to_staff_chat_to_admin_reply_to_user(api, tutor, staff_user, fake_tg, worker, settings):
    settings.SUPPORT_CHAT_ID = STAFF_CHAT
    r = api(tutor).post("/api/support", {"subject": "Не вижу урок", "message": "Пропал <урок> в среду"}, format="json")
    assert r.status_code == 201
    message = SupportMessage.objects.get(pk=r.json()["id"])

    w = worker()
    w.run_once(periodic=False)
    [alert] = fake_tg.sent(STAFF_CHAT)
    assert "Не вижу урок" in alert.text and "Пропал &lt;урок&gt; в среду" in alert.text  # HTML escaped
    assert "Анна Петрова" in alert.text

    response = admin_reply(staff_user, message, "Вернули урок, проверьте")
    assert response.status_code == 302, response.content[:2000]
    message.refresh_from_db()
    assert message.status == "in_progress" and message.admin_notes == "called them"
    reply = SupportReply.objects.get(support_message=message)
    assert reply.author == staff_user and reply.channel == "telegram"

    w.run_once(periodic=False)
    [delivered] = fake_tg.sent(tutor.user.telegram_id)
    assert "Вернули урок, проверьте" in delivered.text and "Не вижу урок" in delivered.text
    assert Outbox.objects.get(pk=reply.outbox_id).status == "sent"

    [mine] = api(tutor).get("/api/support/my").json()
    assert [x["message"] for x in mine["replies"]] == ["Вернули урок, проверьте"]
    assert mine["status"] == "in_progress"


def test_reply_to_a_user_who_blocked_the_bot_shows_failed_and_is_kept(api, tutor, staff_user, fake_tg, worker):
    message = SupportMessage.objects.create(user=tutor.user, subject="s", message="m")
    fake_tg.fail(403, "Forbidden: bot was blocked by the user", chat_id=tutor.user.telegram_id)
    assert admin_reply(staff_user, message, "Ответ").status_code == 302
    worker().run_once(periodic=False)
    reply = SupportReply.objects.get()
    assert Outbox.objects.get(pk=reply.outbox_id).status == "failed"

    client = Client()
    client.force_login(staff_user)
    page = client.get(f"/admin/staff/supportmessage/{message.pk}/change/").content.decode()
    assert "failed: 403" in page and "Ответ" in page
    assert [x["message"] for x in api(tutor).get("/api/support/my").json()[0]["replies"]] == ["Ответ"]


def test_landing_message_reaches_the_staff_chat_and_the_reply_goes_to_its_email_contact(
    api, staff_user, fake_tg, worker, settings
):
    settings.SUPPORT_CHAT_ID = STAFF_CHAT
    api().post("/api/support/landing-message", {"name": "Оля", "contact": "olya@example.com", "message": "Цена?"},
               format="json")  # fmt: skip
    worker().run_once(periodic=False)
    assert "olya@example.com" in fake_tg.sent(STAFF_CHAT)[0].text
    message = SupportMessage.objects.get()
    assert admin_reply(staff_user, message, "Бесплатно").status_code == 302
    reply = SupportReply.objects.get()
    assert reply.channel == "email" and reply.outbox_id is not None
    row = Outbox.objects.get(id=reply.outbox_id)
    assert (row.channel, row.address, row.text.startswith("Бесплатно")) == ("email", "olya@example.com", True)


def test_no_staff_chat_configured_queues_nothing(api, tutor, settings):
    settings.SUPPORT_CHAT_ID = None
    api(tutor).post("/api/support", {"subject": "s", "message": "m"}, format="json")
    assert not Outbox.objects.exists()


def test_a_blank_reply_is_not_stored(staff_user, tutor):
    message = SupportMessage.objects.create(user=tutor.user, subject="s", message="m")
    assert admin_reply(staff_user, message, "   ").status_code == 302
    assert not SupportReply.objects.exists()


def test_a_new_message_is_mailed_to_support_email_over_smtp(api, tutor, settings):
    from botapp.tests.smtp_server import SmtpServer
    from botapp.tests.test_email_delivery import deliver, use_email_url

    server = SmtpServer().start()
    try:
        use_email_url(settings, f"smtp://127.0.0.1:{server.port}")
        settings.SUPPORT_EMAIL = "support@example.com"
        r = api(tutor).post("/api/support", {"subject": "Оплата", "message": "Не прошла <оплата>"}, format="json")
        assert r.status_code == 201
        row = Outbox.objects.get(channel="email")
        assert row.address == "support@example.com" and row.status == "pending"
        deliver()
        mail = server.inbox.last()
        assert mail["To"] == "support@example.com" and "Оплата" in mail["Subject"]
        body = mail.get_body(preferencelist=("plain",)).get_content()
        assert "Не прошла <оплата>" in body and "Анна Петрова" in body
        row.refresh_from_db()
        assert row.status == "sent"
    finally:
        server.stop()


def test_a_reply_to_a_max_only_user_goes_to_max(staff_user, db):
    from accounts.tests.factories import UserFactory

    user = UserFactory(telegram_id=None, max_id=777000111)
    message = SupportMessage.objects.create(user=user, subject="s", message="m")
    assert admin_reply(staff_user, message, "Ответ").status_code == 302
    reply = SupportReply.objects.get()
    row = Outbox.objects.get(id=reply.outbox_id)
    assert (reply.channel, row.channel, row.address) == ("max", "max", "777000111")


def test_a_landing_contact_that_is_not_an_address_gets_no_message(api, staff_user):
    api().post("/api/support/landing-message", {"name": "Оля", "contact": "+7 900 000", "message": "?"}, format="json")
    assert admin_reply(staff_user, SupportMessage.objects.get(), "Ответ").status_code == 302
    reply = SupportReply.objects.get()
    assert reply.channel == "none" and reply.outbox_id is None
