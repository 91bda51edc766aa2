"""The private ICS feed: URL, rotation, RFC 5545 essentials (parsed back with icalendar), per-role shape,
cancellations, SEQUENCE, conditional GET and a constant query budget."""

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import CalendarFeed, ParentStudentRelation
from lessons.models import Lesson, LessonStudent, Subject

FEED = "/api/calendar/feed"


def add_lesson(tutor, students=(), *, days=1, status="planned", subject=None, meeting_url=None, minutes=60):
    start = (timezone.now() + timedelta(days=days)).replace(microsecond=0)
    lesson = Lesson.objects.create(
        teacher=tutor.profile,
        start_at=start,
        duration_minutes=minutes,
        status=status,
        subject=subject,
        meeting_url=meeting_url,
    )
    for student in students:
        LessonStudent.objects.create(lesson=lesson, student=student.profile, price_rub=1000)
    return lesson


def feed_path(api, persona) -> str:
    response = api(persona).get(FEED)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["role"] == persona.role and body["webcalUrl"].startswith("webcal://")
    return body["url"].removeprefix("http://testserver")


def events_of(response) -> dict:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_tutor_feed_is_a_valid_rfc5545_calendar(api, client, tutor, student):
    math = Subject.objects.create(teacher=tutor.profile, name="Математика", code="m", color_hex="#2563EB")
    lesson = add_lesson(tutor, [student], subject=math, meeting_url="https://meet.example/abc")
    response = client.get(feed_path(api, tutor))
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0" and str(calendar["PRODID"]).startswith("-//Tutor Calendar")
    events = events_of(response)
    event = events[f"{lesson.id}@tutorcal"]
    for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "SEQUENCE", "STATUS"):
        assert prop in event, prop
    assert event.decoded("DTSTART") == lesson.start_at
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=60)
    assert event.decoded("DTSTAMP").tzinfo is not None  # UTC, as RFC 5545 requires
    assert str(event["SUMMARY"]) == "Математика — Иван Иванов"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "https://meet.example/abc"
    assert "https://meet.example/abc" in str(event["DESCRIPTION"])
    # Lines are CRLF-terminated and folded at 75 octets.
    assert all(len(line) <= 75 for line in response.content.split(b"\r\n"))
    assert response["ETag"] and response["Last-Modified"]


def test_window_is_30_days_back_to_180_ahead(api, client, tutor):
    inside = [add_lesson(tutor, days=-29), add_lesson(tutor, days=179)]
    add_lesson(tutor, days=-31)
    add_lesson(tutor, days=181)
    events = events_of(client.get(feed_path(api, tutor)))
    assert set(events) == {f"{x.id}@tutorcal" for x in inside}


def test_cancelled_lessons_stay_as_status_cancelled_and_sequence_grows_on_change(api, client, tutor):
    lesson = add_lesson(tutor)
    path = feed_path(api, tutor)
    first = events_of(client.get(path))[f"{lesson.id}@tutorcal"]
    Lesson.objects.filter(id=lesson.id).update(status="cancelled", updated_at=lesson.updated_at + timedelta(seconds=5))
    second = events_of(client.get(path))[f"{lesson.id}@tutorcal"]
    assert str(second["STATUS"]) == "CANCELLED"
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    assert second.decoded("DTSTAMP") > first.decoded("DTSTAMP")


def test_etag_and_last_modified_answer_304_until_something_changes(api, client, tutor):
    lesson = add_lesson(tutor)
    path = feed_path(api, tutor)
    first = client.get(path)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    lesson.delete()  # a deletion leaves no newer timestamp behind; the feed must still change
    changed = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=modified).status_code == 200  # even within the same second
    assert changed["Last-Modified"] != modified
    assert events_of(changed) == {}


def test_a_student_sees_only_their_own_lessons_and_never_other_students(api, client, tutor, student, make_student):
    other = make_student("Пётр", "Другой", teacher=tutor)
    group = add_lesson(tutor, [student, other])
    add_lesson(tutor, [other], days=2)  # not theirs
    events = events_of(client.get(feed_path(api, student)))
    assert set(events) == {f"{group.id}@tutorcal"}
    text = client.get(feed_path(api, student)).content.decode()
    assert "Пётр" not in text and "Другой" not in text
    assert str(events[f"{group.id}@tutorcal"]["SUMMARY"]) == "Занятие — Анна Петрова"


def test_a_student_who_cancelled_their_place_sees_it_cancelled(api, client, tutor, student):
    lesson = add_lesson(tutor, [student])
    LessonStudent.objects.filter(lesson=lesson).update(attendance="cancelled")
    events = events_of(client.get(feed_path(api, student)))
    assert str(events[f"{lesson.id}@tutorcal"]["STATUS"]) == "CANCELLED"


def test_a_parent_sees_their_childrens_lessons_with_related_tutors_only(
    api, client, tutor, student, parent, stranger_tutor, make_student
):
    own = add_lesson(tutor, [student])
    # The child also studies with a tutor the parent is not related through: not in the parent's feed.
    from accounts.models import TeacherStudentLink

    TeacherStudentLink.objects.create(teacher=stranger_tutor.profile, student=student.profile)
    add_lesson(stranger_tutor, [student])
    sibling_classmate = make_student("Чужой", "Ребёнок", teacher=tutor)
    add_lesson(tutor, [sibling_classmate], days=3)
    events = events_of(client.get(feed_path(api, parent)))
    assert set(events) == {f"{own.id}-{student.id}@tutorcal"}
    assert str(events[f"{own.id}-{student.id}@tutorcal"]["SUMMARY"]) == "Иван Иванов: Занятие — Анна Петрова"


def test_a_parent_without_children_gets_an_empty_valid_calendar(api, client, parent):
    ParentStudentRelation.objects.all().delete()
    assert events_of(client.get(feed_path(api, parent))) == {}


def test_rotate_replaces_the_url_and_the_old_one_is_404(api, client, tutor):
    old = feed_path(api, tutor)
    assert feed_path(api, tutor) == old  # stable until rotated
    response = api(tutor).post(f"{FEED}/rotate")
    assert response.status_code == 200
    new = response.json()["url"].removeprefix("http://testserver")
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(old).json()["message"] == "FEED_NOT_FOUND"
    assert client.get(new).status_code == 200
    assert feed_path(api, tutor) == new


def test_the_database_holds_only_a_hash_of_the_token(api, tutor):
    token = feed_path(api, tutor).removeprefix("/api/calendar/").removesuffix(".ics")
    row = CalendarFeed.objects.get(user=tutor.user)
    assert token not in (row.token_hash, row.nonce) and len(row.token_hash) == 64


def test_feeds_are_per_role(api, client, tutor, make_student):
    from accounts.models import StudentProfile

    StudentProfile.objects.create(user=tutor.user)  # the tutor is also someone's student
    from conftest import Persona

    as_student = Persona(tutor.user, "student", tutor.user.student_profile)
    assert feed_path(api, tutor) != feed_path(api, as_student)


@pytest.mark.parametrize("token", ["nope", "x" * 43, "a" * 300])
def test_an_unknown_token_is_404(client, token, db):
    assert client.get(f"/api/calendar/{token}.ics").status_code == 404


def test_a_deleted_or_deactivated_account_feed_is_404(api, client, tutor):
    path = feed_path(api, tutor)
    tutor.user.deleted_at = datetime.now(UTC)
    tutor.user.save()
    assert client.get(path).status_code == 404
    tutor.user.deleted_at = None
    tutor.user.is_active = False
    tutor.user.save()
    assert client.get(path).status_code == 404


def test_feed_url_needs_a_jwt_with_a_profile(api, db):
    assert api().get(FEED).status_code == 401
    assert api().post(f"{FEED}/rotate").status_code == 401


@pytest.mark.parametrize("role", ["teacher", "student", "parent"])
def test_feed_query_count_is_the_same_for_1_and_n_lessons(api, client, tutor, student, parent, make_student, role):
    persona = {"teacher": tutor, "student": student, "parent": parent}[role]
    path = feed_path(api, persona)
    math = Subject.objects.create(teacher=tutor.profile, name="Математика", code="m", color_hex="#2563EB")
    add_lesson(tutor, [student], subject=math)
    with CaptureQueriesContext(connection) as one:
        assert len(events_of(client.get(path))) == 1
    others = [make_student(f"S{i}", teacher=tutor) for i in range(3)]
    for i in range(12):
        add_lesson(tutor, [student, *others], days=i + 2, subject=math if i % 2 else None)
    with CaptureQueriesContext(connection) as many:
        assert len(events_of(client.get(path))) == 13
    assert len(many) == len(one) <= 5, [q["sql"] for q in many.captured_queries]


def test_text_is_escaped_and_long_lines_folded_so_parsers_read_back_the_exact_values(api, client, tutor, make_student):
    name = "Русский язык; сочинения, диктанты \\ ЕГЭ " + "очень длинное название " * 6
    subject = Subject.objects.create(teacher=tutor.profile, name=name[:100], code="ru", color_hex="#2563EB")
    pupil = make_student("Анна-Мария", "О'Нил, мл.", teacher=tutor)
    lesson = add_lesson(tutor, [pupil], subject=subject, meeting_url="https://meet.example/a,b;c")
    response = client.get(feed_path(api, tutor))
    assert all(len(line) <= 75 for line in response.content.split(b"\r\n"))
    event = events_of(response)[f"{lesson.id}@tutorcal"]
    assert str(event["SUMMARY"]) == f"{name[:100]} — Анна-Мария О'Нил, мл."
    assert str(event["LOCATION"]) == "https://meet.example/a,b;c"
    assert str(event["DESCRIPTION"]) == "Ученики: Анна-Мария О'Нил, мл.\nСсылка на занятие: https://meet.example/a,b;c"
