"""Contention benchmark for subscription_consume: W threads (own connections) hammer ONE subscription.

Run against PostgreSQL (own database!):
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/tutorcal_subs .venv/bin/python bench/subscriptions_consume.py
Prints throughput and proves the counter equals the number of successful charges (none lost, none overspent).
"""

import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutorcal.settings")
os.environ.setdefault("DJANGO_TESTING", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import StudentProfile, TeacherProfile, TeacherStudentLink, User  # noqa: E402
from subscriptions.models import Subscription  # noqa: E402
from subscriptions.services import subscription_consume, subscription_refund  # noqa: E402

WORKERS = int(os.environ.get("WORKERS", 8))
PER_WORKER = int(os.environ.get("PER_WORKER", 250))
TOTAL = WORKERS * PER_WORKER // 2  # half the attempts must fail: the package runs out mid-run


def main() -> None:
    call_command("migrate", verbosity=0)
    tag = str(time.time_ns())
    teacher = TeacherProfile.objects.create(user=User.objects.create_user(first_name=f"bench{tag}"), display_name="B")
    student = StudentProfile.objects.create(user=User.objects.create_user(first_name=f"bench{tag}s"))
    TeacherStudentLink.objects.create(teacher=teacher, student=student)
    sub = Subscription.objects.create(teacher=teacher, student=student, type="lessons", total_lessons=TOTAL)
    barrier = threading.Barrier(WORKERS)

    def work(_):
        try:
            barrier.wait()
            ok = 0
            for _ in range(PER_WORKER):
                ok += subscription_consume(teacher_id=teacher.id, student_id=student.id) is not None
            return ok
        finally:
            connection.close()

    start = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        charged = sum(pool.map(work, range(WORKERS)))
    elapsed = time.perf_counter() - start
    sub.refresh_from_db()
    attempts = WORKERS * PER_WORKER
    print(f"vendor={connection.vendor} workers={WORKERS} attempts={attempts} total={TOTAL}")
    print(f"charged={charged} counter={sub.used_lessons} -> {'OK' if charged == sub.used_lessons == TOTAL else 'FAIL'}")
    print(f"{attempts / elapsed:.0f} consume calls/s, {elapsed / attempts * 1000:.2f} ms per call")

    start = time.perf_counter()
    for _ in range(200):
        subscription_refund(subscription_id=sub.id)
    print(f"refund: {(time.perf_counter() - start) / 200 * 1000:.2f} ms per call (single thread)")
    User.objects.filter(first_name__startswith=f"bench{tag}").delete()


if __name__ == "__main__":
    main()
