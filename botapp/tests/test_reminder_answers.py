"""Reminders answered with one tap: "✅ Приду" / "❌ Не смогу" (issue 16, item 4)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from botapp import texts
from botapp.models import EventType, Outbox, ReminderAnswer
from botapp.services import producers
from lessons.models import Lesson, LessonStudent, WaitlistEntry
from subscriptions.models import Subscription

from .conftest import callback_update, notifications_on

pytestmark = pytest.mark.django_db


def reminder_buttons(user) -> dict[str, str]:
    """{button text: callback data} of the reminder queued for `user`."""
    row = Outbox.objects.get(event_type=EventType.LESSON_REMINDER, recipient=user.user)
    return {b["text"]: b.get("callback_data") for line in row.reply_markup["inline_keyboard"] for b in line}


def remind(now=None) -> int:
    return producers.reminders_enqueue(now=now or timezone.now())


def policy(tutor, **fields):
    for k, v in fields.items():
        setattr(tutor.profile, k, v)
    tutor.profile.save()


def last_alert(fake_tg) -> str:
    answer = fake_tg.methods("answerCallbackQuery")[-1]
    assert answer.params.get("show_alert") in (True, "true", "True")
    return answer.params["text"]


@pytest.fixture
def soon(make_lesson, tutor, student):
    notifications_on(student)
    return make_lesson(tutor, [student], start=timezone.now() + timedelta(minutes=30))


def test_a_reminder_carries_opaque_single_use_buttons(soon, student):
    assert remind() == 1
    buttons = reminder_buttons(student)
    come, cant = buttons[texts.BTN_COME], buttons[texts.BTN_CANT]
    for data in (come, cant):
        assert len(data.encode()) <= 64
        assert str(soon.id) not in data and str(student.profile.id) not in data
    assert come.split(":")[1] == cant.split(":")[1]
    assert ReminderAnswer.objects.get(pk=come.split(":")[1]).user_id == student.user.pk


def test_i_will_come_confirms_the_row_and_edits_the_reminder(post_update, fake_tg, soon, student):
    remind()
    post_update(callback_update(student, reminder_buttons(student)[texts.BTN_COME]))
    row = LessonStudent.objects.get(lesson=soon)
    assert row.confirmed_at is not None and row.attendance != "cancelled"
    [edit] = fake_tg.methods("editMessageText")
    assert "приду" in edit.params["text"] and not (edit.reply_markup or {}).get("inline_keyboard")


def test_pressing_twice_changes_nothing(post_update, fake_tg, soon, student):
    remind()
    buttons = reminder_buttons(student)
    post_update(callback_update(student, buttons[texts.BTN_COME]))
    first = LessonStudent.objects.get(lesson=soon).confirmed_at
    post_update(callback_update(student, buttons[texts.BTN_COME]))
    assert last_alert(fake_tg) == texts.ANSWER_USED
    post_update(callback_update(student, buttons[texts.BTN_CANT]))  # the other button of the same reminder
    assert last_alert(fake_tg) == texts.ANSWER_USED
    row = LessonStudent.objects.get(lesson=soon)
    assert row.confirmed_at == first and row.attendance != "cancelled"
    assert Lesson.objects.get(pk=soon.pk).status == "planned"
    assert len(fake_tg.methods("editMessageText")) == 1


def test_a_forwarded_reminder_pressed_by_someone_else_changes_nothing(
    post_update, fake_tg, soon, student, stranger_student, tutor
):
    remind()
    for who in (stranger_student, tutor):
        post_update(callback_update(who, reminder_buttons(student)[texts.BTN_CANT]))
        assert last_alert(fake_tg) == texts.ANSWER_NOT_YOURS
    row = LessonStudent.objects.get(lesson=soon)
    assert row.confirmed_at is None and row.attendance != "cancelled"
    assert ReminderAnswer.objects.get().used_at is None
    assert not fake_tg.methods("editMessageText")


@pytest.mark.parametrize("button", [texts.BTN_COME, texts.BTN_CANT])
def test_pressed_after_the_start_changes_nothing(post_update, fake_tg, soon, student, button):
    remind()
    Lesson.objects.filter(pk=soon.pk).update(start_at=timezone.now() - timedelta(minutes=1))
    post_update(callback_update(student, reminder_buttons(student)[button]))
    assert last_alert(fake_tg) == texts.ANSWER_TOO_LATE
    row = LessonStudent.objects.get(lesson=soon)
    assert row.confirmed_at is None and row.attendance != "cancelled" and row.cancel_outcome in ("", None)
    assert Lesson.objects.get(pk=soon.pk).status == "planned"


def test_pressed_for_a_deleted_lesson_says_so(post_update, fake_tg, soon, student):
    remind()
    buttons = reminder_buttons(student)
    Lesson.objects.filter(pk=soon.pk).delete()
    post_update(callback_update(student, buttons[texts.BTN_CANT]))
    assert last_alert(fake_tg) == texts.LESSON_GONE


def test_garbage_callback_data_is_answered_not_crashed(post_update, fake_tg, student):
    for data in ("r:", "r:short:c", "r:" + "A" * 22 + ":z", "r:" + "A" * 22 + ":c"):
        assert post_update(callback_update(student, data)).status_code == 200
        assert last_alert(fake_tg) == texts.ANSWER_STALE


def test_an_early_cant_come_cancels_free_at_once_and_tells_the_tutor(post_update, fake_tg, make_lesson, tutor, student):
    notifications_on(student, tutor)
    policy(tutor, cancel_cutoff_hours=2, late_cancel_policy="charge")
    lesson = make_lesson(tutor, [student], start=timezone.now() + timedelta(hours=5))
    LessonStudent.objects.filter(lesson=lesson).update(reminder_minutes_before=360)
    remind()
    post_update(callback_update(student, reminder_buttons(student)[texts.BTN_CANT]))
    lesson.refresh_from_db()
    assert lesson.status == "cancelled" and LessonStudent.objects.get(lesson=lesson).cancel_outcome == "free"
    assert "бесплатно" in fake_tg.methods("editMessageText")[-1].params["text"]
    assert Outbox.objects.filter(event_type=EventType.LESSON_CANCELLED, recipient=tutor.user).count() == 1


def test_a_lesson_moved_after_the_reminder_is_answered_on_its_current_time(post_update, fake_tg, soon, tutor, student):
    policy(tutor, cancel_cutoff_hours=24, late_cancel_policy="charge")
    remind()  # 30 minutes before: a cancel would be charged
    new_start = timezone.now() + timedelta(days=3)
    Lesson.objects.filter(pk=soon.pk).update(start_at=new_start)
    post_update(callback_update(student, reminder_buttons(student)[texts.BTN_CANT]))
    # Moved past the cutoff, so it is free — no confirmation asked, and the edit shows the new date.
    assert LessonStudent.objects.get(lesson=soon).cancel_outcome == "free"
    edit = fake_tg.methods("editMessageText")[-1]
    assert texts.fmt_date(new_start, student.user.timezone) in edit.params["text"]


def test_a_late_cant_come_under_credit_policy_credits_without_asking(post_update, fake_tg, soon, tutor, student):
    policy(tutor, cancel_cutoff_hours=24, late_cancel_policy="credit")
    remind()
    post_update(callback_update(student, reminder_buttons(student)[texts.BTN_CANT]))
    assert LessonStudent.objects.get(lesson=soon).cancel_outcome == "credited"
    assert "отработка" in fake_tg.methods("editMessageText")[-1].params["text"]


def test_a_costly_cancel_asks_first_and_the_confirming_tap_charges_the_package(
    post_update, fake_tg, make_lesson, make_student, tutor, student, parent
):
    notifications_on(student, tutor, parent)
    policy(tutor, cancel_cutoff_hours=24, late_cancel_policy="charge")
    waiting = make_student("Ольга", "Ждёт", teacher=tutor)
    notifications_on(waiting)
    other = make_student("Пётр", "Сидит", teacher=tutor)
    sub = Subscription.objects.create(teacher=tutor.profile, student=student.profile, type="lessons", total_lessons=5)
    lesson = make_lesson(tutor, [student, other], start=timezone.now() + timedelta(minutes=30), capacity=2)
    LessonStudent.objects.filter(lesson=lesson).update(payment_type="subscription")
    WaitlistEntry.objects.create(lesson=lesson, student=waiting.profile)
    remind()
    # The parent's copy answers for the child too, but the child answers here.
    post_update(callback_update(student, reminder_buttons(student)[texts.BTN_CANT]))
    edit = fake_tg.methods("editMessageText")[-1]
    assert "абонемента спишется" in edit.params["text"]
    confirm = {b["text"]: b["callback_data"] for line in edit.reply_markup["inline_keyboard"] for b in line}
    row = LessonStudent.objects.get(lesson=lesson, student=student.profile)
    assert row.attendance != "cancelled" and not WaitlistEntry.objects.filter(lesson=lesson).count() == 0
    post_update(callback_update(student, confirm[texts.BTN_CANT_CONFIRM]))
    row.refresh_from_db()
    sub.refresh_from_db()
    assert row.attendance == "cancelled" and row.cancel_outcome == "charged" and row.paid_from_subscription
    assert sub.used_lessons == 1
    assert "засчитано" in fake_tg.methods("editMessageText")[-1].params["text"]
    assert LessonStudent.objects.filter(lesson=lesson, student=waiting.profile).exists()
    assert Outbox.objects.filter(event_type=EventType.LESSON_CANCELLED, recipient=tutor.user).exists()
    post_update(callback_update(student, confirm[texts.BTN_CANT_CONFIRM]))  # replayed: nothing twice
    assert last_alert(fake_tg) == texts.ANSWER_USED
    sub.refresh_from_db()
    assert sub.used_lessons == 1


def test_a_parent_answers_for_the_child(post_update, fake_tg, soon, student, parent):
    notifications_on(parent)
    remind()
    post_update(callback_update(parent, reminder_buttons(parent)[texts.BTN_COME]))
    assert LessonStudent.objects.get(lesson=soon).confirmed_at is not None
    assert "Иван" in fake_tg.methods("editMessageText")[-1].params["text"]


def test_reminders_with_buttons_run_a_constant_number_of_queries(make_lesson, tutor, make_student):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queue(n: int) -> int:
        people = [make_student(f"S{n}{i}", teacher=tutor) for i in range(n)]
        notifications_on(*people)
        now = timezone.now()
        for p in people:
            make_lesson(tutor, [p], start=now + timedelta(minutes=30))
        with CaptureQueriesContext(connection) as ctx:
            assert remind(now) == n
        return len(ctx.captured_queries)

    one = queue(1)
    assert one <= 6 and queue(5) == one  # 1 reminder vs 5: the same queries (tokens are one INSERT)
