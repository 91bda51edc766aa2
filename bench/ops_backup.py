"""Backup / verify / restore timings on a seeded PostgreSQL database (manage.py backup, restore).

  DATABASE_URL=postgres://postgres@127.0.0.1:5432/<scratch db> .venv/bin/python bench/ops_backup.py
The database is migrated and FILLED (LESSONS env, default 50,000 lessons with one student row each); use a
throwaway database. Prints the seconds and file size of each step.
"""

import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutorcal.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from accounts.models import StudentProfile, TeacherProfile, User  # noqa: E402
from lessons.models import Lesson, LessonStudent  # noqa: E402
from tutorcal.management import backups  # noqa: E402

N = int(os.environ.get("LESSONS", "50000"))


def timed(label, func):
    start = time.perf_counter()
    result = func()
    print(f"{label:<28} {time.perf_counter() - start:7.2f} s")
    return result


def main():
    assert backups.is_postgres(), "needs DATABASE_URL pointing at PostgreSQL"
    call_command("migrate", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    teacher_user = User.objects.create_user(telegram_id=1, first_name="T")
    teacher = TeacherProfile.objects.create(user=teacher_user, display_name="T")
    student = StudentProfile.objects.create(user=User.objects.create_user(telegram_id=2, first_name="S"))
    base = datetime(2025, 1, 1, tzinfo=UTC)

    def seed():
        lessons = Lesson.objects.bulk_create(
            [Lesson(teacher=teacher, start_at=base + timedelta(hours=i), duration_minutes=60) for i in range(N)],
            batch_size=5000,
        )
        LessonStudent.objects.bulk_create(
            [LessonStudent(lesson=lesson, student=student, price_rub=1000) for lesson in lessons], batch_size=5000
        )

    timed(f"seed {N} lessons", seed)
    with tempfile.TemporaryDirectory() as tmp:
        made = timed("backup (pg_dump -Fc)", lambda: backups.backup_create(directory=Path(tmp)))
        print(f"{'file size':<28} {made.path.stat().st_size / 1e6:7.2f} MB, {made.manifest['rows']} rows")
        timed("verify (scratch restore)", lambda: backups.backup_verify(path=made.path))
        timed("restore --force", lambda: backups.restore(path=made.path))


if __name__ == "__main__":
    main()
