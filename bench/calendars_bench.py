"""Calendar import and feed benchmark (issue 13 "Speed"), in-process through Django's full request stack.

    .venv/bin/python bench/calendars_bench.py

Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/tutorcal_calendars_bench; created if
missing; "" = a temporary SQLite file), BENCH_RUNS (30 requests per measurement).

What it does: migrates the database, seeds one tutor (Europe/Moscow) with 30 students and 2,000 lessons inside
the feed window (30 days back … 180 ahead; every 5th a 3-student group, every 10th cancelled), then measures
1. POST /api/teachers/me/calendar/preview of a 1,000-event ICS (50 weekly series × 10 occurrences with a
   VTIMEZONE/TZID, EXDATE and a moved occurrence each, plus 500 one-off events): median / p95 ms, queries;
2. POST /api/teachers/me/calendar/import of all 1,000 events once, and again (idempotent re-import): ms, queries;
3. GET /api/calendar/<token>.ics for the tutor (2,000 lessons) and a student: median / p95 ms, queries, size;
   and a conditional GET answered 304.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _harness import ensure_database, pct  # noqa: E402

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tutorcal_calendars_bench")
RUNS = int(os.environ.get("BENCH_RUNS", "30"))

if DB_URL:
    ensure_database(DB_URL)
    os.environ["DATABASE_URL"] = DB_URL
else:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutorcal.settings")
os.environ["DJANGO_DEBUG"] = "True"  # in-process: no HTTPS redirect; DEBUG does not change the code paths
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import StudentProfile, TeacherProfile, TeacherStudentLink, User  # noqa: E402
from accounts.tokens import issue_tokens  # noqa: E402
from lessons.calendars import feed  # noqa: E402
from lessons.models import Lesson, LessonStudent  # noqa: E402

VTZ = (
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\n"
    "TZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n"
    "DTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
    "END:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
)


def big_ics(first_day: datetime) -> str:
    out = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//bench//EN\r\n", VTZ]
    for i in range(50):
        day = first_day + timedelta(days=i % 7)
        local = f"{day:%Y%m%d}T{9 + i % 10:02d}0000"
        ex = f"{day + timedelta(days=14):%Y%m%d}T{9 + i % 10:02d}0000"
        moved_from = f"{day + timedelta(days=21):%Y%m%d}T{9 + i % 10:02d}0000"
        moved_to = f"{day + timedelta(days=22):%Y%m%d}T{9 + i % 10:02d}3000"
        out.append(
            f"BEGIN:VEVENT\r\nUID:series-{i}@bench\r\nDTSTART;TZID=Europe/Berlin:{local}\r\n"
            f"DURATION:PT1H\r\nRRULE:FREQ=WEEKLY;COUNT=11\r\nEXDATE;TZID=Europe/Berlin:{ex}\r\n"
            f"SUMMARY:Series {i % 5}\r\nEND:VEVENT\r\n"
            f"BEGIN:VEVENT\r\nUID:series-{i}@bench\r\nRECURRENCE-ID;TZID=Europe/Berlin:{moved_from}\r\n"
            f"DTSTART;TZID=Europe/Berlin:{moved_to}\r\nDURATION:PT1H\r\nSUMMARY:Series {i % 5}\r\nEND:VEVENT\r\n"
        )
    for i in range(500):
        start = first_day + timedelta(hours=7 + i * 7)
        out.append(
            f"BEGIN:VEVENT\r\nUID:single-{i}@bench\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
            f"DTEND:{start + timedelta(minutes=45):%Y%m%dT%H%M%SZ}\r\nSUMMARY:One-off {i % 7}\r\n"
            f"LOCATION:https://meet.example/{i}\r\nEND:VEVENT\r\n"
        )
    out.append("END:VCALENDAR\r\n")
    return "".join(out)


def measure(func, runs: int = RUNS) -> tuple[list[float], int, list[float]]:
    """Wall-clock ms per call, SQL queries per call, and this process's CPU ms per call (the CPU figure is what
    a busy shared box cannot inflate; the difference to wall time is PostgreSQL plus waiting for a core)."""
    func()  # warm up
    times, cpu = [], []
    with CaptureQueriesContext(connection) as ctx:
        func()
    queries = len(ctx)
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        func()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return times, queries, cpu


def line(name: str, measured: tuple[list[float], int, list[float]], extra: str = "") -> None:
    times, queries, cpu = measured
    print(f"{name:<48} median {statistics.median(times):6.1f} ms  p95 {pct(times, 0.95):6.1f} ms  "
          f"cpu {statistics.median(cpu):6.1f} ms  queries {queries:2d}  {extra}")  # fmt: skip


def main() -> None:
    call_command("migrate", verbosity=0)
    Lesson.objects.all().delete()
    User.objects.filter(email__endswith="@bench.local").delete()
    tutor_user = User.objects.create_user(email="tutor@bench.local", first_name="Анна", last_name="Бенч")
    tutor = TeacherProfile.objects.create(user=tutor_user, display_name="Анна Бенч")
    students = []
    for i in range(30):
        user = User.objects.create_user(email=f"s{i}@bench.local", first_name=f"Ученик{i}", last_name="Тест")
        profile = StudentProfile.objects.create(user=user)
        TeacherStudentLink.objects.create(teacher=tutor, student=profile)
        students.append(profile)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    lessons, rows = [], []
    for i in range(2000):
        lesson = Lesson(
            teacher=tutor,
            start_at=now - timedelta(days=29) + timedelta(minutes=150 * i),
            duration_minutes=60,
            price_rub=1500,
            status="cancelled" if i % 10 == 0 else "planned",
            meeting_url=f"https://meet.example/{i}" if i % 3 == 0 else None,
        )
        lessons.append(lesson)
        for k in range(3 if i % 5 == 0 else 1):
            rows.append(LessonStudent(lesson=lesson, student=students[(i + k) % 30], price_rub=1500))
    Lesson.objects.bulk_create(lessons, batch_size=1000)
    LessonStudent.objects.bulk_create(rows, batch_size=1000)
    in_window = Lesson.objects.filter(teacher=tutor, start_at__lte=now + timedelta(days=180)).count()
    print(f"database: {connection.vendor}; tutor lessons in the feed window: {in_window}; runs per figure: {RUNS}")

    api = Client(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(tutor_user, 'teacher')['token']}")
    first_day = (now + timedelta(days=2)).replace(hour=0)
    content = big_ics(first_day)
    window = {"fromDate": f"{now:%Y-%m-%d}", "toDate": f"{now + timedelta(days=364):%Y-%m-%d}"}
    body = {"content": content, **window}
    response = api.post("/api/teachers/me/calendar/preview", body, content_type="application/json")
    preview = response.json()
    assert response.status_code == 200, preview
    count = preview["totalEvents"]
    measured = measure(lambda: api.post("/api/teachers/me/calendar/preview", body, "application/json"))
    line(f"ICS preview ({count} events, 50 series, {len(content) // 1024} KB)", measured)

    events = [{"uid": e["uid"], "autoCreateSubject": True, "priceRub": 1000} for e in preview["events"]]
    request = {**body, "events": events}
    for label in ("ICS import, first time", "ICS import again (idempotent)"):
        with CaptureQueriesContext(connection) as ctx:
            started, started_cpu = time.perf_counter(), time.process_time()
            result = api.post("/api/teachers/me/calendar/import", request, "application/json").json()
            elapsed, cpu = (time.perf_counter() - started) * 1000, (time.process_time() - started_cpu) * 1000
        summary = f"{result['imported']} imported, {result['skipped']} skipped, {result['seriesCreated']} series"
        print(f"{label:<48} once   {elapsed:6.1f} ms  {'':14}cpu {cpu:6.1f} ms  queries {len(ctx):2d}  {summary}")
    Lesson.objects.filter(import_source="ics").delete()

    reader = Client()
    path = f"/api/calendar/{feed.feed_token(user=tutor_user, role='teacher')}.ics"
    response = reader.get(path)
    size = len(response.content) // 1024
    line(f"feed, tutor ({in_window} lessons)", measure(lambda: reader.get(path)), f"{size} KB")
    etag = response["ETag"]
    line("feed, tutor, If-None-Match -> 304", measure(lambda: reader.get(path, HTTP_IF_NONE_MATCH=etag)))
    student_user = students[0].user
    spath = f"/api/calendar/{feed.feed_token(user=student_user, role='student')}.ics"
    line("feed, one student", measure(lambda: reader.get(spath)), f"{len(reader.get(spath).content) // 1024} KB")


if __name__ == "__main__":
    main()
