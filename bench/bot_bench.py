"""Bot benchmark (issue 6 "Speed"): webhook handling through daphne and worker throughput, against the fake
Bot API on 127.0.0.1 (botapp/tests/fake_telegram.py). Nothing reaches the internet.

    .venv/bin/python bench/bot_bench.py

Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/tutorcal_bench_bot, created if missing),
BENCH_REDIS_URL (default redis://127.0.0.1:6379/6, "" for the local-memory cache), BENCH_PORT (8766),
BENCH_UPDATES (200 per command), BENCH_MESSAGES (250 for the worker run).

1. Starts daphne (DJANGO_DEBUG=False) with TELEGRAM_API_BASE_URL pointing at the fake Bot API and posts
   `/start` and `/today` updates (tutor with 8 lessons today, 3 students each) one at a time: median / p95
   of the full webhook round trip (secret check, PTB Application, DB work, the sendMessage call to the fake API).
2. Queues BENCH_MESSAGES outbox rows to distinct chats and runs the worker at the production rate
   (BOT_SEND_RATE=25/s, 1 msg/s per chat): messages/s achieved and the busiest 1-second window; then the same
   with the rate limit lifted to show the headroom; then 5 messages to ONE chat to show the per-chat spacing.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from _harness import ensure_database, pct  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tutorcal_bench_bot")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
PORT = int(os.environ.get("BENCH_PORT", "8766"))
UPDATES = int(os.environ.get("BENCH_UPDATES", "200"))
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "250"))
TOKEN = "424242:BENCH-token-not-real"
WEBHOOK_SECRET = "bench-webhook-secret-not-for-production"

os.environ.update(
    {
        "DATABASE_URL": DB_URL,
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": "botbench",
        "CHANNEL_PREFIX": "botbench",
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "BOT_ADMIN_SECRET": "bench-admin-secret-not-for-production",
        "DJANGO_SETTINGS_MODULE": "tutorcal.settings",
        "LOG_LEVEL": "WARNING",
    }
)


def main() -> None:
    ensure_database(DB_URL)
    from botapp.tests.fake_telegram import FakeTelegram

    fake = FakeTelegram(TOKEN).start()
    os.environ["TELEGRAM_API_BASE_URL"] = fake.base_url

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from accounts.models import StudentProfile, TeacherProfile, TeacherStudentLink, User
    from botapp.models import Outbox
    from lessons.models import Lesson, LessonStudent, Subject

    # ---- seed -----------------------------------------------------------------------------------------
    Outbox.objects.filter(dedupe_key__startswith="bench:").delete()
    User.objects.filter(telegram_id__gte=9_000_000, telegram_id__lt=9_100_000).delete()
    tutor_user = User.objects.create_user(telegram_id=9_000_001, first_name="Бенч", last_name="Тьютор")
    tutor = TeacherProfile.objects.create(user=tutor_user, display_name="Бенч Тьютор")
    subject = Subject.objects.create(teacher=tutor, name="Математика", code="math", color_hex="#336699")
    students = []
    for i in range(24):
        u = User.objects.create_user(telegram_id=9_000_100 + i, first_name=f"Ученик{i}", last_name="Бенч")
        s = StudentProfile.objects.create(user=u)
        TeacherStudentLink.objects.create(teacher=tutor, student=s)
        students.append(s)
    from botapp.texts import tz_of

    local_now = timezone.now().astimezone(tz_of(tutor_user.timezone))
    day_start = local_now.replace(hour=8, minute=0, second=0, microsecond=0)
    for i in range(8):
        lesson = Lesson.objects.create(
            teacher=tutor, subject=subject, start_at=day_start + timedelta(hours=i + 1), duration_minutes=60
        )
        for s in students[i * 3 : i * 3 + 3]:
            LessonStudent.objects.create(lesson=lesson, student=s, price_rub=1500)

    # ---- 1. webhook through daphne ------------------------------------------------------------------------
    env = dict(
        os.environ,
        DJANGO_DEBUG="False",
        DJANGO_SECRET_KEY="bench-secret-key-" + "x" * 40,
        JWT_SECRET="bench-jwt-secret-" + "y" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="False",
        LOG_LEVEL="WARNING",
    )
    daphne = subprocess.Popen(
        [str(ROOT / ".venv/bin/daphne"), "-b", "127.0.0.1", "-p", str(PORT), "tutorcal.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/api/health/live")
                break
            except OSError:
                time.sleep(0.1)
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        update_id = iter(range(1, 10**9))

        def post(text: str) -> float:
            body = json.dumps(
                {
                    "update_id": next(update_id),
                    "message": {
                        "message_id": 1,
                        "date": int(time.time()),
                        "chat": {"id": tutor_user.telegram_id, "type": "private"},
                        "from": {"id": tutor_user.telegram_id, "is_bot": False, "first_name": "Бенч"},
                        "text": text,
                        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
                    },
                }
            )
            headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            t0 = time.perf_counter()
            conn.request("POST", "/api/bot/webhook", body, headers)
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - t0
            assert response.status == 200, response.status
            return elapsed * 1000

        results = {}
        for command in ("/start", "/today"):
            for _ in range(20):
                post(command)  # warm-up (first one initialises the Application)
            fake.reset()
            timings = [post(command) for _ in range(UPDATES)]
            replies = len(fake.sent(tutor_user.telegram_id))
            assert replies == UPDATES, f"{command}: {replies} replies for {UPDATES} updates"
            results[command] = (statistics.median(timings), pct(timings, 0.95))
    finally:
        daphne.terminate()
        daphne.wait(10)

    # ---- 2. worker throughput -------------------------------------------------------------------------
    from botapp.worker import Worker

    def queue(n: int, same_chat: bool = False) -> None:
        now = timezone.now()
        Outbox.objects.bulk_create(
            [
                Outbox(
                    event_type="test",
                    dedupe_key=f"bench:{time.time_ns()}:{i}",
                    recipient=tutor_user,
                    chat_id=tutor_user.telegram_id if same_chat else 8_000_000 + i,
                    text=f"Сообщение {i}",
                    next_attempt_at=now,
                )
                for i in range(n)
            ]
        )

    def drain(worker: Worker, n: int) -> float:
        fake.reset()
        t0 = time.perf_counter()
        while len(fake.sent()) < n:
            if not worker.run_once(periodic=False).claimed:
                time.sleep(0.02)
            if time.perf_counter() - t0 > 600:
                raise RuntimeError("worker did not drain")
        return time.perf_counter() - t0

    def busiest_second() -> int:
        times = sorted(c.at for c in fake.sent())
        best, j = 0, 0
        for i, t in enumerate(times):
            while times[j] < t - 1.0:
                j += 1
            best = max(best, i - j + 1)
        return best

    Outbox.objects.filter(dedupe_key__startswith="bench:").delete()
    queue(MESSAGES)
    worker = Worker(name="bench", rate=25.0, chat_interval=1.0)
    limited = drain(worker, MESSAGES)
    limited_peak = busiest_second()
    worker.close()

    Outbox.objects.filter(dedupe_key__startswith="bench:").delete()
    queue(MESSAGES)
    worker = Worker(name="bench-unlimited", rate=100000.0, chat_interval=0, batch_size=200, concurrency=32)
    unlimited = drain(worker, MESSAGES)
    worker.close()

    Outbox.objects.filter(dedupe_key__startswith="bench:").delete()
    from django.core.cache import cache

    cache.delete(f"botapp:chat:{tutor_user.telegram_id}")
    queue(5, same_chat=True)
    worker = Worker(name="bench-chat", rate=25.0, chat_interval=1.0, idle_sleep=0.05)
    drain(worker, 5)
    stamps = sorted(c.at for c in fake.sent())
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    worker.close()
    Outbox.objects.filter(dedupe_key__startswith="bench:").delete()
    fake.stop()

    print(f"database: {DB_URL.split('@')[-1]}  cache: {'redis' if REDIS_URL else 'locmem'}")
    for command, (median, p95) in results.items():
        print(f"webhook {command:7s} median {median:6.1f} ms   p95 {p95:6.1f} ms   ({UPDATES} updates via daphne)")
    print(
        f"worker at BOT_SEND_RATE=25: {MESSAGES / limited:5.1f} msg/s over {limited:.1f} s, "
        f"busiest 1-s window {limited_peak} messages"
    )
    print(f"worker without the rate limit: {MESSAGES / unlimited:6.1f} msg/s (headroom, fake API on localhost)")
    print(f"one chat, 5 messages: gaps between sends {', '.join(f'{g:.2f}' for g in gaps)} s")


if __name__ == "__main__":
    main()
