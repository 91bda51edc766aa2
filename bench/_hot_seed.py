"""Seed data of bench/hot_paths.py: two tutors in one database, written with ORM bulk inserts (never the API).

Only model fields that exist at cf47431 (the "before" code) are set, so the seed runs under either tree; columns
added later come from their migrations' defaults and backfills.

* Tutor A: 30 students, 3 subjects, 30 weekly individual + 10 weekly 3-student group series × 52 weeks
  (2,080 lessons, the lessons_bench shape), started 8 weeks ago.
* Tutor B: the same ×10: 300 students, 300 individual + 100 group series (20,800 lessons), started 40 weeks ago,
  so most of its history is past and a month holds ~1,700 lessons.

Past lessons are done with attendance (every 7th row missed), a rating and payments: every 4th week is left
unpaid (debts), and every 5th student pays from an active 'lessons' package (subscription) that still has 10 left.
"""

from __future__ import annotations

import time
from datetime import timedelta
from zoneinfo import ZoneInfo

WEEKS = 52
TUTORS = {
    "A": {"telegram_id": 990_100_000, "students": 30, "individual": 30, "groups": 10, "weeks_ago": 8},
    "B": {"telegram_id": 990_200_000, "students": 300, "individual": 300, "groups": 100, "weeks_ago": 40},
}
SUBJECTS = (
    ("Математика", "matematika", "#FF8800"),
    ("Физика", "fizika", "#0088FF"),
    ("Английский", "angliyskiy", "#22AA44"),
)
ZONE = "Europe/Moscow"


def seed() -> dict:
    """Both tutors in one transaction, then ANALYZE (what autovacuum does after a bulk load)."""
    from django.db import connection, transaction
    from django.utils import timezone

    started = time.perf_counter()
    now = timezone.now()
    with transaction.atomic():
        summary = {name: _seed_tutor(name, now=now, **spec) for name, spec in TUTORS.items()}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    summary["seconds"] = round(time.perf_counter() - started, 1)
    return summary


def _schedule(*, index: int, group: bool, many: bool, monday):
    """First lesson of series `index`: individual Mon–Fri, groups Sat/Sun, from 09:00 Moscow, hourly for A and
    every 15 minutes for B (B's lessons overlap: the month view's conflict marks get work to do)."""
    step = timedelta(minutes=15 if many else 60)
    if group:
        return monday + timedelta(days=5 + index % 2) + step * (index // 2)
    return monday + timedelta(days=index % 5) + step * (index // 5)


def _seed_tutor(name, *, now, telegram_id, students, individual, groups, weeks_ago) -> dict:  # noqa: PLR0914
    from django.contrib.auth.hashers import make_password

    from accounts.models import StudentProfile, TeacherProfile, TeacherStudentLink, User
    from lessons.models import Lesson, LessonSeries, LessonStudent, SeriesStudent, Subject
    from subscriptions.models import Subscription

    unusable = make_password(None)
    tutor_user = User(telegram_id=telegram_id, first_name="Hot", last_name=f"Tutor{name}", password=unusable)
    people = [
        User(telegram_id=telegram_id + 1 + i, first_name=f"Student{i}", last_name=name, password=unusable)
        for i in range(students)
    ]
    User.objects.bulk_create([tutor_user, *people])
    tutor = TeacherProfile.objects.create(user=tutor_user, display_name=f"Hot Tutor {name}")
    profiles = StudentProfile.objects.bulk_create([StudentProfile(user=u) for u in people])
    TeacherStudentLink.objects.bulk_create([TeacherStudentLink(teacher=tutor, student=p) for p in profiles])
    subjects = Subject.objects.bulk_create(
        [Subject(teacher=tutor, name=n, code=c, color_hex=h) for n, c, h in SUBJECTS]
    )
    packages = {
        i: Subscription(teacher=tutor, student=p, type="lessons", total_lessons=10, used_lessons=0, name="Пакет")
        for i, p in enumerate(profiles)
        if i % 5 == 0
    }

    monday = (now - timedelta(weeks=weeks_ago, days=now.weekday())).replace(hour=6, minute=0, second=0, microsecond=0)
    plans = [(i, [i], 60, 1500, False) for i in range(individual)]
    plans += [(g, [(3 * g + k) % students for k in range(3)], 90, 900, True) for g in range(groups)]
    series, series_rows, lessons, rows = [], [], [], []
    for index, members, minutes, price, group in plans:
        first = _schedule(index=index, group=group, many=students > 30, monday=monday)
        local = first.astimezone(ZoneInfo(ZONE))
        day = local.isoweekday() % 7  # 0 = Sunday
        s = LessonSeries(
            teacher=tutor,
            subject=subjects[index % 3],
            frequency="weekly",
            days_of_week=[day],
            day_of_week=day,
            time_of_day=local.strftime("%H:%M"),
            timezone=ZONE,
            duration_minutes=minutes,
            price_rub=price,
            max_occurrences=WEEKS,
        )
        series.append(s)
        series_rows += [SeriesStudent(series=s, student=profiles[m], price_rub=price) for m in members]
        for week in range(WEEKS):
            at = first + timedelta(weeks=week)
            past = at < now
            lesson = Lesson(
                series=s,
                teacher=tutor,
                subject=s.subject,
                start_at=at,
                duration_minutes=minutes,
                price_rub=price,
                status="done" if past else "planned",
            )
            lessons.append(lesson)
            rows += [_row(lesson, profiles[m], packages.get(m), price, week, j, past) for j, m in enumerate(members)]

    for package in packages.values():
        package.total_lessons = package.used_lessons + 10
    Subscription.objects.bulk_create(packages.values())
    LessonSeries.objects.bulk_create(series)
    SeriesStudent.objects.bulk_create(series_rows, batch_size=5000)
    Lesson.objects.bulk_create(lessons, batch_size=2000)
    LessonStudent.objects.bulk_create(rows, batch_size=5000)
    done = sum(1 for x in lessons if x.status == "done")
    unpaid = sum(1 for r in rows if r.attendance != "unknown" and r.payment_status == "unpaid")
    return {"students": students, "series": len(series), "lessons": len(lessons), "done": done,
            "rows": len(rows), "unpaidPastRows": unpaid, "packages": len(packages)}  # fmt: skip


def _row(lesson, student, package, price, week, seat, past):
    """One student's row: planned = unknown/unpaid; past = attended (every 7th missed), paid from the package
    (package holders' attended lessons) or by hand except every 4th week (the debts)."""
    from lessons.models import LessonStudent

    if not past:
        return LessonStudent(lesson=lesson, student=student, price_rub=price)
    attended = (week + seat) % 7 != 0
    row = LessonStudent(
        lesson=lesson,
        student=student,
        price_rub=price,
        attendance="attended" if attended else "missed",
        rating=5 if attended else None,
        payment_status="unpaid" if week % 4 == 0 else "paid",
    )
    if package is not None and attended:
        package.used_lessons += 1
        row.price_rub = 0
        row.payment_type = "subscription"
        row.paid_from_subscription = True
        row.subscription = package
        row.payment_status = "paid"
    return row


def prepare() -> dict:
    """Tokens (issued with this tree's code, in this tree's database) and the ids the measurements need."""
    from accounts.models import StudentProfile, User
    from accounts.tokens import issue_tokens

    tutor_a = User.objects.get(telegram_id=TUTORS["A"]["telegram_id"])
    tutor_b = User.objects.get(telegram_id=TUTORS["B"]["telegram_id"])
    student = User.objects.get(telegram_id=TUTORS["A"]["telegram_id"] + 2)  # Student1 of A: no package
    first = TUTORS["A"]["telegram_id"] + 1
    profiles = StudentProfile.objects.filter(user__telegram_id__gte=first, user__telegram_id__lt=first + 30)
    return {
        "tokenA": issue_tokens(tutor_a, "teacher")["token"],
        "tokenB": issue_tokens(tutor_b, "teacher")["token"],
        "tokenStudent": issue_tokens(student, "student")["token"],
        "studentIdsA": [str(x) for x in profiles.order_by("user__telegram_id").values_list("id", flat=True)],
    }
