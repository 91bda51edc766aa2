from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from lessons import recurrence as rec
from lessons.models import Lesson, LessonSeries, LessonStudent, SeriesStudent
from lessons.tests.calendar_helpers import BASE, create_lesson, series_lessons, utc

BERLIN = "Europe/Berlin"
MOSCOW = "Europe/Moscow"


def local(value: datetime, tz: str) -> str:
    return value.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M")


def test_a_weekly_berlin_lesson_stays_at_10_local_across_the_dst_change():
    start = datetime(2030, 3, 18, 10, 0, tzinfo=ZoneInfo(BERLIN))
    rule = rec.build_rule(start=start, tz=BERLIN, frequency="weekly", count=4)
    got = rec.occurrences(start=start, tz=BERLIN, rule=rule)
    assert [local(x, BERLIN) for x in got] == [
        "Mon 2030-03-18 10:00",
        "Mon 2030-03-25 10:00",
        "Mon 2030-04-01 10:00",
        "Mon 2030-04-08 10:00",
    ]
    assert [x.hour for x in got] == [9, 9, 8, 8]  # UTC: CET then CEST


def test_several_days_of_week_count_the_total_including_the_first():
    start = datetime(2030, 3, 4, 18, 0, tzinfo=ZoneInfo(MOSCOW))  # Monday
    rule = rec.build_rule(start=start, tz=MOSCOW, frequency="weekly", days_of_week=[1, 3], count=8)
    got = rec.occurrences(start=start, tz=MOSCOW, rule=rule)
    assert len(got) == 8
    assert [local(x, MOSCOW)[:3] for x in got] == ["Mon", "Wed"] * 4
    assert all(local(x, MOSCOW).endswith("18:00") for x in got)


def test_the_start_comes_first_even_off_the_chosen_days():
    start = datetime(2030, 3, 5, 9, 0, tzinfo=ZoneInfo(MOSCOW))  # Tuesday
    rule = rec.build_rule(start=start, tz=MOSCOW, frequency="weekly", days_of_week=[5], count=3)
    got = rec.occurrences(start=start, tz=MOSCOW, rule=rule)
    assert [local(x, MOSCOW) for x in got] == ["Tue 2030-03-05 09:00", "Fri 2030-03-08 09:00", "Fri 2030-03-15 09:00"]


def test_the_end_date_is_inclusive_in_the_teacher_zone():
    # reference B6: start Mon 2025-06-02 10:00 MSK, endDate 2025-06-30 gave 4 lessons; inclusive gives 5
    start = datetime(2025, 6, 2, 10, 0, tzinfo=ZoneInfo(MOSCOW))
    rule = rec.build_rule(start=start, tz=MOSCOW, frequency="weekly", end_date=date(2025, 6, 30))
    got = rec.occurrences(start=start, tz=MOSCOW, rule=rule)
    assert [x.astimezone(ZoneInfo(MOSCOW)).day for x in got] == [2, 9, 16, 23, 30]
    assert rule.max_occurrences is None


def test_biweekly_steps_fourteen_days_and_defaults_to_ten_lessons():
    start = datetime(2030, 1, 7, 9, 0, tzinfo=ZoneInfo(MOSCOW))
    rule = rec.build_rule(start=start, tz=MOSCOW, frequency="biweekly")
    got = rec.occurrences(start=start, tz=MOSCOW, rule=rule)
    assert len(got) == 10
    assert {(b - a).days for a, b in zip(got, got[1:], strict=False)} == {14}


def test_count_and_end_date_stop_at_whichever_comes_first():
    start = datetime(2030, 1, 7, 9, 0, tzinfo=ZoneInfo(MOSCOW))
    rule = rec.build_rule(start=start, tz=MOSCOW, frequency="weekly", count=50, end_date=date(2030, 1, 21))
    assert len(rec.occurrences(start=start, tz=MOSCOW, rule=rule)) == 3


def test_only_an_end_date_generates_every_occurrence_up_to_it_within_two_years():
    start = datetime(2030, 1, 7, 9, 0, tzinfo=ZoneInfo(MOSCOW))
    rule = rec.build_rule(start=start, tz=MOSCOW, frequency="weekly", days_of_week=[1, 3, 5], end_date=date(2032, 1, 7))
    got = rec.occurrences(start=start, tz=MOSCOW, rule=rule)
    assert len(got) > 200
    with pytest.raises(rec.RecurrenceError):
        rec.build_rule(start=start, tz=MOSCOW, frequency="weekly", end_date=date(2032, 1, 8))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"frequency": "daily"},
        {"frequency": "weekly", "count": 0},
        {"frequency": "weekly", "count": 201},
        {"frequency": "weekly", "days_of_week": [7]},
        {"frequency": "weekly", "end_date": date(2029, 12, 31)},
    ],
)
def test_invalid_rules_are_refused(kwargs):
    with pytest.raises(rec.RecurrenceError):
        rec.build_rule(start=utc(2030, 1, 1, 9), tz=MOSCOW, **kwargs)


def test_a_wall_clock_shift_keeps_local_time_across_dst():
    before = datetime(2030, 3, 25, 10, 0, tzinfo=ZoneInfo(BERLIN))
    delta = rec.wall_clock_delta(utc(2030, 3, 18, 9), utc(2030, 3, 18, 10), BERLIN)  # 10:00 -> 11:00 local
    moved = rec.shift_wall_clock(
        before + (datetime(2030, 4, 1, tzinfo=ZoneInfo(BERLIN)) - datetime(2030, 3, 25, tzinfo=ZoneInfo(BERLIN))),
        BERLIN,
        delta,
    )
    assert local(moved, BERLIN) == "Mon 2030-04-01 11:00"


# ------------------------------------------------------------------------------------------ API


@pytest.mark.django_db
def test_creating_a_recurring_series_in_berlin_bulk_inserts_lessons_and_students(api, make_teacher, make_student):
    tutor = make_teacher("Хельга", "Берлин", tz=BERLIN)
    a = make_student("A", "A", teacher=tutor)
    b = make_student("B", "B", teacher=tutor)
    body = create_lesson(
        api(tutor),
        startAt="2030-03-18T09:00:00Z",
        durationMinutes=90,
        studentIds=[str(a.id), str(b.id)],
        priceRub=800,
        meetingUrl="https://meet.example.com/x",
        teacherNote="Читать",
        recurrence={"frequency": "weekly", "count": 4},
    )
    assert body["series"]["dayOfWeek"] == 1 and body["series"]["timeOfDay"] == "10:00"
    assert body["lessonsCreated"] == 4
    assert [x["startAt"] for x in body["lessons"]] == [
        "2030-03-18T09:00:00.000Z",
        "2030-03-25T09:00:00.000Z",
        "2030-04-01T08:00:00.000Z",
        "2030-04-08T08:00:00.000Z",
    ]
    series = LessonSeries.objects.get(id=body["series"]["id"])
    assert (series.timezone, series.max_occurrences, series.meeting_url) == (BERLIN, 4, "https://meet.example.com/x")
    assert SeriesStudent.objects.filter(series=series).count() == 2
    lessons = series_lessons(series.id)
    assert all(x.teacher_note == "Читать" and x.duration_minutes == 90 and x.price_rub == 800 for x in lessons)
    assert LessonStudent.objects.filter(lesson__series=series, price_rub=800).count() == 8


@pytest.mark.django_db
def test_series_creation_takes_the_same_queries_for_2_or_52_lessons(
    api, tutor, make_student, django_assert_max_num_queries
):
    client = api(tutor)
    ids = [str(make_student(f"S{i}", "X", teacher=tutor).id) for i in range(3)]
    # 12 for the series + 6 for its notifications, queued in the same transaction (botapp's outbox)
    with django_assert_max_num_queries(18) as small:
        create_lesson(client, studentIds=ids, recurrence={"frequency": "weekly", "count": 2})
    with django_assert_max_num_queries(18) as big:
        body = create_lesson(
            client, studentIds=ids, startAt="2031-01-01T09:00:00Z", recurrence={"frequency": "weekly", "count": 52}
        )
    assert body["lessonsCreated"] == 52
    if settings.IS_POSTGRES:  # SQLite splits big bulk INSERTs into batches (its bound-parameter limit)
        assert len(big.captured_queries) == len(small.captured_queries)
    assert LessonStudent.objects.filter(lesson__series_id=body["series"]["id"]).count() == 156


@pytest.mark.django_db
def test_lesson_series_list_reports_counts_students_and_subject(api, tutor, student, django_assert_max_num_queries):
    client = api(tutor)
    body = create_lesson(
        client,
        studentIds=[str(student.id)],
        priceRub=500,
        recurrence={"frequency": "weekly", "count": 3, "endDate": "2030-12-01"},
    )
    first = body["lessons"][0]["id"]
    Lesson.objects.filter(id=first).update(status="done")
    Lesson.objects.filter(id=body["lessons"][1]["id"]).update(status="cancelled")
    with django_assert_max_num_queries(4):
        (series,) = client.get(f"{BASE}/lesson-series").json()
    assert series["recurrence"] == {
        "frequency": "weekly",
        "dayOfWeek": 1,
        "daysOfWeek": [1],
        "endDate": "2030-12-01T00:00:00.000Z",
    }
    assert (series["lessonsCount"], series["lessonsDone"], series["lessonsRemaining"]) == (3, 1, 2)
    assert series["students"] == [
        {"studentId": str(student.id), "firstName": "Иван", "lastName": "Иванов", "priceRub": 500}
    ]
    assert series["timeOfDay"] == "12:00" and series["subject"] is None
    for _ in range(5):
        create_lesson(client, studentIds=[str(student.id)], recurrence={"frequency": "weekly", "count": 2})
    with django_assert_max_num_queries(4):
        assert len(client.get(f"{BASE}/lesson-series").json()) == 6
