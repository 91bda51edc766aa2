"""Calendar benchmark (issue 3 "Speed"): month view and 52-lesson series creation against gunicorn + PostgreSQL.

One command (PostgreSQL on 127.0.0.1, its own database which this script creates if missing):

    .venv/bin/python bench/lessons_bench.py

Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/tutorcal_bench), BENCH_REDIS_URL
(default redis://127.0.0.1:6379/3, "" for the local-memory cache), BENCH_PORT (8765), BENCH_WORKERS
(gunicorn sync workers, default 2×CPU+1), BENCH_SINGLE (200 month-view requests), BENCH_SECONDS (10 s of
16-client load), BENCH_CONCURRENCY (16), BENCH_SERIES (60 series creations).

What it does: migrates the database, seeds one tutor with 30 students, 3 subjects, 30 weekly individual
series and 10 weekly 3-student group series for a year (52 weeks each, 2,080 lessons; the series started
8 weeks ago and those past lessons are completed), starts gunicorn (DJANGO_DEBUG=False) and measures
1. GET /api/teachers/me/lessons for the next 30 days (~170 lessons): median / p95 single client, and
   requests/s with 16 concurrent clients;
2. POST /api/teachers/me/lessons creating a weekly 52-lesson series with 3 students: median / p95;
3. SQL queries per request for both (in-process, same database).
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _harness import ensure_database, start_gunicorn  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tutorcal_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
SINGLE = int(os.environ.get("BENCH_SINGLE", "200"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
SERIES = int(os.environ.get("BENCH_SERIES", "60"))
TUTOR_TELEGRAM_ID = 990_000_001

SERVER_ENV = {
    "DATABASE_URL": DB_URL,
    "REDIS_URL": REDIS_URL,
    "CACHE_KEY_PREFIX": "lessons_bench",
    "CHANNEL_PREFIX": "lessons_bench",
    "DJANGO_DEBUG": "False",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
    "JWT_SECRET": secrets.token_urlsafe(48),
    "BOT_ADMIN_SECRET": secrets.token_urlsafe(24),
    "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(24),
    "SECURE_SSL_REDIRECT": "False",
    "DJANGO_TESTING": "0",
}
os.environ.update(SERVER_ENV)
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutorcal.settings")


def setup_django():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def seed():
    """One tutor, 30 students, 3 subjects, 40 weekly series × 52 weeks, the first 8 weeks completed."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import StudentProfile, TeacherProfile, TeacherStudentLink, User
    from lessons.models import Lesson, LessonStudent, Subject
    from lessons.services.lessons import lesson_create

    User.objects.filter(telegram_id__gte=TUTOR_TELEGRAM_ID, telegram_id__lt=TUTOR_TELEGRAM_ID + 100).delete()
    user = User.objects.create_user(telegram_id=TUTOR_TELEGRAM_ID, first_name="Bench", last_name="Tutor")
    tutor = TeacherProfile.objects.create(user=user, display_name="Bench Tutor")
    students = []
    for i in range(30):
        su = User.objects.create_user(telegram_id=TUTOR_TELEGRAM_ID + 1 + i, first_name=f"Student{i}", last_name="B")
        sp = StudentProfile.objects.create(user=su)
        TeacherStudentLink.objects.create(teacher=tutor, student=sp)
        students.append(sp)
    subjects = [
        Subject.objects.create(teacher=tutor, name=name, code=code, color_hex=color)
        for name, code, color in (
            ("Математика", "matematika", "#FF8800"),
            ("Физика", "fizika", "#0088FF"),
            ("Английский", "angliyskiy", "#22AA44"),
        )
    ]
    now = timezone.now()
    monday = (now - timedelta(weeks=8) - timedelta(days=now.weekday())).replace(
        hour=6, minute=0, second=0, microsecond=0
    )  # 09:00 Moscow
    started = time.perf_counter()
    for i in range(30):  # individual: Mon–Fri, 6 slots a day
        start = monday + timedelta(days=i % 5, hours=i // 5)
        lesson_create(
            teacher=tutor,
            start_at=start,
            duration_minutes=60,
            student_ids=[students[i].id],
            subject_id=subjects[i % 3].id,
            price_rub=1500,
            recurrence={"frequency": "weekly", "count": 52},
        )
    for g in range(10):  # groups of 3: Sat/Sun, 5 slots a day
        start = monday + timedelta(days=5 + g % 2, hours=g // 2)
        lesson_create(
            teacher=tutor,
            start_at=start,
            duration_minutes=90,
            student_ids=[students[(3 * g + k) % 30].id for k in range(3)],
            subject_id=subjects[g % 3].id,
            price_rub=900,
            recurrence={"frequency": "weekly", "count": 52},
        )
    with transaction.atomic():
        past = Lesson.objects.filter(teacher=tutor, start_at__lt=now)
        LessonStudent.objects.filter(lesson__in=past).update(attendance="attended", rating=5, payment_status="paid")
        done = past.update(status="done")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    total = Lesson.objects.filter(teacher=tutor).count()
    print(f"seeded {total} lessons ({done} completed) in {time.perf_counter() - started:.1f}s")
    return user, tutor, students


def token_for(user) -> str:
    from accounts.tokens import issue_tokens

    return issue_tokens(user, "teacher")["token"]


def request(conn, method, path, token, body=None):
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def timed(fn, n):
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def month_path(now: datetime) -> str:
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=30)
    return (
        f"/api/teachers/me/lessons?from={start.strftime('%Y-%m-%dT%H:%M:%SZ')}&to={end.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    )


def series_body(i: int, students) -> dict:
    start = datetime(2040, 1, 2, 6, 0, tzinfo=UTC) + timedelta(hours=i % 12, days=7 * (i // 12))
    return {
        "startAt": start.isoformat().replace("+00:00", "Z"),
        "durationMinutes": 60,
        "priceRub": 1200,
        "studentIds": [str(students[(i + k) % 30].id) for k in range(3)],
        "recurrence": {"frequency": "weekly", "count": 52},
    }


def count_queries(token, path, method="GET", body=None) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    with CaptureQueriesContext(connection) as ctx:
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data=json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 201), response.content[:200]
    return len(ctx.captured_queries)


def app_cpu_ms(token, path, method="GET", body=None, n=30) -> float:
    """Median CPU time (time.process_time) the Django process spends per request, DB server time excluded."""
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    samples = []
    for i in range(n):
        t0 = time.process_time()
        if method == "GET":
            client.get(path)
        else:
            client.post(path, data=json.dumps(body(i)), content_type="application/json")
        samples.append((time.process_time() - t0) * 1000)
    return statistics.median(samples)


def main() -> None:
    ensure_database(DB_URL)
    setup_django()
    user, tutor, students = seed()
    token = token_for(user)
    from django.utils import timezone

    path = month_path(timezone.now())
    server = start_gunicorn(port=PORT, workers=WORKERS, env={**os.environ, **SERVER_ENV})
    try:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        status, data = request(conn, "GET", path, token)
        assert status == 200, data[:300]
        lessons_in_month = len(json.loads(data))
        for _ in range(20):  # warm-up
            request(conn, "GET", path, token)

        med, p95 = timed(lambda i: request(conn, "GET", path, token), SINGLE)
        size = f"{lessons_in_month} lessons, {len(data) / 1024:.0f} KiB"
        print(f"month view ({size}): median {med:.1f} ms, p95 {p95:.1f} ms")

        stop = time.perf_counter() + SECONDS
        counts = [0] * CONCURRENCY
        errors = [0] * CONCURRENCY

        def worker(k):
            c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            while time.perf_counter() < stop:
                st, _ = request(c, "GET", path, token)
                if st == 200:
                    counts[k] += 1
                else:
                    errors[k] += 1

        t0 = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(CONCURRENCY)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        print(
            f"month view, {CONCURRENCY} concurrent clients: {sum(counts) / elapsed:.0f} req/s "
            f"({sum(counts)} ok, {sum(errors)} errors, {WORKERS} gunicorn workers)"
        )

        def create(i):
            st, body = request(conn, "POST", "/api/teachers/me/lessons", token, series_body(i, students))
            assert st == 201, body[:300]

        create(10_000)  # warm-up
        med, p95 = timed(create, SERIES)
        print(f"create weekly series (52 lessons, 3 students): median {med:.1f} ms, p95 {p95:.1f} ms")
    finally:
        server.terminate()
        server.wait(10)

    cpu_month = app_cpu_ms(token, path)
    cpu_series = app_cpu_ms(token, "/api/teachers/me/lessons", "POST", lambda i: series_body(30_000 + i, students))
    print(
        "app-process CPU per request (in-process, robust to a busy box): "
        f"month view {cpu_month:.1f} ms, series creation {cpu_series:.1f} ms"
    )
    q_month = count_queries(token, path)
    q_series = count_queries(token, "/api/teachers/me/lessons", "POST", series_body(20_000, students))
    print(f"SQL queries per request: month view {q_month}, series creation {q_series}")


if __name__ == "__main__":
    main()
