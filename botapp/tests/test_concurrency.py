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
