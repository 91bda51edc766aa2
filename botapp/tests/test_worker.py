"""The outbox worker: delivery, Telegram errors, rate limits, periodic jobs, SIGTERM, admin retry."""

import os
import signal
import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection  # noqa: F401 - read by the skipif conditions
from django.utils import timezone

from botapp.models import EventType, Outbox, PeriodicJobRun, UserNotificationSettings
from botapp.services import outbox, producers, welcomes
from botapp.worker import BACKOFF_SECONDS, IterationStats
from lessons.models import Lesson, ViewStamp

from .conftest import notifications_on

pytestmark = pytest.mark.django_db


def queue(user, text="Привет", key=None, event_type=EventType.WELCOME, **fields):
    user = getattr(user, "user", user)
    return Outbox.objects.create(
        event_type=event_type,
        dedupe_key=key or f"test:{user.pk}:{text}:{Outbox.objects.count()}",
        recipient=user,
        chat_id=user.telegram_id,
        text=text,
        reply_markup={"inline_keyboard": [[{"text": "Открыть", "web_app": {"url": "https://app.example.com"}}]]},
        next_attempt_at=fields.pop("next_attempt_at", timezone.now()),
        **fields,
    )


def test_it_sends_due_rows_and_records_them_as_sent(worker, fake_tg, tutor, student):
    a = queue(tutor, "<b>Один</b>")
    b = queue(student, "Два")
    later = queue(student, "Потом", next_attempt_at=timezone.now() + timedelta(hours=1))
    stats = worker().run_once(periodic=False)
    assert (stats.claimed, stats.sent) == (2, 2)
    a.refresh_from_db()
    assert a.status == "sent" and a.sent_at and a.telegram_message_id and a.attempts == 1
    call = fake_tg.sent(tutor.user.telegram_id)[0]
    assert call.text == "<b>Один</b>" and call.params["parse_mode"] == "HTML"
    assert call.reply_markup["inline_keyboard"][0][0]["web_app"]["url"] == "https://app.example.com"
    b.refresh_from_db()
    later.refresh_from_db()
    assert b.status == "sent" and later.status == "pending"


def test_retry_after_reschedules_without_counting_an_attempt(worker, fake_tg, tutor):
    fake_tg.fail(429, "Too Many Requests: retry after 17", retry_after=17)
    row = queue(tutor)
    worker().run_once(periodic=False)
    row.refresh_from_db()
    assert row.status == "pending" and row.attempts == 0 and "429" in row.last_error
    assert row.next_attempt_at >= timezone.now() + timedelta(seconds=15)


@pytest.mark.parametrize(
    "status, description",
    [(403, "Forbidden: bot was blocked by the user"), (400, "Bad Request: chat not found")],
)
def test_an_unreachable_chat_fails_the_row_and_switches_the_users_notifications_off(
    worker, fake_tg, student, status, description
):
    notifications_on(student)
    fake_tg.fail(status, description)
    row = queue(student, "first")
    other = queue(student, "second", next_attempt_at=timezone.now() + timedelta(minutes=5))
    worker().run_once(periodic=False)
    row.refresh_from_db()
    other.refresh_from_db()
    assert row.status == "failed" and str(status) in row.last_error
    assert other.status == "skipped"
    settings_row = UserNotificationSettings.objects.get(user=student.user)
    assert not settings_row.notifications_enabled and settings_row.bot_blocked_at
    # Later messages to that user are not even queued as pending.
    welcomes.notify_user_registered(user_id=student.user.pk, role="student")
    assert not Outbox.objects.filter(status="pending").exists()


def test_a_malformed_message_fails_without_muting_the_user(worker, fake_tg, student):
    notifications_on(student)
    fake_tg.fail(400, "Bad Request: can't parse entities")
    row = queue(student)
    worker().run_once(periodic=False)
    row.refresh_from_db()
    assert row.status == "failed"
    assert UserNotificationSettings.objects.get(user=student.user).notifications_enabled


def test_network_errors_retry_with_backoff_then_fail(worker, fake_tg, tutor):
    fake_tg.fail(502, "Bad Gateway", times=100)
    row = queue(tutor)
    w = worker(chat_interval=0)
    for attempt in range(1, len(BACKOFF_SECONDS) + 1):
        Outbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        w.run_once(periodic=False)
        row.refresh_from_db()
        assert row.attempts == attempt
        if attempt < len(BACKOFF_SECONDS):
            assert row.status == "pending"
            assert row.next_attempt_at >= timezone.now() + timedelta(seconds=BACKOFF_SECONDS[attempt - 1] - 2)
    assert row.status == "failed" and "Bad Gateway" in row.last_error


def test_a_bot_api_that_is_down_at_start_is_retried(worker, fake_tg, tutor):
    fake_tg.fail(502, "Bad Gateway", method="getMe")
    row = queue(tutor)
    w = worker(chat_interval=0)
    w.run_once(periodic=False)
    row.refresh_from_db()
    assert row.status == "pending" and row.attempts == 1
    Outbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    w.run_once(periodic=False)
    row.refresh_from_db()
    assert row.status == "sent"


def test_one_message_per_chat_per_second(worker, fake_tg, tutor):
    rows = [queue(tutor, f"m{i}") for i in range(3)]
    w = worker()
    stats = w.run_once(periodic=False)
    assert (stats.sent, stats.deferred) == (1, 2)
    deferred = Outbox.objects.filter(pk__in=[r.pk for r in rows], status="pending").order_by("next_attempt_at")
    gaps = [(r.next_attempt_at - timezone.now()).total_seconds() for r in deferred]
    assert 0 < gaps[0] <= 1.1 and 1 < gaps[1] <= 2.1
    assert all(r.attempts == 0 for r in deferred)


def test_the_per_chat_limit_holds_across_workers(worker, fake_tg, tutor):
    queue(tutor, "a")
    worker(name="w1").run_once(periodic=False)
    queue(tutor, "b")
    stats = worker(name="w2").run_once(periodic=False)
    assert (stats.sent, stats.deferred) == (0, 1)


def test_the_global_rate_is_held(worker, fake_tg, make_student):
    students = [make_student(f"R{i}", "X") for i in range(11)]
    for s in students:
        queue(s)
    started = time.monotonic()
    worker(rate=20).run_once(periodic=False)
    times = sorted(c.at for c in fake_tg.sent())
    assert len(times) == 11
    # The 11th send starts no earlier than 10 slots of 1/20 s after the first (measured from before the run,
    # so a slow first connection cannot shrink the span).
    assert times[-1] - started >= 10 / 20 * 0.95


def test_send_slots_are_one_schedule_for_every_limiter_sharing_the_cache():
    """Two limiters (as two workers would hold) reserving at once never get overlapping slots: on Redis the
    schedule lives in Redis (one clock, one Lua script); on the embedded default in the locmem cache."""
    from botapp.ratelimit import SendSlots

    rate = 20.0
    barrier = threading.Barrier(2)
    slots: list[float] = []
    lock = threading.Lock()

    def reserve_in_turns():
        limiter = SendSlots(rate)
        barrier.wait()
        for _ in range(5):
            start = time.monotonic() + limiter.reserve(4)
            with lock:
                slots.extend(start + i / rate for i in range(4))

    threads = [threading.Thread(target=reserve_in_turns) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    slots.sort()
    assert len(slots) == 40
    gaps = [b - a for a, b in zip(slots, slots[1:], strict=False)]
    # Never two sends in one slot (a per-process schedule would start both at "now": gaps of ~0); the margin
    # only absorbs the time between the reservation and reading the clock here.
    assert min(gaps) >= 0.5 / rate, gaps
    assert slots[-1] - slots[0] >= 39 / rate * 0.95


def test_a_reminder_whose_lesson_changed_meanwhile_is_skipped(worker, fake_tg, tutor, student, make_lesson):
    notifications_on(student)
    now = timezone.now()
    lesson = make_lesson(tutor, [student], start=now + timedelta(minutes=20))
    producers.reminders_enqueue(now=now)
    lesson.status = "cancelled"
    lesson.save()
    stats = worker().run_once(periodic=False)
    assert stats.skipped == 1 and fake_tg.sent() == []


def test_rows_of_deleted_users_are_skipped(worker, fake_tg, tutor):
    row = queue(tutor)
    tutor.user.deleted_at = timezone.now()
    tutor.user.save()
    worker().run_once(periodic=False)
    row.refresh_from_db()
    assert row.status == "skipped" and fake_tg.sent() == []


def test_rows_left_sending_by_a_dead_worker_are_failed_not_resent(worker, fake_tg, tutor):
    row = queue(tutor, status="sending", claimed_at=timezone.now() - timedelta(hours=1))
    worker().run_once(periodic=False)
    row.refresh_from_db()
    assert row.status == "failed" and fake_tg.sent() == []


def test_periodic_jobs_produce_and_deliver_reminders_and_prompts(worker, fake_tg, tutor, student, make_lesson):
    notifications_on(tutor, student)
    now = timezone.now()
    make_lesson(tutor, [student], start=now + timedelta(minutes=10))
    make_lesson(tutor, [student], start=now - timedelta(minutes=90), minutes=60)
    stats = worker().run_once(periodic=True)
    assert {"reminders", "prompts", "prune_outbox"} <= set(stats.jobs)
    assert stats.produced == 2
    assert [c.text.split("\n")[0] for c in fake_tg.sent(student.user.telegram_id)] == [
        "⏰ <b>Напоминание</b>: занятие через 1 час"
    ]
    [prompt] = fake_tg.sent(tutor.user.telegram_id)
    assert "Как прошло занятие" in prompt.text and prompt.reply_markup["inline_keyboard"]


def test_daily_jobs_run_once_a_day_across_workers(worker, fake_tg):
    calls = []
    w1, w2 = worker(name="w1"), worker(name="w2")
    assert w1.run_daily("demo", "2025-01-15", lambda: calls.append(1), IterationStats())
    assert not w2.run_daily("demo", "2025-01-15", lambda: calls.append(2), IterationStats())
    assert calls == [1]
    run = PeriodicJobRun.objects.get(job="demo")
    assert run.claimed_by == "w1" and run.finished_at


def test_the_daily_purge_of_archived_links_is_called(worker, fake_tg):
    stats = worker().run_once(periodic=True)
    assert "purge_archived" in stats.jobs
    assert PeriodicJobRun.objects.filter(job="purge_archived").count() == 1


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="view stamps are kept by PostgreSQL triggers")
def test_every_periodic_tick_compacts_the_view_stamps_to_one_row_per_profile(worker, fake_tg, tutor):
    for minutes in (30, 45, 60):
        Lesson.objects.create(teacher=tutor.profile, start_at=timezone.now(), duration_minutes=minutes)
    assert ViewStamp.objects.filter(profile_id=tutor.id).count() == 3
    stats = worker().run_once(periodic=True)
    assert "compact_view_stamps" in stats.jobs
    assert ViewStamp.objects.filter(profile_id=tutor.id).count() == 1


def test_pruning_deletes_old_sent_rows_only(tutor):
    old_sent = queue(tutor, "a", status="sent")
    old_failed = queue(tutor, "b", status="failed")
    fresh = queue(tutor, "c", status="sent")
    Outbox.objects.filter(pk__in=[old_sent.pk, old_failed.pk]).update(created_at=timezone.now() - timedelta(days=40))
    assert outbox.outbox_prune() == 1
    assert set(Outbox.objects.values_list("pk", flat=True)) == {old_failed.pk, fresh.pk}


def test_failed_rows_can_be_retried_from_the_admin(client, fake_tg, tutor):
    from accounts.models import User

    admin = User.objects.create_superuser("staff@example.com", "pw-for-tests-123")
    client.force_login(admin)
    row = queue(tutor, status="failed", attempts=5, last_error="boom")
    assert client.get("/admin/botapp/outbox/?status__exact=failed").status_code == 200
    response = client.post("/admin/botapp/outbox/", {"action": "retry", "_selected_action": [row.pk]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == "pending" and row.attempts == 0 and row.last_error == ""


def test_run_worker_once_prints_a_summary(fake_tg, tutor):
    queue(tutor)
    out = StringIO()
    call_command("run_worker", "--once", stdout=out)
    assert "claimed=1 sent=1" in out.getvalue()


def test_run_worker_stops_cleanly_on_sigterm(fake_tg, tutor):
    queue(tutor)
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGTERM))
    timer.start()
    out = StringIO()
    try:
        call_command("run_worker", "--idle-sleep", "0.05", stdout=out)
    finally:
        timer.cancel()
    assert "worker stopped" in out.getvalue()
    assert Outbox.objects.get().status == "sent"
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None) or callable(signal.getsignal(signal.SIGTERM))


def test_without_a_bot_token_the_worker_still_runs_the_housekeeping_jobs_and_sends_nothing(settings, tutor, student):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import TeacherStudentLink
    from botapp.models import PeriodicJobRun

    settings.BOT_TOKEN = ""
    TeacherStudentLink.objects.filter(teacher=tutor.profile).update(archived_at=timezone.now() - timedelta(days=8))
    pending = Outbox.objects.create(
        event_type="welcome",
        chat_id=1,
        recipient=tutor.user,
        dedupe_key="housekeeping-test",
        text="x",
        next_attempt_at=timezone.now(),
    )
    err = StringIO()
    call_command("run_worker", "--once", stderr=err, stdout=StringIO())
    assert "BOT_TOKEN is not set" in err.getvalue()
    assert not TeacherStudentLink.objects.filter(teacher=tutor.profile).exists()  # purge_archived ran
    jobs = set(PeriodicJobRun.objects.values_list("job", flat=True))
    assert jobs == {
        "prune_outbox",
        "purge_archived",
        "prune_staff_logs",
        "purge_pending_signups",
        "lapse_makeup_credits",
    }
    pending.refresh_from_db()
    assert pending.status == "pending"  # nothing claimed, nothing sent


def test_rows_of_another_channel_go_to_their_own_sender_and_need_an_address(worker, fake_tg, student):
    from django.core import mail
    from django.db import IntegrityError, transaction

    email = Outbox.objects.create(
        channel=Outbox.Channel.EMAIL,
        event_type=EventType.WELCOME,
        dedupe_key="email:welcome",
        recipient=student.user,
        address="ivan@example.com",
        text="Добро пожаловать",
        next_attempt_at=timezone.now(),
    )
    telegram = queue(student, "Привет")
    stats = worker().run_once(periodic=False)
    assert (stats.claimed, stats.sent) == (2, 2)
    email.refresh_from_db()
    telegram.refresh_from_db()
    assert email.status == "sent" and telegram.status == "sent"
    assert [c.chat_id for c in fake_tg.sent()] == [student.user.telegram_id]  # the e-mail row never went to Telegram
    assert [(m.to, m.body) for m in mail.outbox] == [(["ivan@example.com"], "Добро пожаловать")]
    for bad in ({"channel": "telegram", "chat_id": None}, {"channel": "max", "address": ""}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Outbox.objects.create(
                event_type=EventType.TEST, dedupe_key=f"bad:{bad}", text="x", next_attempt_at=timezone.now(), **bad
            )
