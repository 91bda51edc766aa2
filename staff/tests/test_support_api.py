"""/api/support: wire shape, validation, limits, throttling, honeypot, and what the user may see."""

import pytest

from staff.models import SupportMessage, SupportReply

pytestmark = pytest.mark.django_db


def test_user_sends_a_message_and_gets_its_id(api, tutor):
    r = api(tutor).post("/api/support", {"subject": "Не работает", "message": "Помогите"}, format="json")
    assert r.status_code == 201
    body = r.json()
    assert body["success"] is True and body["message"]
    row = SupportMessage.objects.get(pk=body["id"])
    assert (row.user_id, row.subject, row.status, row.source) == (tutor.user.pk, "Не работает", "new", "app")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"message": "x"}, "subject"),
        ({"subject": "x"}, "message"),
        ({"subject": "x" * 256, "message": "y"}, "subject"),
        ({"subject": "x", "message": "y" * 5001}, "message"),
        ({"subject": "", "message": "y"}, "subject"),
    ],
)
def test_missing_or_oversized_fields_are_400_and_store_nothing(api, tutor, body, field):
    r = api(tutor).post("/api/support", body, format="json")
    assert r.status_code == 400
    assert any(m.startswith(field) for m in r.json()["message"])
    assert not SupportMessage.objects.exists()


def test_a_message_of_exactly_5000_chars_is_accepted(api, tutor):
    assert api(tutor).post("/api/support", {"subject": "s", "message": "y" * 5000}, format="json").status_code == 201


def test_support_needs_a_token(api):
    assert api().post("/api/support", {"subject": "s", "message": "m"}, format="json").status_code == 401
    assert api().get("/api/support/my").status_code == 401


def test_my_messages_carry_only_message_fields_and_replies_never_user_rows_or_notes(api, tutor, student, staff_user):
    mine = SupportMessage.objects.create(user=tutor.user, subject="A", message="B", admin_notes="internal: VIP")
    SupportReply.objects.create(support_message=mine, author=staff_user, text="Исправили")
    SupportMessage.objects.create(user=student.user, subject="other", message="not yours")
    r = api(tutor).get("/api/support/my")
    assert r.status_code == 200
    [item] = r.json()
    assert set(item) == {"id", "subject", "message", "status", "createdAt", "updatedAt", "replies"}
    assert item["id"] == str(mine.pk)
    assert [x["message"] for x in item["replies"]] == ["Исправили"]
    assert set(item["replies"][0]) == {"id", "message", "createdAt"}
    assert "internal" not in r.content.decode()


def test_my_messages_run_a_constant_number_of_queries(api, tutor, staff_user, django_assert_max_num_queries):
    client = api(tutor)
    for i in range(5):
        m = SupportMessage.objects.create(user=tutor.user, subject=f"s{i}", message="m")
        SupportReply.objects.create(support_message=m, author=staff_user, text="r")
    with django_assert_max_num_queries(4):  # auth user + messages + replies
        r = client.get("/api/support/my")
    assert len(r.json()) == 5


def test_landing_message_is_stored_without_a_user(api):
    r = api().post(
        "/api/support/landing-message", {"name": "Оля", "contact": "@olya", "message": "Хочу"}, format="json"
    )
    assert r.status_code == 201 and r.json() == {"success": True, "message": "Сообщение отправлено"}
    row = SupportMessage.objects.get()
    assert (row.user_id, row.subject, row.source, row.contact) == (None, "[Лендинг] Оля (@olya)", "landing", "@olya")


def test_landing_honeypot_answers_as_sent_and_stores_nothing(api):
    r = api().post(
        "/api/support/landing-message", {"name": "bot", "message": "spam", "website": "http://x"}, format="json"
    )
    assert r.status_code == 201
    assert not SupportMessage.objects.exists()


def test_landing_form_50_times_from_one_ip_is_throttled(api, settings):
    settings.SUPPORT_LANDING_THROTTLE_RATE = "5/hour"
    client = api()
    codes = [
        client.post("/api/support/landing-message", {"name": "n", "message": f"m{i}"}, format="json").status_code
        for i in range(50)
    ]
    assert codes[:5] == [201] * 5 and set(codes[5:]) == {429}
    assert SupportMessage.objects.count() == 5
    other = api()
    assert (
        other.post("/api/support/landing-message", {"name": "n", "message": "m"}, format="json", REMOTE_ADDR="10.9.9.9")
    ).status_code == 201


def test_landing_oversized_and_missing_fields_are_400(api):
    client = api()
    assert client.post("/api/support/landing-message", {"message": "m"}, format="json").status_code == 400
    assert (
        client.post("/api/support/landing-message", {"name": "n" * 101, "message": "m"}, format="json").status_code
        == 400
    )
    assert (
        client.post("/api/support/landing-message", {"name": "n", "message": "m" * 5001}, format="json").status_code
        == 400
    )
    assert not SupportMessage.objects.exists()


def test_a_retried_support_post_with_the_same_idempotency_key_stores_one_message(api, tutor):
    from staff.models import SupportMessage

    client = api(tutor)
    body = {"subject": "Оплата", "message": "Не проходит оплата"}
    first = client.post("/api/support", body, format="json", HTTP_IDEMPOTENCY_KEY="support-retry-0001")
    again = client.post("/api/support", body, format="json", HTTP_IDEMPOTENCY_KEY="support-retry-0001")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert SupportMessage.objects.count() == 1
