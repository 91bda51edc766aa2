from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from lessons.models import Lesson, LessonSeries, LessonStudent, SeriesStudent
from lessons.tests.calendar_helpers import BASE, create_lesson, rows_of, series_lessons, utc
from tutorcal import events

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured():
    """Domain events announced by the services: [(signal name, kwargs)]."""
    got = []
    names = {}
    for name in (
        "lesson_created",
        "lesson_updated",
        "lesson_cancelled",
        "lesson_deleted",
        "lesson_completed",
        "lesson_students_added",
    ):
        signal = getattr(events, name)
        names[id(signal)] = name

        def receiver(sender, signal=signal, **kwargs):
            got.append((names[id(signal)], kwargs))

        signal.connect(receiver, weak=False, dispatch_uid=f"test-{name}")
    yield got
    for name in names.values():
        getattr(events, name).disconnect(dispatch_uid=f"test-{name}")


def make_series(client, student_ids, *, start="2030-03-04T09:00:00Z", count=5, **extra):
    body = create_lesson(
        client,
        startAt=start,
        studentIds=[str(x) for x in student_ids],
        priceRub=1000,
        recurrence={"frequency": "weekly", "count": count},
        **extra,
    )
    return body["series"]["id"], [x["id"] for x in body["lessons"]]


def patch(client, lesson_id, body, scope=None):
    path = f"{BASE}/lessons/{lesson_id}" + (f"?applyToSeries={scope}" if scope else "")
    return client.patch(path, body, format="json")


# ------------------------------------------------------------------------------------------ edits


def test_editing_one_lesson_of_a_series_leaves_the_others(api, tutor, student):
    client = api(tutor)
    series_id, ids = make_series(client, [student.id])
    response = patch(client, ids[1], {"priceRub": 1500, "durationMinutes": 45}, "this")
    assert response.status_code == 200
    assert (response.json()["priceRub"], response.json()["durationMinutes"]) == (1500, 45)
    assert [x.price_rub for x in series_lessons(series_id)] == [1000, 1500, 1000, 1000, 1000]
    assert LessonSeries.objects.get(id=series_id).price_rub == 1000
    assert rows_of(ids[1])[student.id].price_rub == 1500  # the student's row followed the default price


def test_future_applies_safe_fields_to_this_and_later_and_stores_series_defaults(api, tutor, student):
    client = api(tutor)
    series_id, ids = make_series(client, [student.id])
    response = patch(
        client, ids[2], {"priceRub": 1200, "meetingUrl": "https://m.example.com/1", "teacherNote": "n"}, "future"
    )
    assert response.status_code == 200
    lessons = series_lessons(series_id)
    assert [x.price_rub for x in lessons] == [1000, 1000, 1200, 1200, 1200]
    assert [x.meeting_url for x in lessons][2:] == ["https://m.example.com/1"] * 3
    assert [x.teacher_note for x in lessons] == [None, None, "n", None, None]  # notes stay on this lesson
    series = LessonSeries.objects.get(id=series_id)
    assert (series.price_rub, series.meeting_url) == (1200, "https://m.example.com/1")


def test_a_time_shift_with_all_moves_every_lesson_by_the_wall_clock_offset_and_the_series(
    api, make_teacher, make_student, captured, django_capture_on_commit_callbacks
):
    tutor = make_teacher("Хельга", "Берлин", tz="Europe/Berlin")
    student = make_student("A", "A", teacher=tutor)
    client = api(tutor)
    series_id, ids = make_series(client, [student.id], start="2030-03-18T09:00:00Z", count=4)  # Mon 10:00 Berlin
    with django_capture_on_commit_callbacks(execute=True):
        # move the second lesson to Tuesday 11:30 local: +1 day 1h30 for everyone
        response = patch(client, ids[1], {"startAt": "2030-03-26T10:30:00Z"}, "all")
    assert response.status_code == 200
    berlin = ZoneInfo("Europe/Berlin")
    assert [x.start_at.astimezone(berlin).strftime("%a %H:%M") for x in series_lessons(series_id)] == ["Tue 11:30"] * 4
    series = LessonSeries.objects.get(id=series_id)
    assert (series.day_of_week, series.days_of_week, series.time_of_day) == (2, [2], "11:30")
    (name, kwargs), *_ = [c for c in captured if c[0] == "lesson_updated"]
    assert kwargs["moved"] is True and len(kwargs["lesson_ids"]) == 4
    assert kwargs["previous_start"][Lesson.objects.get(id=ids[0]).id] == utc(2030, 3, 18, 9)


def test_a_time_change_on_this_only_moves_this_lesson(api, tutor, student):
    client = api(tutor)
    series_id, ids = make_series(client, [student.id])
    patch(client, ids[0], {"startAt": "2030-03-04T12:00:00Z"})
    assert [x.start_at.hour for x in series_lessons(series_id)] == [12, 9, 9, 9, 9]
    assert LessonSeries.objects.get(id=series_id).time_of_day == "12:00"  # unchanged: 09:00Z is 12:00 Moscow


def test_series_operations_never_touch_past_done_or_cancelled_lessons(api, tutor, student):
    client = api(tutor)
    start = (timezone.now() - timedelta(days=14)).replace(microsecond=0)
    series_id, ids = make_series(client, [student.id], start=start.isoformat(), count=5)
    Lesson.objects.filter(id=ids[0]).update(status="done")
    Lesson.objects.filter(id=ids[1]).update(status="cancelled")
    response = patch(
        client, ids[3], {"startAt": (start + timedelta(days=21, hours=2)).isoformat(), "priceRub": 2000}, "all"
    )
    assert response.status_code == 200
    lessons = {str(x.id): x for x in series_lessons(series_id)}
    assert lessons[ids[0]].start_at == start and lessons[ids[0]].price_rub == 1000
    assert lessons[ids[1]].start_at == start + timedelta(days=7) and lessons[ids[1]].price_rub == 1000
    assert lessons[ids[2]].start_at == start + timedelta(days=14, hours=2)  # past but planned: moved
    assert lessons[ids[4]].start_at == start + timedelta(days=28, hours=2) and lessons[ids[4]].price_rub == 2000

    assert client.delete(f"{BASE}/lessons/{ids[3]}?applyToSeries=all").status_code == 200
    assert sorted(str(x.id) for x in series_lessons(series_id)) == sorted([ids[0], ids[1]])
    assert LessonSeries.objects.filter(id=series_id).exists()  # history still points at it


def test_an_unknown_apply_to_series_is_400_and_changes_nothing(api, tutor, student):
    client = api(tutor)
    series_id, ids = make_series(client, [student.id])
    response = patch(client, ids[0], {"priceRub": 1}, "everything")
    assert response.status_code == 400
    assert response.json()["message"] == "INVALID_APPLY_TO_SERIES"
    assert client.delete(f"{BASE}/lessons/{ids[0]}?applyToSeries=sometimes").status_code == 400
    assert [x.price_rub for x in series_lessons(series_id)] == [1000] * 5


def test_replacing_students_diffs_rows_and_keeps_the_state_of_kept_ones(
    api, tutor, student, make_student, captured, django_capture_on_commit_callbacks
):
    client = api(tutor)
    keep_paid, dropped, newcomer = (make_student(n, "X", teacher=tutor) for n in ("Кира", "Дима", "Нина"))
    lesson = create_lesson(client, studentIds=[str(student.id), str(keep_paid.id), str(dropped.id)], priceRub=900)
    LessonStudent.objects.filter(lesson_id=lesson["id"], student=keep_paid.profile).update(
        attendance="attended", rating=5, payment_status="paid"
    )
    before = rows_of(lesson["id"])
    with django_capture_on_commit_callbacks(execute=True):
        response = patch(client, lesson["id"], {"studentIds": [str(student.id), str(keep_paid.id), str(newcomer.id)]})
    assert response.status_code == 200
    after = rows_of(lesson["id"])
    assert set(after) == {student.id, keep_paid.id, newcomer.id}
    kept = after[keep_paid.id]
    assert (kept.id, kept.attendance, kept.rating, kept.payment_status) == (
        before[keep_paid.id].id,
        "attended",
        5,
        "paid",
    )
    assert after[newcomer.id].price_rub == 900
    added = [kw for name, kw in captured if name == "lesson_students_added"]
    assert [kw["student_ids"] for kw in added] == [[newcomer.id]]


def test_replacing_students_with_an_unlinked_one_is_403_and_atomic(api, tutor, student, stranger_student):
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)])
    response = patch(client, lesson["id"], {"studentIds": [str(stranger_student.id)], "priceRub": 5})
    assert response.status_code == 403
    assert response.json()["message"] == "STUDENT_NOT_LINKED"
    assert set(rows_of(lesson["id"])) == {student.id}
    assert Lesson.objects.get(id=lesson["id"]).price_rub == 0
    response = patch(client, lesson["id"], {"studentId": str(stranger_student.id)})
    assert response.status_code == 403


def test_replacing_students_on_a_series_future_updates_lessons_and_series_students(api, tutor, student, make_student):
    client = api(tutor)
    other = make_student("Ольга", "С", teacher=tutor)
    series_id, ids = make_series(client, [student.id])
    patch(client, ids[3], {"studentIds": [str(other.id)]}, "future")
    by_lesson = [set(rows_of(i)) for i in ids]
    assert by_lesson == [{student.id}] * 3 + [{other.id}] * 2
    assert set(SeriesStudent.objects.filter(series_id=series_id).values_list("student_id", flat=True)) == {other.id}


def test_making_a_lesson_free_normalises_its_rows_and_back(api, tutor, student):
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)], priceRub=700)
    body = patch(client, lesson["id"], {"isFree": True}).json()
    assert (body["priceRub"], body["students"][0]["priceRub"], body["students"][0]["paymentType"]) == (0, 0, "free")
    body = patch(client, lesson["id"], {"isFree": False, "priceRub": 800}).json()
    assert (body["priceRub"], body["students"][0]["priceRub"], body["students"][0]["paymentType"]) == (
        800,
        800,
        "fixed",
    )


def test_patch_sets_single_lesson_fields_and_the_report_is_write_once(
    api, tutor, student, captured, django_capture_on_commit_callbacks
):
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)])
    body = patch(
        client,
        lesson["id"],
        {"teacherNote": "hi", "lessonReport": "first", "rescheduledTo": "пт", "attendance": "x", "paymentStatus": "y"},
    ).json()
    assert (body["teacherNote"], body["lessonReport"], body["rescheduledTo"]) == ("hi", "first", "пт")
    assert body["teacherNoteUpdatedAt"] is not None
    assert patch(client, lesson["id"], {"lessonReport": "second"}).json()["lessonReport"] == "first"
    with django_capture_on_commit_callbacks(execute=True):
        body = patch(client, lesson["id"], {"status": "cancelled"}).json()
    assert (body["status"], body["cancelledBy"]) == ("cancelled", "teacher")
    cancelled = [kw for name, kw in captured if name == "lesson_cancelled"]
    assert cancelled[0]["student_ids"] == [student.id]
    body = patch(client, lesson["id"], {"status": "planned"}).json()
    assert (body["status"], body["cancelledBy"]) == ("planned", None)


@pytest.mark.parametrize(
    "body",
    [
        {"status": "rescheduled"},
        {"cancelledBy": "parent"},
        {"durationMinutes": 0},
        {"priceRub": -5},
        {"meetingUrl": "file:///etc/passwd"},
        {"subjectId": "zzz"},
        {"recurrence": {"frequency": "yearly"}},
        {"studentIds": ["1", "2"]},
    ],
)
def test_bad_patch_input_is_400_with_no_change(api, tutor, student, body):
    client = api(tutor)
    lesson = create_lesson(client, studentIds=[str(student.id)], priceRub=300)
    response = patch(client, lesson["id"], body)
    assert response.status_code == 400
    after = Lesson.objects.get(id=lesson["id"])
    assert (after.status, after.price_rub, after.duration_minutes, after.series_id) == ("planned", 300, 60, None)


# ------------------------------------------------------------------------------------------ convert


def test_converting_a_lesson_to_a_series_copies_students_and_fields(api, tutor, student, make_student):
    client = api(tutor)
    other = make_student("Ольга", "С", teacher=tutor)
    lesson = create_lesson(
        client,
        studentIds=[str(student.id), str(other.id)],
        priceRub=600,
        meetingUrl="https://meet.example.com/q",
        teacherNote="note",
    )
    LessonStudent.objects.filter(lesson_id=lesson["id"], student=other.profile).update(price_rub=450)
    response = patch(client, lesson["id"], {"recurrence": {"frequency": "weekly", "count": 3}})
    assert response.status_code == 200
    body = response.json()
    assert body["lessonsCreated"] == 3 and body["lessons"][0]["id"] == lesson["id"]
    assert body["series"]["frequency"] == "weekly"
    lessons = series_lessons(body["series"]["id"])
    assert len(lessons) == 3
    for item in lessons:
        assert (item.meeting_url, item.teacher_note, item.price_rub) == ("https://meet.example.com/q", "note", 600)
        rows = rows_of(item.id)
        assert (rows[student.id].price_rub, rows[other.id].price_rub) == (600, 450)
    assert SeriesStudent.objects.filter(series_id=body["series"]["id"]).count() == 2
    # a lesson already in a series ignores `recurrence`
    again = patch(client, lesson["id"], {"recurrence": {"frequency": "weekly", "count": 3}}).json()
    assert again["id"] == lesson["id"] and Lesson.objects.count() == 3


# ------------------------------------------------------------------------------------------ delete


def test_delete_this_future_and_all(api, tutor, student, captured, django_capture_on_commit_callbacks):
    client = api(tutor)
    series_id, ids = make_series(client, [student.id], count=6)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"{BASE}/lessons/{ids[5]}").json() == {"success": True}
    snapshot = next(kw for name, kw in captured if name == "lesson_deleted")["snapshots"][0]
    assert snapshot == {
        "id": ids[5],
        "startAt": "2030-04-08T09:00:00.000Z",
        "studentIds": [str(student.id)],
        "subjectName": None,
    }
    client.delete(f"{BASE}/lessons/{ids[3]}?applyToSeries=future")
    assert [str(x.id) for x in series_lessons(series_id)] == ids[:3]
    assert LessonSeries.objects.filter(id=series_id).exists()
    client.delete(f"{BASE}/lessons/{ids[1]}?applyToSeries=all")
    assert not Lesson.objects.exists() and not LessonSeries.objects.filter(id=series_id).exists()


def test_delete_is_404_for_strangers_and_malformed_ids(api, tutor, stranger_tutor, student):
    lesson = create_lesson(api(tutor), studentIds=[str(student.id)])
    assert api(stranger_tutor).delete(f"{BASE}/lessons/{lesson['id']}?applyToSeries=all").status_code == 404
    assert api(tutor).delete(f"{BASE}/lessons/123").json()["message"] == "LESSON_NOT_FOUND"
    assert Lesson.objects.filter(id=lesson["id"]).exists()
