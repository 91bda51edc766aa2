"""N workers never send a message twice (PostgreSQL: SKIP LOCKED claims, unique dedupe keys)."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from botapp.models import EventType, Outbox
from botapp.worker import Worker

from .conftest import notifications_on


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_produce_and_send_each_reminder_exactly_once(fake_tg, tutor, make_student, make_lesson):
    students = [make_student(f"P{i}", "Параллельный", teacher=tutor) for i in range(20)]
    notifications_on(tutor, *students)
    now = timezone.now()
    for i, s in enumerate(students):
        make_lesson(tutor, [s], start=now + timedelta(minutes=5 + i))
    fake_tg.latency = 0.005
    barrier = threading.Barrier(3)
    errors = []

    def run(name):
        worker = Worker(name=name, rate=1000, chat_interval=0, batch_size=7)
        try:
            barrier.wait()
            for _ in range(6):
                worker.run_once(periodic=True)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))
        finally:
            worker.close()
            connection.close()

    threads = [threading.Thread(target=run, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    per_chat = Counter(c.chat_id for c in fake_tg.sent())
    leftovers = list(Outbox.objects.exclude(status="sent").values_list("chat_id", "status", "last_error"))
    assert per_chat == Counter({s.user.telegram_id: 1 for s in students}), leftovers
    assert per_chat == Counter({s.user.telegram_id: 1 for s in students})
    rows = Outbox.objects.filter(event_type=EventType.LESSON_REMINDER)
    assert rows.count() == 20 and set(rows.values_list("status", flat=True)) == {"sent"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_overlap(fake_tg, make_student):
    students = [make_student(f"C{i}", "X") for i in range(60)]
    for s in students:
        Outbox.objects.create(
            event_type=EventType.WELCOME,
            dedupe_key=f"c:{s.user.pk}",
            recipient=s.user,
            chat_id=s.user.telegram_id,
            text="hi",
            next_attempt_at=timezone.now(),
        )
    claimed: dict[str, list[int]] = {}
    barrier = threading.Barrier(4)

    def run(name):
        worker = Worker(name=name, batch_size=10)
        try:
            barrier.wait()
            ids = []
            while rows := worker.claim():
                ids += [r.id for r in rows]
            claimed[name] = ids
        finally:
            worker.close()
            connection.close()

    threads = [threading.Thread(target=run, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    all_ids = [i for ids in claimed.values() for i in ids]
    assert len(all_ids) == len(set(all_ids)) == 60


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_together_stay_within_the_global_send_rate(fake_tg, make_student, settings):
    """Each worker alone would send its 10 rows at 20/s in ~0.45 s; sharing one schedule (Redis), the 20 rows
    of both take at least 19 slots of 1/20 s."""
    students = [make_student(f"G{i}", "Глобальный") for i in range(20)]
    for s in students:
        Outbox.objects.create(
            event_type=EventType.WELCOME,
            dedupe_key=f"g:{s.user.pk}",
            recipient=s.user,
            chat_id=s.user.telegram_id,
            text="hi",
            next_attempt_at=timezone.now(),
        )
    barrier = threading.Barrier(2)
    sent: dict[str, int] = {}
    errors = []

    def run(name):
        worker = Worker(name=name, rate=20, chat_interval=0, batch_size=10)
        assert worker.slots.shared_across_processes == bool(settings.REDIS_URL)
        try:
            barrier.wait()
            sent[name] = worker.run_once(periodic=False).sent
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))
        finally:
            worker.close()
            connection.close()

    threads = [threading.Thread(target=run, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sent == {"w0": 10, "w1": 10}
    times = sorted(c.at for c in fake_tg.sent())
    assert len(times) == 20
    # Shared: 20 slots of 50 ms, ~0.95 s from first to last send and at most ~5 sends in any 0.25 s. Two private
    # schedules would send both workers' rows side by side: ~0.45 s and ~10 per 0.25 s. (Margins absorb the
    # time between a slot and the fake server reading the request on a busy machine.)
    assert times[-1] - times[0] >= 19 / 20 * 0.7
    assert max(sum(1 for t in times if start <= t < start + 0.25) for start in times) <= 7
