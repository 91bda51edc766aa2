"""The money loop in the chat: balances after marking, the package-ending nudge, the waitlist seat, the tutor's
morning digest (issue 16, item 5), and the whole answered-reminder story end to end against the fake Bot API."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ParentStudentRelation
from botapp import texts
from botapp.models import EventType, Outbox
from botapp.services import marking, money
from lessons.models import LessonStudent, WaitlistEntry
from lessons.services.completion import lesson_complete
from lessons.services.waitlist import waitlist_promote
from subscriptions.models import Subscription

from .conftest import callback_update, notifications_on

pytestmark = pytest.mark.django_db


def rows(event_type, user=None):
    qs = Outbox.objects.filter(event_type=event_type)
    if user is not None:
        qs = qs.filter(recipient=user.user)
    return list(qs.order_by("id"))


def mark(tutor, lesson, *people, attendance="attended", **extra):
    payload = [{"student_id": p.profile.id, "attendance": attendance, **extra} for p in people]
    lesson_complete(teacher=tutor.profile, lesson_id=lesson.id, students=payload)


def past(make_lesson, tutor, people, hours=2, **fields):
    return make_lesson(tutor, people, start=timezone.now() - timedelta(hours=hours), **fields)


def test_marking_sends_the_student_and_parent_one_balance_message(make_lesson, tutor, student, parent):
    notifications_on(student, parent)
    Subscription.objects.create(teacher=tutor.profile, student=student.profile, type="lessons", total_lessons=5)
    lesson = past(make_lesson, tutor, [student])
    mark(tutor, lesson, student, use_subscription=True)
    [mine], [parents] = rows(EventType.LESSON_BALANCE, student), rows(EventType.LESSON_BALANCE, parent)
    assert "осталось: <b>4 занятия</b>" in mine.text and mine.status == "pending"
    assert "Иван" in parents.text and "4 занятия" in parents.text
    mark(tutor, lesson, student, attendance="missed")  # a re-mark: no second balance message
    assert len(rows(EventType.LESSON_BALANCE)) == 2


def test_the_debt_is_stated_in_rubles_and_lessons(make_lesson, tutor, student):
    notifications_on(student)
    for hours in (30, 20, 10):
        mark(tutor, past(make_lesson, tutor, [student], hours=hours), student, payment_status="unpaid")
    assert "долг: <b>4 500 ₽</b> за 3 занятия" in rows(EventType.LESSON_BALANCE, student)[-1].text


def test_a_muted_parent_relation_and_a_switched_off_toggle_are_respected(make_lesson, tutor, student, parent):
    notifications_on(student, lesson_balance_enabled=False)
    notifications_on(parent)
    ParentStudentRelation.objects.update(notifications_enabled=False)
    mark(tutor, past(make_lesson, tutor, [student]), student, payment_status="paid")
    [row] = rows(EventType.LESSON_BALANCE)
    assert row.recipient_id == student.user.pk and row.status == "skipped"


def test_one_lesson_left_nudges_student_parent_and_tutor_once(make_lesson, tutor, student, parent):
    notifications_on(student, parent, tutor)
    Subscription.objects.create(
        teacher=tutor.profile, student=student.profile, type="lessons", total_lessons=3, used_lessons=1
    )
    mark(tutor, past(make_lesson, tutor, [student], hours=5), student, use_subscription=True)
    assert {r.recipient_id for r in rows(EventType.PACKAGE_ENDING)} == {student.user.pk, parent.user.pk, tutor.user.pk}
    assert "Иван" in rows(EventType.PACKAGE_ENDING, tutor)[0].text
    mark(tutor, past(make_lesson, tutor, [student], hours=3), student, payment_status="unpaid")
    assert len(rows(EventType.PACKAGE_ENDING)) == 3


def test_balance_messages_run_a_constant_number_of_queries(make_lesson, make_student, tutor):
    def count(n: int) -> int:
        people = [make_student(f"B{n}{i}", teacher=tutor) for i in range(n)]
        notifications_on(*people)
        lesson = past(make_lesson, tutor, people)
        LessonStudent.objects.filter(lesson=lesson).update(attendance="attended")
        lesson.status = "done"
        lesson.save()
        with CaptureQueriesContext(connection) as ctx:
            assert money.notify_lesson_balances(lesson_ids=[lesson.id]) == n
        return len(ctx.captured_queries)

    assert count(1) == count(6)


def test_a_student_promoted_from_the_waitlist_is_told(make_lesson, make_student, tutor, student):
    waiting = make_student("Ольга", "Ждёт", teacher=tutor)
    notifications_on(waiting)
    lesson = make_lesson(tutor, [student], start=timezone.now() + timedelta(days=2), capacity=1)
    WaitlistEntry.objects.create(lesson=lesson, student=waiting.profile)
    lesson.capacity = 2
    lesson.save()
    waitlist_promote(lesson=lesson)
    [row] = rows(EventType.WAITLIST_PROMOTED, waiting)
    assert "Освободилось место" in row.text and row.status == "pending"
    [generic] = rows(EventType.LESSON_CREATED, waiting)
    assert generic.status == "skipped"


def test_the_morning_digest_goes_at_eight_in_the_tutors_zone_once(make_lesson, make_teacher, tutor, student):
    notifications_on(tutor)
    far = make_teacher("Юрий", "Владивосток", tz="Asia/Vladivostok")
    notifications_on(far)
    msk = ZoneInfo("Europe/Moscow")
    day = timezone.now().astimezone(msk).date() + timedelta(days=1)
    at = lambda h, m=0: datetime(day.year, day.month, day.day, h, m, tzinfo=msk)  # noqa: E731
    lesson = make_lesson(tutor, [student], start=at(15))
    LessonStudent.objects.filter(lesson=lesson).update(confirmed_at=timezone.now())
    mark(tutor, past(make_lesson, tutor, [student], hours=30), student, payment_status="unpaid")
    assert money.digests_enqueue(now=at(7, 59)) == 0
    assert money.digests_enqueue(now=at(8, 0)) == 1
    [row] = rows(EventType.MORNING_DIGEST, tutor)
    assert "15:00" in row.text and "✅ Иван Иванов" in row.text and "1 500 ₽ за 1 занятие" in row.text
    assert money.digests_enqueue(now=at(9, 30)) == 0  # once a day
    assert not rows(EventType.MORNING_DIGEST, far)  # 15:00 in Vladivostok
    assert money.digests_enqueue(now=at(13, 0)) == 0  # past noon: not sent late


def test_the_digest_runs_a_constant_number_of_queries(make_teacher, make_lesson, make_student):
    msk = ZoneInfo("Europe/Moscow")
    day = timezone.now().astimezone(msk).date() + timedelta(days=3)
    eight = datetime(day.year, day.month, day.day, 8, 5, tzinfo=msk)

    def count(n: int, base: int) -> int:
        for i in range(n):
            t = make_teacher(f"T{base}{i}")
            s = make_student(f"S{base}{i}", teacher=t)
            make_lesson(t, [s], start=eight + timedelta(days=base, hours=3))
        with CaptureQueriesContext(connection) as ctx:
            assert money.digests_enqueue(now=eight + timedelta(days=base)) >= n
        return len(ctx.captured_queries)

    assert count(1, 0) == count(5, 1)


def test_end_to_end_cant_come_charges_promotes_tells_the_tutor_and_the_parent(
    post_update, fake_tg, worker, make_lesson, make_student, tutor, student, parent
):
    notifications_on(student, parent, tutor)
    tutor.profile.cancel_cutoff_hours, tutor.profile.late_cancel_policy = 24, "charge"
    tutor.profile.save()
    other = make_student("Пётр", "Сидит", teacher=tutor)
    waiting = make_student("Ольга", "Ждёт", teacher=tutor)
    notifications_on(other, waiting)
    sub = Subscription.objects.create(teacher=tutor.profile, student=student.profile, type="lessons", total_lessons=5)
    lesson = make_lesson(tutor, [student, other], start=timezone.now() + timedelta(minutes=30), capacity=2)
    LessonStudent.objects.filter(lesson=lesson, student=student.profile).update(payment_type="subscription")
    WaitlistEntry.objects.create(lesson=lesson, student=waiting.profile)

    worker(chat_interval=0).run_once(periodic=True)  # the reminder goes out with its buttons
    [reminder] = fake_tg.sent(student.user.telegram_id)
    keys = {b["text"]: b.get("callback_data") for line in reminder.reply_markup["inline_keyboard"] for b in line}
    post_update(callback_update(student, keys[texts.BTN_CANT]))
    ask = fake_tg.methods("editMessageText")[-1]
    assert "абонемента спишется" in ask.params["text"]
    confirm = {b["text"]: b["callback_data"] for line in ask.reply_markup["inline_keyboard"] for b in line}
    post_update(callback_update(student, confirm[texts.BTN_CANT_CONFIRM]))
    sub.refresh_from_db()
    assert sub.used_lessons == 1 and "засчитано" in fake_tg.methods("editMessageText")[-1].params["text"]

    fake_tg.reset()
    worker(chat_interval=0).run_once(periodic=False)
    [seat] = fake_tg.sent(waiting.user.telegram_id)  # the seat message, not also a generic "new lesson"
    assert "Освободилось место" in seat.text
    assert any("Иван" in c.text and "не придёт" in c.text for c in fake_tg.sent(tutor.user.telegram_id))

    # The lesson happens; the tutor marks it from the prompt; the parent hears the child's balance.
    LessonStudent.objects.filter(lesson=lesson).update(reminder_minutes_before=None)
    lesson.start_at = timezone.now() - timedelta(hours=1)
    lesson.save(update_fields=["start_at"])
    post_update(callback_update(tutor, marking.mark_callback_data(lesson.id, other.profile.id, "p")))
    fake_tg.reset()
    worker(chat_interval=0).run_once(periodic=False)
    [balance] = [c for c in fake_tg.sent(parent.user.telegram_id) if "Баланс" in c.text]
    assert "Иван" in balance.text and "осталось: <b>4 занятия</b>" in balance.text
    assert len([c for c in fake_tg.sent(student.user.telegram_id) if "Баланс" in c.text]) == 1
