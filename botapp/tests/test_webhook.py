"""The webhook: secret check, body checks, always 200, /start and joins, tutor and student commands."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ParentStudentRelation, TeacherStudentLink
from botapp import texts
from botapp.models import EventType, Outbox
from lessons.models import LessonStudent

from .conftest import WEBHOOK_SECRET, message_update

pytestmark = pytest.mark.django_db


def replies(fake_tg, chat_id):
    return [c.text for c in fake_tg.sent(chat_id)]


def test_it_refuses_an_update_without_the_secret_token(post_update, fake_tg, tutor):
    assert post_update(message_update(tutor, "/start"), secret=None).status_code == 403
    assert post_update(message_update(tutor, "/start"), secret="wrong").status_code == 403
    assert fake_tg.sent() == []


def test_it_refuses_everything_when_no_webhook_secret_is_configured(post_update, fake_tg, settings, tutor):
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    assert post_update(message_update(tutor, "/start"), secret="").status_code == 403


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("not json", "application/json"),
        (json.dumps([1, 2]), "application/json"),
        (json.dumps({"message": {}}), "application/json"),
        ("update_id=1", "application/x-www-form-urlencoded"),
        ("[" * 1000 + "]" * 1000, "application/json"),
        ('{"update_id": 1, "message": {"text": "\\ud800"}}', "application/json"),
        ('{"update_id": 1, "message": {"text": "\\u0000"}}', "application/json"),
        ('{"update_id": 123456789012345678901234567890}', "application/json"),
    ],
)
def test_with_the_right_secret_it_answers_200_to_what_it_cannot_read_and_logs_it(
    post_update, fake_tg, caplog, body, content_type
):
    response = post_update(body, content_type=content_type)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "handled": False}
    assert any(r.name == "botapp.views" and "webhook: ignored" in r.getMessage() for r in caplog.records)
    assert fake_tg.sent() == []


def test_the_codec_bomb_with_the_right_secret_is_a_logged_200_and_never_inflated(fake_tg, caplog):
    import bz2

    from django.test import Client

    bomb = bz2.compress(b"[" + b" " * 100_000_000 + b"]")
    response = Client().generic(
        "POST",
        "/api/bot/webhook",
        bomb,
        content_type="application/json; charset=bz2_codec",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=WEBHOOK_SECRET,
    )
    assert response.status_code == 200
    assert any("webhook: ignored an unreadable update" in r.getMessage() for r in caplog.records)


def test_it_answers_200_even_when_the_handler_fails(post_update, fake_tg, tutor):
    fake_tg.fail(502, "Bad Gateway", times=5)
    response = post_update(message_update(tutor, "/start"))
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_it_answers_200_to_updates_it_does_not_handle(post_update, fake_tg, tutor):
    assert post_update({"update_id": 5, "edited_message": {"foo": 1}}).status_code == 200
    assert post_update(message_update(tutor, "hello")).status_code == 200
    assert fake_tg.sent() == []


def test_a_disabled_bot_accepts_updates_and_does_nothing(post_update, fake_tg, settings, tutor):
    settings.BOT_TOKEN = ""
    response = post_update(message_update(tutor, "/start"))
    assert response.status_code == 200
    assert fake_tg.methods() == []


def test_start_greets_by_escaped_name_with_a_web_app_button(post_update, fake_tg):
    post_update(message_update(555, "/start", first_name="<b>Хакер</b>"))
    [call] = fake_tg.sent(555)
    assert "&lt;b&gt;Хакер&lt;/b&gt;" in call.text
    assert "<b>Хакер</b>" not in call.text
    assert call.params["parse_mode"] == "HTML"
    button = call.reply_markup["inline_keyboard"][0][0]
    assert button["web_app"] == {"url": "https://app.example.com"}


def test_start_with_a_teacher_code_joins_from_the_chat(post_update, fake_tg, tutor):
    post_update(message_update(9001, f"/start {tutor.profile.referral_code}", first_name="Вася"))
    link = TeacherStudentLink.objects.get(teacher=tutor.profile)
    assert link.student.user.telegram_id == 9001
    [reply] = replies(fake_tg, 9001)
    assert "Анна Петрова" in reply and "ученик" in reply
    new_student = Outbox.objects.get(event_type=EventType.NEW_STUDENT)
    assert new_student.chat_id == tutor.user.telegram_id and "Вася" in new_student.text
    # The chat got the outcome as a reply: no extra welcome queued.
    assert not Outbox.objects.filter(event_type=EventType.WELCOME, status="pending").exists()


def test_start_with_a_teacher_code_twice_says_already_joined(post_update, fake_tg, tutor):
    post_update(message_update(9001, f"/start {tutor.profile.referral_code}"))
    post_update(message_update(9001, f"/start {tutor.profile.referral_code}"))
    assert "уже занимаетесь" in replies(fake_tg, 9001)[-1]
    assert Outbox.objects.filter(event_type=EventType.NEW_STUDENT).count() == 1


def test_start_with_a_parent_code_joins_as_parent(post_update, fake_tg, student, tutor):
    post_update(message_update(9002, f"/start {student.profile.parent_invite_code}"))
    relation = ParentStudentRelation.objects.get(student=student.profile)
    assert relation.parent.user.telegram_id == 9002 and relation.teacher == tutor.profile
    assert "Иван Иванов" in replies(fake_tg, 9002)[0]


@pytest.mark.parametrize(
    "code, expected",
    [("T_doesnotexist", "преподаватель не найден"), ("P_doesnotexist", "ученик не найден")],
)
def test_start_with_an_unknown_code_explains_the_problem(post_update, fake_tg, code, expected):
    post_update(message_update(9003, f"/start {code}"))
    assert expected in replies(fake_tg, 9003)[0]


def test_a_tutor_cannot_join_their_own_code_from_the_chat(post_update, fake_tg, tutor):
    post_update(message_update(tutor, f"/start {tutor.profile.referral_code}"))
    assert "собственная ссылка" in replies(fake_tg, tutor.user.telegram_id)[0]


def test_today_lists_the_tutors_lessons_in_the_tutors_time_zone(post_update, fake_tg, tutor, student, make_lesson):
    tutor.user.timezone = "Asia/Vladivostok"
    tutor.user.save()
    now = timezone.now()
    local_now = now.astimezone(texts.tz_of("Asia/Vladivostok"))
    start = local_now.replace(hour=23, minute=0, second=0, microsecond=0)
    make_lesson(tutor, [student], start=start, meeting_url="https://meet.example.com/a?b=1&c=2")
    make_lesson(tutor, [student], start=start + timedelta(days=1), subject="Физика")
    post_update(message_update(tutor, "/today"))
    [text] = replies(fake_tg, tutor.user.telegram_id)
    assert "23:00–00:00" in text and "Математика" in text and "Иван Иванов" in text
    assert "Физика" not in text
    assert 'href="https://meet.example.com/a?b=1&amp;c=2"' in text


def test_tomorrow_week_and_next(post_update, fake_tg, tutor, student, make_lesson):
    tz = texts.tz_of(tutor.user.timezone)
    tomorrow_noon = (timezone.now().astimezone(tz) + timedelta(days=1)).replace(hour=12, minute=0)
    make_lesson(tutor, [student], start=tomorrow_noon, subject="Химия")
    make_lesson(tutor, [student], start=tomorrow_noon + timedelta(days=3), subject="Биология")
    for command in ("/tomorrow", "/week", "/next"):
        post_update(message_update(tutor, command))
    tomorrow, week, nxt = replies(fake_tg, tutor.user.telegram_id)
    assert "Химия" in tomorrow and "Биология" not in tomorrow
    assert "Химия" in week and "Биология" in week
    assert "Ближайшее" in nxt and "Химия" in nxt


def test_debts_lists_who_owes_what_with_totals(post_update, fake_tg, tutor, student, make_student, make_lesson):
    other = make_student("Ольга", "Смирнова", teacher=tutor)
    past = timezone.now() - timedelta(days=2)
    for s, price in ((student, 1000), (student, 1500), (other, 700)):
        lesson = make_lesson(tutor, [s], start=past, status="done")
        LessonStudent.objects.filter(lesson=lesson).update(attendance="attended", price_rub=price)
    paid = make_lesson(tutor, [other], start=past, status="done")
    LessonStudent.objects.filter(lesson=paid).update(attendance="attended", payment_status="paid")
    post_update(message_update(tutor, "/debts"))
    [text] = replies(fake_tg, tutor.user.telegram_id)
    assert "Иван Иванов — <b>2 500 ₽</b> (2 зан.)" in text
    assert "Ольга Смирнова — <b>700 ₽</b> (1 зан.)" in text
    assert "Итого: <b>3 200 ₽</b>" in text


def test_debts_is_for_tutors_only(post_update, fake_tg, student):
    post_update(message_update(student, "/debts"))
    assert replies(fake_tg, student.user.telegram_id) == [texts.TEACHER_ONLY]


def test_a_student_sees_only_their_own_lessons(post_update, fake_tg, tutor, student, make_student, make_lesson):
    other = make_student("Ольга", "Смирнова", teacher=tutor)
    start = timezone.now() + timedelta(hours=1)
    make_lesson(tutor, [student], start=start, subject="Математика")
    make_lesson(tutor, [other], start=start + timedelta(minutes=5), subject="Секрет")
    post_update(message_update(student, "/week"))
    [text] = replies(fake_tg, student.user.telegram_id)
    assert "Математика" in text and "Секрет" not in text and "Анна Петрова" in text


def test_help_lists_tutor_commands_to_tutors(post_update, fake_tg, tutor, student):
    post_update(message_update(tutor, "/help"))
    post_update(message_update(student, "/help"))
    assert "/debts" in replies(fake_tg, tutor.user.telegram_id)[0]
    assert "/debts" not in replies(fake_tg, student.user.telegram_id)[0]


def test_an_unknown_telegram_user_is_invited_to_open_the_app(post_update, fake_tg):
    post_update(message_update(123456, "/today"))
    [call] = fake_tg.sent(123456)
    assert call.text == texts.UNKNOWN_USER
    assert call.reply_markup["inline_keyboard"][0][0]["web_app"]


def test_an_unknown_command_gets_a_hint(post_update, fake_tg, tutor):
    post_update(message_update(tutor, "/frobnicate"))
    assert replies(fake_tg, tutor.user.telegram_id) == [texts.UNKNOWN_COMMAND]


def test_commands_in_group_chats_are_ignored(post_update, fake_tg, tutor):
    post_update(message_update(tutor, "/today", chat_type="group"))
    assert fake_tg.sent() == []


def test_a_long_week_is_split_within_telegrams_limit(post_update, fake_tg, tutor, make_student, make_lesson):
    students = [make_student(f"Ученик{i}" * 3, "Длиннофамильный" * 2, teacher=tutor) for i in range(6)]
    start = timezone.now() + timedelta(hours=1)
    for i in range(60):
        make_lesson(tutor, students, start=start + timedelta(hours=2 * i), meeting_url="https://meet.example.com/x")
    post_update(message_update(tutor, "/week"))
    texts_sent = replies(fake_tg, tutor.user.telegram_id)
    assert len(texts_sent) > 1
    assert all(len(t) <= 4096 for t in texts_sent)
    markups = [c.reply_markup for c in fake_tg.sent(tutor.user.telegram_id)]
    assert markups[-1] and not any(markups[:-1])


def test_the_week_command_runs_a_constant_number_of_queries(
    post_update, fake_tg, tutor, make_student, make_lesson, django_assert_max_num_queries
):
    student = make_student("Один", "Ученик", teacher=tutor)
    make_lesson(tutor, [student], start=timezone.now() + timedelta(hours=2))
    with django_assert_max_num_queries(4) as one:
        post_update(message_update(tutor, "/week"))
    many = [make_student(f"У{i}", "Ученик", teacher=tutor) for i in range(8)]
    for i in range(20):
        make_lesson(tutor, many, start=timezone.now() + timedelta(hours=3 + i))
    with django_assert_max_num_queries(len(one.captured_queries)):
        post_update(message_update(tutor, "/week"))


def test_start_clears_a_blocked_mark(post_update, fake_tg, tutor):
    from botapp.models import UserNotificationSettings

    UserNotificationSettings.objects.create(user=tutor.user, bot_blocked_at=timezone.now())
    post_update(message_update(tutor, "/start"))
    assert UserNotificationSettings.objects.get(user=tutor.user).bot_blocked_at is None


def test_secret_token_header_value_is_compared_exactly(post_update, fake_tg, tutor):
    assert post_update(message_update(tutor, "/help"), secret=WEBHOOK_SECRET + "x").status_code == 403
    assert post_update(message_update(tutor, "/help"), secret=WEBHOOK_SECRET).status_code == 200
