"""Realtime load: N concurrent sockets on ONE daphne process, 100 of them following one tutor's calendar.

For each N (default 1000; e.g. N_LIST=1000,2000,4000 to find where one process degrades):
  * a fresh daphne (production-like settings, Redis channel layer) is started on a loopback port;
  * N sockets are opened with real tickets: the tutor + 99 students of ONE group lesson (the 100 "subscribed"
    sockets), and N-100 idle users of other tutors (online, heartbeating, receiving nothing);
  * CHANGES times, this process (playing gunicorn) updates the lesson and sends `lesson_updated` as the service
    does: after the commit the pusher thread builds the payloads (tutor shape + 99 student shapes) and
    group_sends them through Redis;
  * delivery latency = receive time on each subscribed socket - time before the UPDATE (so it includes the DB
    write, payload building, Redis, daphne and the client), p50/p95/p99 over CHANGES x 100 frames;
  * daphne's RSS (VmRSS) before and after the sockets are open -> memory per connection.

Run (own Redis db; SQLite temp file unless BENCH_DATABASE_URL is given):
  REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python bench/realtime_bench.py
  N_LIST=1000,2000,4000 CHANGES=50 BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/tutorcal_rt_bench ...
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import pct  # noqa: E402

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

SUBSCRIBED = 100
N_LIST = [int(x) for x in os.environ.get("N_LIST", "1000").split(",")]
CHANGES = int(os.environ.get("CHANGES", "50"))
GAP = float(os.environ.get("GAP", "0.1"))
REDIS_URL = os.environ.get("REDIS_URL", "")
if not REDIS_URL:
    sys.exit("set REDIS_URL (the bench needs the Redis channel layer to reach daphne), e.g. redis://127.0.0.1:6379/7")

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp(prefix='rt_bench_')}/bench.sqlite3"
ENV = {
    **os.environ,
    "DATABASE_URL": DATABASE_URL,
    "BENCH_DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "CHANNEL_PREFIX": "rtbench",
    "CACHE_KEY_PREFIX": "rtbench",
    "DJANGO_DEBUG": "False",
    "DJANGO_SECRET_KEY": "bench-secret-key-" + "x" * 40,
    "JWT_SECRET": "bench-jwt-secret-" + "y" * 40,
    "BOT_ADMIN_SECRET": "bench-admin-secret-not-for-production",
    "TELEGRAM_WEBHOOK_SECRET": "bench-webhook-secret-not-for-production",
    "SECURE_SSL_REDIRECT": "False",
    "LOG_LEVEL": "WARNING",
    # Tickets are issued up front for all N sockets; opening thousands takes longer than the 30 s default.
    "REALTIME_TICKET_TTL": "600",
}
os.environ.update({k: ENV[k] for k in ENV if k not in ("PATH",)})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutorcal.settings")


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quiet_client_logs():
    import logging

    logging.getLogger("websockets").setLevel(logging.CRITICAL)


def setup_django():
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=ENV, check=True)
    import django

    django.setup()


def seed(max_n: int):
    """The tutor, 99 students on one group lesson, and enough idle users (other tutors) for the largest N."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import StudentProfile, TeacherProfile, TeacherStudentLink, User
    from lessons.models import Lesson, LessonStudent

    base = 900_000_000
    User.objects.filter(telegram_id__gte=base).delete()
    users = User.objects.bulk_create(
        [User(telegram_id=base + i, first_name=f"U{i}", last_name="Bench") for i in range(max_n)]
    )
    tutor = TeacherProfile.objects.create(user=users[0], display_name="Bench Tutor")
    students = StudentProfile.objects.bulk_create([StudentProfile(user=u) for u in users[1:SUBSCRIBED]])
    TeacherStudentLink.objects.bulk_create([TeacherStudentLink(teacher=tutor, student=s) for s in students])
    idle = TeacherProfile.objects.bulk_create(
        [TeacherProfile(user=u, display_name=u.first_name) for u in users[SUBSCRIBED:]]
    )
    lesson = Lesson.objects.create(
        teacher=tutor, start_at=timezone.now() + timedelta(days=1), duration_minutes=60, price_rub=1000
    )
    LessonStudent.objects.bulk_create([LessonStudent(lesson=lesson, student=s, price_rub=1000) for s in students])
    identities = [("teacher", users[0].pk, tutor.id)]
    identities += [("student", s.user_id, s.id) for s in students]
    identities += [("teacher", t.user_id, t.id) for t in idle]
    return tutor, lesson, identities


def start_daphne(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "tutorcal.asgi:application"],
        cwd=BASE_DIR,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # inherits the raised RLIMIT_NOFILE
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("daphne did not start") from None
            time.sleep(0.1)


async def run_level(n: int, tutor, lesson, identities) -> dict:
    import websockets
    from asgiref.sync import sync_to_async
    from django.core.cache import cache

    from realtime import presence
    from realtime.tickets import ticket_issue

    cache.clear()
    presence.backend().clear()
    port = free_port()
    proc = start_daphne(port)
    await asyncio.sleep(1.0)
    rss_idle = rss_kb(proc.pid)

    tickets = await sync_to_async(
        lambda: [ticket_issue(user_id=u, role=r, profile_id=p)["ticket"] for r, u, p in identities[:n]]
    )()
    received: dict[int, list[float]] = {}
    current = {"seq": -1}
    sockets = []
    opened = asyncio.Event()
    gate = asyncio.Semaphore(100)

    async def client(i: int, ticket: str):
        async with gate:
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws/?ticket={ticket}", max_queue=None, open_timeout=60)
        sockets.append(ws)
        if len(sockets) == n:
            opened.set()
        subscribed = i < SUBSCRIBED
        try:
            async for text in ws:
                if subscribed and '"lesson.updated"' in text:
                    now = time.time()
                    seq = current["seq"]
                    if f'bench-{seq}"' in text:
                        received.setdefault(seq, []).append(now)
        except websockets.ConnectionClosed:
            pass

    t_connect = time.monotonic()
    tasks = [asyncio.create_task(client(i, t)) for i, t in enumerate(tickets)]
    await asyncio.wait_for(opened.wait(), timeout=300)
    connect_seconds = time.monotonic() - t_connect
    await asyncio.sleep(2.0)  # let presence announcements settle
    rss_open = rss_kb(proc.pid)

    # The sender plays gunicorn in its own process (no GIL shared with the 1000 clients measured here).
    sender = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--sender",
        str(tutor.id),
        str(lesson.id),
        cwd=BASE_DIR,
        env=ENV,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert (await sender.stdout.readline()).strip() == b"ready"

    latencies: list[float] = []
    send_ms: list[float] = []
    firsts: list[float] = []
    lost = 0
    for seq in range(CHANGES):
        current["seq"] = seq
        sender.stdin.write(f"{seq}\n".encode())
        await sender.stdin.drain()
        t0_text, took = (await sender.stdout.readline()).split()
        t0 = float(t0_text)
        send_ms.append(float(took))
        deadline = time.monotonic() + 5
        while len(received.get(seq, [])) < SUBSCRIBED and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        got = received.get(seq, [])
        lost += SUBSCRIBED - len(got)
        latencies += [(t - t0) * 1000 for t in got]
        if got:
            firsts.append((min(got) - t0) * 1000)
        await asyncio.sleep(GAP)
    sender.stdin.close()
    await sender.wait()
    rss_end = rss_kb(proc.pid)

    for ws in sockets:
        await ws.close()
    for t in tasks:
        t.cancel()
    proc.terminate()
    proc.wait(timeout=10)
    return {
        "n": n,
        "connect_s": connect_seconds,
        "p50": pct(latencies, 0.5),
        "p95": pct(latencies, 0.95),
        "p99": pct(latencies, 0.99),
        "max": max(latencies) if latencies else float("nan"),
        "mean": statistics.fmean(latencies) if latencies else float("nan"),
        "delivered": len(latencies),
        "send_p50": pct(send_ms, 0.5),
        "first_p50": pct(firsts, 0.5),
        "lost": lost,
        "rss_idle_mb": rss_idle / 1024,
        "rss_open_mb": rss_open / 1024,
        "rss_end_mb": rss_end / 1024,
        "kb_per_conn": (rss_open - rss_idle) / n,
    }


def sender_main(tutor_id: str, lesson_id: str):
    """`--sender`: for each sequence number on stdin, update the lesson and send `lesson_updated` as the
    service does; print the start time and how long the sending side (what a request waits for) took."""
    import django

    django.setup()
    from lessons.models import Lesson
    from tutorcal import events

    print("ready", flush=True)
    for line in sys.stdin:
        seq = int(line)
        t0 = time.time()
        Lesson.objects.filter(pk=lesson_id).update(teacher_note=f"bench-{seq}")
        events.lesson_updated.send(sender=None, lesson_ids=[lesson_id], teacher_id=tutor_id, actor="teacher")
        print(f"{t0} {(time.time() - t0) * 1000:.2f}", flush=True)


def main():
    hard = raise_nofile()
    if max(N_LIST) * 2 + 200 > hard:
        sys.exit(f"RLIMIT_NOFILE hard limit {hard} is too low for N={max(N_LIST)}")
    setup_django()
    quiet_client_logs()
    tutor, lesson, identities = seed(max(N_LIST))
    print(f"database: {DATABASE_URL.split('@')[-1]}, redis: {REDIS_URL}, changes per level: {CHANGES}")
    print("| sockets | connect all | p50 | p95 | p99 | max | delivered / lost | daphne RSS idle → open | per socket |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in N_LIST:
        r = asyncio.run(run_level(n, tutor, lesson, identities))
        row = [
            str(r["n"]),
            f"{r['connect_s']:.1f} s",
            *(f"{r[k]:.1f} ms" for k in ("p50", "p95", "p99", "max")),
            f"{r['delivered']} / {r['lost']}",
            f"{r['rss_idle_mb']:.0f} → {r['rss_open_mb']:.0f} MB",
            f"{r['kb_per_conn']:.1f} KB",
        ]
        print("| " + " | ".join(row) + " |", flush=True)
        print(f"    sender (UPDATE + payloads + group_send) p50 {r['send_p50']:.1f} ms", flush=True)
        print(f"    first frame of a change p50 {r['first_p50']:.1f} ms", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--sender"]:
        sender_main(sys.argv[2], sys.argv[3])
    else:
        main()
