# ruff: noqa: E501  (the page table reads best one page per line)
"""Server time of every Mini App page (the shell + the API calls the page makes) with a month of data, against
gunicorn on PostgreSQL (production settings, DEBUG off).

  DATABASE_URL=postgres://postgres@127.0.0.1:5432/tutorcal_bench_webapp .venv/bin/python bench/webapp_bench.py

Seeds (ORM, bulk inserts) one tutor with 12 students, 2 lessons a week each for two weeks back and four ahead
(≈ a month either side of today; every 4th a group of 3, some debts, a package each), a parent of two of them.
A page's server time is the SUM of its requests' times, measured one after another on one keep-alive connection
(the browser runs them in parallel, so the user waits less). Target: median ≤ 50 ms per page.
Env: ROUNDS (60), WORKERS (2), PORT.
"""

import os
import statistics
import sys
import time
from datetime import timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from _harness import ensure_database, pct, production_env, start_gunicorn  # noqa: E402

BENCH_ENV = production_env("webapp")
os.environ.update(BENCH_ENV)
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("Set DATABASE_URL to a PostgreSQL database of your own (e.g. tutorcal_bench_webapp).")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import (  # noqa: E402
    ParentProfile,
    ParentStudentRelation,
    StudentProfile,
    TeacherProfile,
    TeacherStudentLink,
    User,
)
from accounts.tokens import issue_tokens  # noqa: E402
from lessons.models import Lesson, LessonStudent, Subject  # noqa: E402
from subscriptions.models import Subscription  # noqa: E402

STUDENTS = 12
ROUNDS = int(os.environ.get("ROUNDS", 60))
WORKERS = int(os.environ.get("WORKERS", 2))
PORT = int(os.environ.get("PORT", 8791))


def seed():
    tag = str(time.time_ns())[-8:]
    tuser = User.objects.create_user(telegram_id=int("61" + tag), first_name="Bench", last_name="Tutor")
    teacher = TeacherProfile.objects.create(user=tuser, display_name="Bench Tutor")
    subjects = [
        Subject.objects.create(teacher=teacher, name=f"S{i}", code=f"s{i}", color_hex="#4CAF50") for i in range(3)
    ]
    students = []
    for i in range(STUDENTS):
        user = User.objects.create_user(telegram_id=int(f"62{tag}{i:02d}"), first_name=f"Student{i}", last_name="B")
        students.append(StudentProfile.objects.create(user=user))
    TeacherStudentLink.objects.bulk_create([TeacherStudentLink(teacher=teacher, student=s) for s in students])
    Subscription.objects.bulk_create(
        [
            Subscription(teacher=teacher, student=s, type="lessons", total_lessons=8, used_lessons=i % 8)
            for i, s in enumerate(students)
        ]
    )
    puser = User.objects.create_user(telegram_id=int("63" + tag), first_name="Bench", last_name="Parent")
    parent = ParentProfile.objects.create(user=puser)
    ParentStudentRelation.objects.bulk_create(
        [ParentStudentRelation(parent=parent, student=s, teacher=teacher) for s in students[:2]]
    )
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    lessons, rows = [], []
    for slot in range(-4, 8):  # two a week: two weeks back, four ahead
        for i, student in enumerate(students):
            at = now + timedelta(days=slot * 3.5, hours=i % 9)
            past = at < now
            lesson = Lesson(teacher=teacher, subject=subjects[i % 3], start_at=at, duration_minutes=60, price_rub=1000,
                            status="done" if past else "planned")  # fmt: skip
            lessons.append(lesson)
            group = students[i : i + 3] if (slot + i) % 4 == 0 else [student]
            for member in group:
                rows.append(LessonStudent(lesson=lesson, student=member, price_rub=1000,
                                          attendance="attended" if past else "unknown",
                                          payment_status="unpaid" if past and i % 3 == 0 else "paid" if past else "unpaid"))  # fmt: skip
    Lesson.objects.bulk_create(lessons, batch_size=1000)
    LessonStudent.objects.bulk_create(rows, batch_size=2000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded: {STUDENTS} students, {len(lessons)} lessons, {len(rows)} lesson rows")
    past_lesson = next(lesson for lesson in lessons if lesson.start_at < now)
    return tuser, students[0], puser, past_lesson


def pages(student, lesson, today: str) -> dict:
    sid, lid = student.pk, lesson.pk
    d = timezone.localdate()
    monday = d - timedelta(days=d.weekday())
    span = lambda a, b: f"from={d + timedelta(days=a)}&to={d + timedelta(days=b)}"  # noqa: E731
    return {
        ("any", "shell GET /app/ (template, no queries)"): ["/app/"],
        ("teacher", "agenda: today"): [f"/api/teachers/me/lessons?from={today}&to={today}"],
        ("teacher", "agenda: week"): [f"/api/teachers/me/lessons?from={monday}&to={monday + timedelta(days=6)}"],
        ("teacher", "lesson page"): [f"/api/teachers/me/lessons/{lid}"],
        ("teacher", "new lesson form"): ["/api/teachers/me/subjects", "/api/teachers/me/students"],
        ("teacher", "students list (debt, package, last/next lesson)"): ["/api/teachers/me/students"],
        ("teacher", "student page (with a debt)"): [f"/api/teachers/me/students/{sid}", f"/api/teachers/me/students/{sid}/lessons",
                                                    f"/api/teachers/me/students/{sid}/parents", f"/api/teachers/me/students/{sid}/debt"],
        ("teacher", "subjects"): ["/api/teachers/me/subjects", "/api/teachers/me/subjects/archived"],
        ("teacher", "profile"): ["/api/teachers/me", "/api/bot/notifications"],
        ("student", "lessons (90 days)"): [f"/api/students/me/lessons?{span(0, 90)}"],
        ("student", "lesson page"): [f"/api/students/me/lessons/{lid}"],
        ("student", "progress"): ["/api/students/me/stats", "/api/students/me/subscriptions"],
        ("parent", "children"): ["/api/parents/me/children"],
        ("parent", "child page"): [f"/api/parents/me/children/{sid}", f"/api/parents/me/children/{sid}/debt",
                                   f"/api/parents/me/children/{sid}/lessons?{span(-30, 60)}"],
    }  # fmt: skip


STUDENT_IDS: list = []


def main():
    ensure_database(os.environ["DATABASE_URL"])
    call_command("migrate", verbosity=0)
    tuser, student, puser, lesson = seed()
    STUDENT_IDS.extend(TeacherStudentLink.objects.filter(teacher__user=tuser).values_list("student_id", flat=True))
    tokens = {
        "teacher": issue_tokens(tuser, "teacher")["token"],
        "student": issue_tokens(student.user, "student")["token"],
        "parent": issue_tokens(puser, "parent")["token"],
    }
    tokens["any"] = tokens["teacher"]
    call_command("collectstatic", "--noinput", verbosity=0)
    today = timezone.localdate().isoformat()
    table = pages(student, lesson, today)

    # 1) In process (django.test.Client through the whole middleware stack, no HTTP): wall and CPU time of the
    #    server's work, CPU time being what a shared, busy machine cannot inflate.
    from django.test import Client

    in_process = {}
    for (role, name), urls in table.items():
        client = Client(
            SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {tokens[role]}", HTTP_ACCEPT="application/json"
        )
        walls, cpus = [], []
        for round_ in range(ROUNDS + 10):
            w0, c0 = time.perf_counter(), time.thread_time()
            for url in urls:
                res = client.get(url)
                assert res.status_code == 200, (url, res.status_code, res.content[:200])
            if round_ >= 10:
                walls.append((time.perf_counter() - w0) * 1000)
                cpus.append((time.thread_time() - c0) * 1000)
        in_process[(role, name)] = (statistics.median(walls), statistics.median(cpus))

    # 2) Over HTTP against gunicorn (what a phone's requests cost end to end on loopback).
    env = {**os.environ, **BENCH_ENV}
    proc = start_gunicorn(port=PORT, workers=WORKERS, env=env)
    try:
        print("| page | requests | in-process median (CPU) | gunicorn median | gunicorn p95 |\n|---|---|---|---|---|")
        for (role, name), urls in table.items():
            headers = {"Authorization": f"Bearer {tokens[role]}", "Accept": "application/json"}
            with httpx.Client(base_url=f"http://127.0.0.1:{PORT}", headers=headers, timeout=30) as client:
                totals = []
                for round_ in range(ROUNDS + 10):
                    total = 0.0
                    for url in urls:
                        t0 = time.perf_counter()
                        res = client.get(url)
                        total += (time.perf_counter() - t0) * 1000
                        assert res.status_code == 200, (url, res.status_code, res.text[:200])
                    if round_ >= 10:  # warm-up rounds
                        totals.append(total)
            wall, cpu = in_process[(role, name)]
            print(
                f"| {role}: {name} | {len(urls)} | {wall:.1f} ms ({cpu:.1f} ms) | {statistics.median(totals):.1f} ms"
                f" | {pct(totals, 0.95):.1f} ms |"
            )
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
