"""People-area latency benchmark against gunicorn on PostgreSQL (production settings, DEBUG off).

  DATABASE_URL=postgres://postgres@127.0.0.1:5432/tutorcal_bench_people .venv/bin/python bench/people_bench.py

Seeds (ORM, bulk inserts) one teacher with 30 students and a year of weekly lessons per student (half past and
done with attendance/payments, half planned; every 4th week a group lesson of 3), then measures:
  * GET /api/teachers/me/students            (target median <= 30 ms, single client)
  * GET /api/students/me/lessons  one month  (target median <= 15 ms)
and requests/s at 16 concurrent clients for both. Env: REQUESTS (200), CONCURRENCY (16), WORKERS (4), PORT.
"""

import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from _harness import production_env, start_gunicorn  # noqa: E402

BENCH_ENV = production_env("people")
os.environ.update(BENCH_ENV)
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("Set DATABASE_URL to a PostgreSQL database of your own (e.g. tutorcal_bench_people).")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

import httpx  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import StudentProfile, TeacherProfile, TeacherStudentLink, User  # noqa: E402
from accounts.tokens import issue_tokens  # noqa: E402
from lessons.models import Lesson, LessonStudent, Subject  # noqa: E402

STUDENTS = 30
WEEKS = 52
REQUESTS = int(os.environ.get("REQUESTS", 200))
CONCURRENCY = int(os.environ.get("CONCURRENCY", 16))
WORKERS = int(os.environ.get("WORKERS", 4))
PORT = int(os.environ.get("PORT", 8790))


def seed() -> tuple[User, User]:
    tag = str(time.time_ns())[-9:]
    tuser = User.objects.create_user(telegram_id=int("7" + tag), first_name="Bench", last_name="Teacher")
    teacher = TeacherProfile.objects.create(user=tuser, display_name="Bench Teacher")
    subjects = [
        Subject.objects.create(teacher=teacher, name=f"S{i}", code=f"s{i}", color_hex="#4CAF50") for i in range(3)
    ]
    students = []
    for i in range(STUDENTS):
        user = User.objects.create_user(telegram_id=int(f"8{tag}{i:02d}"), first_name=f"Student{i}", last_name="B")
        students.append(StudentProfile.objects.create(user=user))
    TeacherStudentLink.objects.bulk_create([TeacherStudentLink(teacher=teacher, student=s) for s in students])
    now = timezone.now()
    start = now - timedelta(weeks=WEEKS // 2)
    lessons, rows = [], []
    for week in range(WEEKS):
        for i, student in enumerate(students):
            if week % 4 == 0 and i % 3:
                continue  # joined the group lesson below
            at = start + timedelta(weeks=week, hours=i % 10, minutes=(i // 10) * 5)
            past = at < now
            lesson = Lesson(
                teacher=teacher,
                subject=subjects[i % 3],
                start_at=at,
                duration_minutes=60,
                price_rub=1000,
                status="done" if past else "planned",
            )
            lessons.append(lesson)
            group = students[i : i + 3] if week % 4 == 0 else [student]
            for j, member in enumerate(group):
                rows.append(
                    LessonStudent(
                        lesson=lesson,
                        student=member,
                        price_rub=1000,
                        attendance=("missed" if (week + j) % 7 == 0 else "attended") if past else "unknown",
                        payment_status="paid" if past and week % 3 else "unpaid",
                    )
                )
    Lesson.objects.bulk_create(lessons, batch_size=1000)
    LessonStudent.objects.bulk_create(rows, batch_size=2000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does after a bulk load
    print(f"seeded: {len(students)} students, {len(lessons)} lessons, {len(rows)} lesson rows")
    return tuser, students[0].user


def timed_get(client: httpx.Client, url: str) -> float:
    t0 = time.perf_counter()
    res = client.get(url)
    elapsed = (time.perf_counter() - t0) * 1000
    assert res.status_code == 200, (res.status_code, res.text[:300])
    return elapsed


def measure(name: str, url: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    base = f"http://127.0.0.1:{PORT}"
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for _ in range(20):
            timed_get(client, url)  # warm-up (connections, caches)
        single = [timed_get(client, url) for _ in range(REQUESTS)]

    def worker(n: int) -> list[float]:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
            return [timed_get(c, url) for _ in range(n)]

    per = max(1, REQUESTS // CONCURRENCY)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        results = [x for chunk in pool.map(worker, [per] * CONCURRENCY) for x in chunk]
    wall = time.perf_counter() - t0
    single.sort()
    print(
        f"{name}: single median {statistics.median(single):.1f} ms, p95 {single[int(len(single) * 0.95)]:.1f} ms | "
        f"{CONCURRENCY} clients: {len(results) / wall:.0f} req/s, median {statistics.median(results):.1f} ms"
    )


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    teacher_user, student_user = seed()
    teacher_token = issue_tokens(teacher_user, "teacher")["token"]
    student_token = issue_tokens(student_user, "student")["token"]
    env = {**os.environ, **BENCH_ENV}
    server = start_gunicorn(port=PORT, workers=WORKERS, env=env)
    try:
        now = timezone.now()
        month = f"from={(now - timedelta(days=15)).date()}&to={(now + timedelta(days=15)).date()}"
        measure("GET /api/teachers/me/students (30 students, 1 year)", "/api/teachers/me/students", teacher_token)
        measure("GET /api/students/me/lessons (1 month)", f"/api/students/me/lessons?{month}", student_token)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
