"""ICS preview + import through the API (reference §2.6/§3.12 with the fixes of issue 13)."""

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lessons.models import Lesson, LessonSeries, LessonStudent, Subject
from tutorcal.errors import DomainError

PREVIEW = "/api/teachers/me/calendar/preview"
IMPORT = "/api/teachers/me/calendar/import"
FIXTURE = (Path(__file__).parent / "fixtures" / "google_export.ics").read_text()
WINDOW = {"fromDate": "2027-01-01", "toDate": "2027-06-30"}
MATH = "7kq3ldc0v1m0lrn0k0gq0i2n7c@google.com"
ENGLISH = "2b9s8o0f1q3v4k5l6m7n8p9q0r@google.com"
TRIAL = "0a1b2c3d4e5f6g7h8i9j0k1l2m@google.com"


def preview(client, content=FIXTURE, **extra):
    return client.post(PREVIEW, {"content": content, **WINDOW, **extra}, format="json")


def import_(client, events, content=FIXTURE):
    return client.post(IMPORT, {"content": content, **WINDOW, "events": events}, format="json")


def uids_of(client, original=None):
    events = preview(client).json()["events"]
    return [e["uid"] for e in events if original is None or e.get("originalUid", e["uid"]) == original]


def ics(*events: str) -> str:
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n"


def vevent(uid: str, start: str, end: str, extra: str = "", summary: str = "Урок") -> str:
    return f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:{summary}\r\n{extra}END:VEVENT\r\n"


# ---------------------------------------------------------------------------------------------- preview


def test_preview_of_a_google_export_applies_exdate_override_timezones_and_all_day(api, tutor):
    response = preview(api(tutor))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"events", "subjects", "totalEvents", "hasRecurringEvents"}
    events = {e["uid"]: e for e in body["events"]}
    math = [e for e in body["events"] if e.get("originalUid") == MATH]
    # COUNT=10 Mon/Wed minus one EXDATE (Wed 20 Jan); the 25 Jan occurrence moved to Tue 26 Jan 18:00 Moscow.
    assert len(math) == 9
    assert not any(e["startAt"].startswith("2027-01-20") for e in math)
    moved = events[f"{MATH}_2027-01-25T13:00:00.000Z"]
    assert moved["startAt"] == "2027-01-26T15:00:00.000Z"
    assert moved["description"] == "Алгебра, 9 класс (перенос)"
    # America/New_York 10:00 stays 10:00 local across the US DST change (15:00Z in winter, 14:00Z after).
    english = [e["startAt"] for e in body["events"] if e.get("originalUid") == ENGLISH]
    assert english[0] == "2027-01-08T15:00:00.000Z" and english[-1] == "2027-04-30T14:00:00.000Z"
    assert len(english) == 9  # biweekly from 8 Jan until 30 Apr
    holiday = events["allday-holiday-20270215@google.com"]
    assert holiday["allDay"] is True and holiday["startAt"] == "2027-02-14T21:00:00.000Z"  # Moscow midnight
    assert holiday["durationMinutes"] == 1440
    trial = events[TRIAL]
    assert trial == {
        "uid": TRIAL,
        "title": "Пробный урок",
        "description": "Пробный урок: знакомство\nЦели и план",
        "startAt": "2027-01-14T12:00:00.000Z",
        "endAt": "2027-01-14T12:30:00.000Z",
        "durationMinutes": 30,
        "location": "https://zoom.us/j/1234567890",
        "isRecurring": False,
        "allDay": False,
        "alreadyImported": False,
    }
    assert "cancelled-one@google.com" not in events  # STATUS:CANCELLED is not a lesson
    assert body["hasRecurringEvents"] is True and body["totalEvents"] == len(body["events"])
    starts = [e["startAt"] for e in body["events"]]
    assert starts == sorted(starts)


def test_preview_suggests_an_active_subject_and_lists_only_active_subjects(api, tutor):
    math = Subject.objects.create(teacher=tutor.profile, name="Математика", code="math", color_hex="#2563EB")
    Subject.objects.create(
        teacher=tutor.profile, name="Старый", code="old", color_hex="#2563EB", archived_at=datetime.now(UTC)
    )
    body = preview(api(tutor)).json()
    assert body["subjects"] == [{"id": str(math.id), "name": "Математика"}]
    first_math = next(e for e in body["events"] if e.get("originalUid") == MATH)
    assert first_math["suggestedSubjectId"] == str(math.id)
    assert first_math["suggestedSubjectName"] == "Математика"


def test_preview_without_url_and_content_is_400_with_the_reference_message(api, tutor):
    response = api(tutor).post(PREVIEW, {}, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == "Укажите URL или содержимое файла"
    response = api(tutor).post(IMPORT, {"url": "", "content": "", "events": [{"uid": "x"}]}, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == "Укажите URL или содержимое файла"


@pytest.mark.parametrize(
    "garbage",
    ["hello world", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:nonsense\r\n", "BEGIN:VCARD\r\nEND:VCARD\r\n"],
)
def test_garbage_ics_is_400_with_a_readable_message(api, tutor, garbage):
    response = preview(api(tutor), content=garbage)
    assert response.status_code == 400
    message = response.json()["message"]
    assert isinstance(message, list) and message[0].startswith("ICS_INVALID: ")


def test_an_event_with_an_unreadable_date_is_skipped_not_a_500(api, tutor):
    content = ics(
        vevent("good@x", "20270110T100000Z", "20270110T110000Z"),
        "BEGIN:VEVENT\r\nUID:bad@x\r\nDTSTART:2027-99-99\r\nSUMMARY:x\r\nEND:VEVENT\r\n",
    )
    response = preview(api(tutor), content=content)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert [e["uid"] for e in response.json()["events"]] == ["good@x"]


def test_an_ics_bomb_of_a_million_daily_occurrences_is_capped_by_the_window_and_fast(api, tutor):
    bomb = ics(vevent("bomb@x", "20270101T100000Z", "20270101T110000Z", "RRULE:FREQ=DAILY;COUNT=1000000\r\n"))
    started = time.perf_counter()
    response = preview(api(tutor), content=bomb)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert response.json()["totalEvents"] == 181  # 1 Jan … 30 Jun 2027
    assert elapsed < 20  # a guard against expanding a million occurrences; speed is measured in bench/


@pytest.mark.parametrize(
    "rule",
    [
        "RRULE:FREQ=SECONDLY;COUNT=1000000\r\n",
        "RRULE:FREQ=MINUTELY\r\n",
    ],
)
def test_sub_daily_rules_are_refused_before_expansion(api, tutor, rule):
    started = time.perf_counter()
    response = preview(api(tutor), content=ics(vevent("b@x", "20270101T100000Z", "20270101T110000Z", rule)))
    assert response.status_code == 400
    assert response.json()["message"][0].startswith("ICS_INVALID: recurrence FREQ=")
    assert time.perf_counter() - started < 20  # a guard against iterating the rule, not a speed target


def test_explosive_rules_are_refused_without_iterating_them(api, tutor):
    # One rule started in year 1000 with 24 × 60 occurrences a day: ~10^9 rule steps before the window.
    rule = "RRULE:FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24))) + ";BYMINUTE=" + ",".join(map(str, range(60)))
    content = ics(vevent("b@x", "10000101T000000Z", "10000101T000100Z", rule + "\r\n"))
    started = time.perf_counter()
    response = preview(api(tutor), content=content)
    assert response.status_code == 400 and response.json()["message"] == "ICS_TOO_MANY_EVENTS"
    assert time.perf_counter() - started < 20  # a guard against iterating the rule, not a speed target


def test_more_than_2000_events_in_the_window_is_refused(api, tutor):
    events = [
        vevent(f"e{i}@x", f"2027010{1 + i % 9}T1{i % 10}0000Z", f"2027010{1 + i % 9}T1{i % 10}3000Z")
        for i in range(2001)
    ]
    response = preview(api(tutor), content=ics(*events))
    assert response.status_code == 400 and response.json()["message"] == "ICS_TOO_MANY_EVENTS"


def test_content_over_2_mb_is_refused(api, tutor):
    filler = "X-FILLER:" + "a" * 70 + "\r\n"
    big = ics(vevent("big@x", "20270101T100000Z", "20270101T110000Z", filler * 30_000))
    response = preview(api(tutor), content=big)
    # The 2 MB body cap answers before the view (tutorcal's body middleware); a URL body is capped in fetch.py.
    assert response.status_code == 413 and response.json()["message"] == "REQUEST_TOO_LARGE"


def test_parse_refuses_more_than_2_mb_of_text():
    from lessons.calendars.ics_parse import parse_ics

    with pytest.raises(DomainError) as info:
        parse_ics(
            b"x" * (2 * 1024 * 1024 + 1),
            start=datetime(2027, 1, 1, tzinfo=UTC),
            end=datetime(2027, 2, 1, tzinfo=UTC),
            tz="UTC",
        )
    assert info.value.code == "ICS_TOO_LARGE"


def test_window_is_validated(api, tutor):
    assert preview(api(tutor), fromDate="2027-06-01", toDate="2027-01-01").json()["message"] == "INVALID_DATE_RANGE"
    assert preview(api(tutor), fromDate="2027-01-01", toDate="2030-01-01").json()["message"] == "RANGE_TOO_LARGE"
    assert preview(api(tutor), fromDate="soon").status_code == 400


def test_only_teachers_can_preview(api, student):
    assert api(student).post(PREVIEW, {"content": FIXTURE}, format="json").status_code == 403
    assert api().post(PREVIEW, {"content": FIXTURE}, format="json").status_code == 401


# ---------------------------------------------------------------------------------------------- import


def test_import_creates_series_with_real_days_and_reimport_never_duplicates(api, tutor, student):
    client = api(tutor)
    all_uids = uids_of(client)
    requests = [
        {"uid": uid, "autoCreateSubject": True, "studentIds": [str(student.id)], "priceRub": 1500} for uid in all_uids
    ]
    response = import_(client, requests)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body == {"imported": len(all_uids), "updated": 0, "skipped": 0, "errors": [], "seriesCreated": 2}
    math_series = LessonSeries.objects.get(
        lessons__source_uid=MATH, lessons__start_at__lt=datetime(2027, 1, 12, tzinfo=UTC)
    )
    assert (math_series.frequency, math_series.days_of_week) == ("weekly", [1, 2, 3])  # the moved Tuesday included
    assert math_series.time_of_day == "16:00" and math_series.lessons.count() == 9
    english = LessonSeries.objects.get(
        lessons__source_uid=ENGLISH, lessons__start_at__lt=datetime(2027, 1, 9, tzinfo=UTC)
    )
    assert (english.frequency, english.days_of_week) == ("biweekly", [5])  # Friday in Moscow too
    # A monthly rule is not expressible in our weekly engine: its lessons are one-offs.
    assert not Lesson.objects.filter(source_uid="monthly-parents@google.com", series__isnull=False).exists()
    trial = Lesson.objects.get(source_uid=TRIAL)
    assert trial.meeting_url == "https://zoom.us/j/1234567890" and trial.import_source == "ics"
    assert trial.teacher_note == "Пробный урок: знакомство\nЦели и план" and trial.duration_minutes == 30
    row = LessonStudent.objects.get(lesson=trial)
    assert (row.student_id, row.price_rub, row.payment_type) == (student.id, 1500, "fixed")
    assert Subject.objects.filter(teacher=tutor.profile).count() == 5  # one per distinct title
    total = Lesson.objects.count()

    again = import_(client, requests).json()
    assert again == {"imported": 0, "updated": 0, "skipped": len(all_uids), "errors": [], "seriesCreated": 0}
    assert Lesson.objects.count() == total
    assert Subject.objects.filter(teacher=tutor.profile).count() == 5
    assert all(e["alreadyImported"] for e in preview(client).json()["events"])


def test_reimport_follows_an_event_moved_at_the_source(api, tutor):
    client = api(tutor)
    original = ics(vevent("m@x", "20270110T100000Z", "20270110T110000Z"))
    assert import_(client, [{"uid": "m@x"}], content=original).json()["imported"] == 1
    moved = ics(vevent("m@x", "20270111T120000Z", "20270111T133000Z"))
    assert import_(client, [{"uid": "m@x"}], content=moved).json() == {
        "imported": 0,
        "updated": 1,
        "skipped": 0,
        "errors": [],
        "seriesCreated": 0,
    }
    lesson = Lesson.objects.get(source_uid="m@x")
    assert lesson.start_at == datetime(2027, 1, 11, 12, tzinfo=UTC) and lesson.duration_minutes == 90


def test_new_occurrences_of_an_imported_series_join_that_series(api, tutor):
    client = api(tutor)
    math = uids_of(client, MATH)
    import_(client, [{"uid": u} for u in math[:4]])
    series_id = set(Lesson.objects.filter(source_uid=MATH).values_list("series_id", flat=True))
    assert len(series_id) == 1 and None not in series_id
    assert import_(client, [{"uid": u} for u in math]).json()["imported"] == 5
    assert set(Lesson.objects.filter(source_uid=MATH).values_list("series_id", flat=True)) == series_id


def test_price_zero_imports_free_lessons(api, tutor, student):
    import_(api(tutor), [{"uid": TRIAL, "studentIds": [str(student.id)]}])
    lesson = Lesson.objects.get(source_uid=TRIAL)
    assert lesson.is_free is True
    assert LessonStudent.objects.get(lesson=lesson).payment_type == "free"


def test_a_uid_not_in_the_source_is_reported_and_the_rest_imports(api, tutor):
    body = import_(api(tutor), [{"uid": "nope@x"}, {"uid": TRIAL}]).json()
    assert body["imported"] == 1 and body["skipped"] == 1
    assert body["errors"] == ["Событие nope@x не найдено"]


def test_a_foreign_or_archived_subject_skips_its_events_with_an_error(api, tutor, stranger_tutor):
    foreign = Subject.objects.create(teacher=stranger_tutor.profile, name="Чужой", code="f", color_hex="#2563EB")
    archived = Subject.objects.create(
        teacher=tutor.profile, name="Архив", code="a", color_hex="#2563EB", archived_at=datetime.now(UTC)
    )
    math = uids_of(api(tutor), MATH)
    body = import_(
        api(tutor),
        [{"uid": TRIAL, "subjectId": str(foreign.id)}]
        + [{"uid": u, "subjectId": str(archived.id)} for u in math]
        + [{"uid": "allday-holiday-20270215@google.com"}],
    ).json()
    assert body["imported"] == 1 and body["skipped"] == 1 + len(math)
    assert body["errors"] == ['Предмет не найден для "Пробный урок"', 'Предмет не найден для "Математика"']
    assert not Lesson.objects.filter(subject__in=[foreign, archived]).exists()


def test_an_unlinked_student_refuses_the_whole_import(api, tutor, student, stranger_student):
    response = import_(
        api(tutor),
        [
            {"uid": TRIAL, "studentIds": [str(student.id)]},
            {"uid": uids_of(api(tutor), MATH)[0], "studentIds": [str(stranger_student.id)]},
        ],
    )
    assert response.status_code == 403 and response.json()["message"] == "STUDENT_NOT_LINKED"
    assert not Lesson.objects.exists()  # nothing half-written


def test_auto_created_subjects_get_unique_codes(api, tutor):
    Subject.objects.create(teacher=tutor.profile, name="Алгебра", code="matematika", color_hex="#2563EB")
    content = ics(
        vevent("a@x", "20270110T100000Z", "20270110T110000Z", summary="Математика"),
        vevent("b@x", "20270111T100000Z", "20270111T110000Z", summary="Матанализ"),
        vevent("c@x", "20270112T100000Z", "20270112T110000Z", summary="математика"),
    )
    body = import_(api(tutor), [{"uid": u, "autoCreateSubject": True} for u in ("a@x", "b@x", "c@x")], content=content)
    assert body.json()["imported"] == 3
    codes = dict(Subject.objects.filter(teacher=tutor.profile).values_list("name", "code"))
    assert codes == {"Алгебра": "matematika", "Математика": "matematika_2", "Матанализ": "matanaliz"}
    # "математика" reused the subject created earlier in the same import (case-insensitive).
    assert Lesson.objects.get(source_uid="c@x").subject.name == "Математика"


def test_import_body_is_validated(api, tutor):
    client = api(tutor)
    for body in (
        {"content": FIXTURE},
        {"content": FIXTURE, "events": []},
        {"content": FIXTURE, "events": [{"uid": TRIAL, "studentIds": ["not-a-uuid"]}]},
        {"content": FIXTURE, "events": [{"uid": TRIAL, "priceRub": -1}]},
        {"content": FIXTURE, "events": "x"},
    ):
        response = client.post(IMPORT, body, format="json")
        assert response.status_code == 400, body


def test_import_does_not_send_a_new_lesson_message_per_lesson(api, tutor, student, django_capture_on_commit_callbacks):
    from tutorcal import events

    seen = []

    def on_created(sender, **kwargs):
        seen.append(("created", kwargs))

    def on_imported(sender, **kwargs):
        seen.append(("imported", kwargs))

    events.lesson_created.connect(on_created)
    events.calendar_imported.connect(on_imported)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            import_(api(tutor), [{"uid": u, "studentIds": [str(student.id)]} for u in uids_of(api(tutor), MATH)])
    finally:
        events.lesson_created.disconnect(on_created)
        events.calendar_imported.disconnect(on_imported)
    assert [name for name, _ in seen] == ["imported"]
    assert seen[0][1]["imported"] == 9 and seen[0][1]["teacher_id"] == tutor.profile.id


def test_only_a_single_http_url_location_becomes_the_meeting_link(api, tutor):
    content = ics(
        vevent("u1@x", "20270110T100000Z", "20270110T110000Z", "LOCATION:https://zoom.us/j/1\r\n"),
        vevent("u2@x", "20270111T100000Z", "20270111T110000Z", "LOCATION:https://zoom.us/j/1 или кабинет 5\r\n"),
        vevent("u3@x", "20270112T100000Z", "20270112T110000Z", "LOCATION:Skype: tutor\r\n"),
    )
    import_(api(tutor), [{"uid": u} for u in ("u1@x", "u2@x", "u3@x")], content=content)
    links = dict(Lesson.objects.values_list("source_uid", "meeting_url"))
    assert links == {"u1@x": "https://zoom.us/j/1", "u2@x": None, "u3@x": None}


def test_preview_query_count_is_the_same_for_1_and_23_events(api, tutor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(tutor)
    one = ics(vevent("one@x", "20270110T100000Z", "20270110T110000Z"))
    preview(client, content=one)  # warm caches (sessions)
    with CaptureQueriesContext(connection) as small:
        assert preview(client, content=one).json()["totalEvents"] == 1
    with CaptureQueriesContext(connection) as big:
        assert preview(client).json()["totalEvents"] == 23
    assert len(small) == len(big)


def test_truncated_or_mangled_exports_never_answer_500(api, tutor):
    client = api(tutor)
    lines = FIXTURE.split("\r\n")
    variants = [FIXTURE[:cut] for cut in range(0, len(FIXTURE), 211)]
    variants += ["\r\n".join(lines[:i] + lines[i + 1 :]) for i in range(0, len(lines), 3)]  # one line dropped
    variants += [FIXTURE.replace("20270111T160000", "2027-01-11"), FIXTURE.replace("RRULE:FREQ=WEEKLY", "RRULE:FREQ=")]
    statuses = {preview(client, content=v).status_code for v in variants}
    assert statuses <= {200, 400}, statuses
