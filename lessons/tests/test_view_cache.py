"""The per-profile view cache (tutorcal.viewcache) on the teacher's calendar, the students list and the student's
calendar: every write that changes what a view shows moves the profile's stamp (database triggers), so a cached
body is never served after such a write; ETag / If-None-Match answers 304 while the body is current.

These tests switch VIEW_CACHE_VERIFY off (the rest of the suite keeps it on, re-rendering on every hit): here the
cache alone must give the fresh answer."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import TeacherStudentLink, User
from lessons.models import Lesson, LessonStudent, Subject, ViewStamp, WaitlistEntry
from lessons.selectors.stamps import profile_stamp
from lessons.services.stamps import view_stamps_compact
from lessons.tests.calendar_helpers import BASE, QueryCounter, create_lesson
from subscriptions.models import Subscription

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="stamps are kept by PostgreSQL triggers"),
]

MONTH = {"from": "2030-03-01", "to": "2030-03-31"}
STUDENT_LESSONS = "/api/students/me/lessons"
STUDENTS = f"{BASE}/students"


@pytest.fixture(autouse=True)
def _cache_alone(settings):
    settings.VIEW_CACHE_VERIFY = False
    settings.VIEW_CACHE_SECONDS = 3600


@pytest.fixture
def lesson(api, tutor, student, make_student):
    other = make_student("Олег", "Второй", teacher=tutor)
    body = create_lesson(api(tutor), studentIds=[str(student.id), str(other.id)], startAt="2030-03-04T09:00:00Z")
    return {"id": body["id"], "other": other}


def _views(api, tutor, student) -> dict:
    """Each cached view's current body, as its owner sees it."""
    return {
        "teacher-lessons": api(tutor).get(f"{BASE}/lessons", MONTH).json(),
        "teacher-students": api(tutor).get(STUDENTS).json(),
        "student-lessons": api(student).get(STUDENT_LESSONS, MONTH).json(),
    }


def _lesson_of(body: list, lesson_id: str) -> dict:
    return next(x for x in body if x["id"] == lesson_id)


def _row_of(views: dict, lesson: dict, student) -> dict:
    """The student's row in the lesson on the teacher's calendar."""
    rows = _lesson_of(views["teacher-lessons"], lesson["id"])["students"]
    return next(s for s in rows if s["studentId"] == str(student.id))


def _card_of(body: dict, student) -> dict:
    return next(x for x in body["students"] if x["studentId"] == str(student.id))


# (name, the write, what each view must show afterwards). Writes go through the API where one exists, and
# through bare ORM / queryset updates (admin, worker, shell paths) to show that no path can skip the stamp.
def _teacher_note(api, tutor, student, lesson):
    api(tutor).patch(f"{BASE}/lessons/{lesson['id']}", {"teacherNote": "принести тетрадь"}, format="json")
    return lambda views: (
        _lesson_of(views["teacher-lessons"], lesson["id"])["teacherNote"] == "принести тетрадь"
        and _lesson_of(views["student-lessons"], lesson["id"])["teacherNote"] == "принести тетрадь"
    )


def _payment(api, tutor, student, lesson):
    url = f"{BASE}/lessons/{lesson['id']}/students/{student.id}"
    assert api(tutor).patch(url, {"paymentStatus": "paid"}, format="json").status_code == 200
    return lambda views: (
        _row_of(views, lesson, student)["paymentStatus"] == "paid"
        and _lesson_of(views["student-lessons"], lesson["id"])["paymentStatus"] == "paid"
    )


def _complete(api, tutor, student, lesson):
    entries = [{"studentId": str(student.id), "attendance": "attended"}]
    entries.append({"studentId": str(lesson["other"].id), "attendance": "missed"})
    assert (
        api(tutor).patch(f"{BASE}/lessons/{lesson['id']}/complete", {"students": entries}, format="json").status_code
        == 200
    )
    return lambda views: (
        _lesson_of(views["teacher-lessons"], lesson["id"])["status"] == "done"
        and _card_of(views["teacher-students"], student)["stats"]["totalLessonsAttended"] == 1
        and _lesson_of(views["student-lessons"], lesson["id"])["attendance"] == "attended"
    )


def _other_student_removed(api, tutor, student, lesson):
    url = f"{BASE}/lessons/{lesson['id']}/students/{lesson['other'].id}"
    assert api(tutor).delete(url).status_code in (200, 204)
    # The student's calendar counts the others in the lesson: a removal of someone else must reach it too.
    return lambda views: _lesson_of(views["student-lessons"], lesson["id"])["totalStudentsCount"] == 1


def _student_cancels(api, tutor, student, lesson):
    response = api(student).post(f"{STUDENT_LESSONS}/{lesson['id']}/cancel", {}, format="json")
    assert response.status_code == 201, response.json()
    return lambda views: (
        _row_of(views, lesson, student)["attendance"] == "cancelled"
        and _lesson_of(views["student-lessons"], lesson["id"])["attendance"] == "cancelled"
    )


def _student_note(api, tutor, student, lesson):
    url = f"{STUDENT_LESSONS}/{lesson['id']}"
    assert api(student).patch(url, {"studentNoteForTeacher": "опоздаю"}, format="json").status_code == 200
    return lambda views: (
        _lesson_of(views["student-lessons"], lesson["id"])["studentNoteForTeacher"] == "опоздаю"
        and _row_of(views, lesson, student)["studentNoteForTeacher"] == "опоздаю"
    )


def _lesson_deleted(api, tutor, student, lesson):
    assert api(tutor).delete(f"{BASE}/lessons/{lesson['id']}").status_code in (200, 204)
    return lambda views: (
        all(x["id"] != lesson["id"] for x in views["teacher-lessons"])
        and all(x["id"] != lesson["id"] for x in views["student-lessons"])
        and _card_of(views["teacher-students"], student)["nextLessonAt"] is None
    )


def _lesson_added(api, tutor, student, lesson):
    create_lesson(api(tutor), studentIds=[str(student.id)], startAt="2030-03-11T09:00:00Z")
    return lambda views: len(views["teacher-lessons"]) == 2 and len(views["student-lessons"]) == 2


def _subject_renamed(api, tutor, student, lesson):
    subject = Subject.objects.create(teacher=tutor.profile, name="Алгебра", color_hex="#112233")
    Lesson.objects.filter(id=lesson["id"]).update(subject=subject)  # a bulk update: no signal, no service
    _views(api, tutor, student)  # cached again, with the old name
    assert api(tutor).patch(f"{BASE}/subjects/{subject.id}", {"name": "Геометрия"}, format="json").status_code == 200
    return lambda views: (
        _lesson_of(views["teacher-lessons"], lesson["id"])["subject"]["name"] == "Геометрия"
        and _lesson_of(views["student-lessons"], lesson["id"])["subject"]["name"] == "Геометрия"
        and _card_of(views["teacher-students"], student)["subjects"][0]["name"] == "Геометрия"
    )


def _student_renamed(api, tutor, student, lesson):
    User.objects.filter(id=student.user.id).update(first_name="Ванечка")
    return lambda views: (
        _card_of(views["teacher-students"], student)["studentUser"]["firstName"] == "Ванечка"
        and "Ванечка" in {s["firstName"] for s in _lesson_of(views["teacher-lessons"], lesson["id"])["students"]}
    )


def _tutor_renamed(api, tutor, student, lesson):
    user = User.objects.get(id=tutor.user.id)
    user.last_name = "Сидорова"
    user.save()
    return lambda views: _lesson_of(views["student-lessons"], lesson["id"])["teacher"]["lastName"] == "Сидорова"


def _package_sold(api, tutor, student, lesson):
    Subscription.objects.create(teacher=tutor.profile, student=student.profile, type="lessons", total_lessons=8)
    return lambda views: _card_of(views["teacher-students"], student)["subscription"]["totalLessons"] == 8


def _custom_fields(api, tutor, student, lesson):
    url = f"{STUDENTS}/{student.id}"
    assert api(tutor).patch(url, {"customFields": {"класс": "9"}}, format="json").status_code == 200
    return lambda views: _card_of(views["teacher-students"], student)["customFields"] == {"класс": "9"}


def _archived(api, tutor, student, lesson):
    assert api(tutor).delete(f"{STUDENTS}/{student.id}").status_code == 200
    return lambda views: (
        all(x["studentId"] != str(student.id) for x in views["teacher-students"]["students"])
        and views["teacher-students"]["archivedCount"] == 1
    )


def _bulk_rows_update(api, tutor, student, lesson):
    LessonStudent.objects.filter(lesson_id=lesson["id"]).update(rating=5)  # e.g. a data fix in a shell
    return lambda views: all(s["rating"] == 5 for s in _lesson_of(views["teacher-lessons"], lesson["id"])["students"])


def _waitlisted(api, tutor, student, lesson):
    Lesson.objects.filter(id=lesson["id"]).update(capacity=2)
    WaitlistEntry.objects.create(lesson_id=lesson["id"], student=student.profile)
    return lambda views: len(_lesson_of(views["teacher-lessons"], lesson["id"])["waitlist"]) == 1


WRITES = [
    _teacher_note,
    _payment,
    _complete,
    _other_student_removed,
    _student_cancels,
    _student_note,
    _lesson_deleted,
    _lesson_added,
    _subject_renamed,
    _student_renamed,
    _tutor_renamed,
    _package_sold,
    _custom_fields,
    _archived,
    _bulk_rows_update,
    _waitlisted,
]


@pytest.mark.parametrize("write", WRITES, ids=[w.__name__.strip("_") for w in WRITES])
def test_no_cached_view_is_stale_after_a_write(api, tutor, student, lesson, write):
    before = _views(api, tutor, student)
    assert _views(api, tutor, student) == before  # now served from the cache
    shows_the_write = write(api, tutor, student, lesson)
    after = _views(api, tutor, student)
    assert shows_the_write(after), after


def test_a_repeated_view_is_served_from_the_cache_without_rendering(api, tutor, student, lesson):
    client = api(tutor)
    first = client.get(f"{BASE}/lessons", MONTH)
    Lesson.objects.filter(id=lesson["id"]).update(teacher_note="x")  # moves the stamp: the next GET renders
    client.get(f"{BASE}/lessons", MONTH)
    with connection.execute_wrapper(_count := QueryCounter()):
        again = client.get(f"{BASE}/lessons", MONTH)
    assert again.status_code == 200 and again.content != first.content
    assert _count.n == 2  # the user (auth) and the stamp; no lesson query


def test_an_unchanged_view_answers_304_and_a_changed_one_a_new_body(api, tutor, student, lesson):
    client = api(tutor)
    first = client.get(f"{BASE}/lessons", MONTH)
    etag = first["ETag"]
    assert etag and first["Cache-Control"] == "private, no-cache"
    again = client.get(f"{BASE}/lessons", MONTH, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    api(student).patch(f"{STUDENT_LESSONS}/{lesson['id']}", {"studentNoteForTeacher": "!"}, format="json")
    changed = client.get(f"{BASE}/lessons", MONTH, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "!" in {s["studentNoteForTeacher"] for s in changed.json()[0]["students"]}


def test_a_write_that_changes_nothing_shown_keeps_the_etag(api, tutor, student, lesson):
    etag = api(student).get(STUDENT_LESSONS, MONTH)["ETag"]
    User.objects.filter(id=student.user.id).update(last_login=timezone.now())  # every sign-in does this
    assert api(student).get(STUDENT_LESSONS, MONTH, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_each_profile_has_its_own_cached_views(api, tutor, student, stranger_tutor, stranger_student, lesson):
    mine = api(tutor).get(f"{BASE}/lessons", MONTH)
    theirs = api(stranger_tutor).get(f"{BASE}/lessons", MONTH, HTTP_IF_NONE_MATCH=mine["ETag"])
    assert theirs.status_code == 200 and theirs.json() == []
    assert api(stranger_student).get(STUDENT_LESSONS, MONTH).json() == []
    assert api(stranger_tutor).get(STUDENTS).json()["students"] == []


def test_the_students_list_changes_when_a_lesson_starts_without_any_write(api, tutor, student):
    soon = timezone.now() + timedelta(seconds=2)
    Lesson.objects.create(teacher=tutor.profile, start_at=soon, duration_minutes=60)
    LessonStudent.objects.create(lesson=Lesson.objects.get(teacher=tutor.profile), student=student.profile)
    card = _card_of(api(tutor).get(STUDENTS).json(), student)
    assert card["nextLessonAt"] is not None and card["lastLessonAt"] is None
    time.sleep(max(0.0, (soon - timezone.now()).total_seconds()) + 0.3)
    card = _card_of(api(tutor).get(STUDENTS).json(), student)
    assert card["nextLessonAt"] is None and card["lastLessonAt"] is not None


def test_stamps_stay_unique_across_writes_and_compaction(tutor, student):
    seen = [profile_stamp(tutor.id)]
    for note in ("a", "b"):
        Lesson.objects.create(teacher=tutor.profile, start_at=timezone.now(), duration_minutes=30, teacher_note=note)
        seen.append(profile_stamp(tutor.id))
    assert view_stamps_compact() > 0
    assert ViewStamp.objects.filter(profile_id=tutor.id).count() == 1
    seen.append(profile_stamp(tutor.id))
    Lesson.objects.filter(teacher=tutor.profile).update(teacher_note="c")
    seen.append(profile_stamp(tutor.id))
    assert len(set(seen)) == len(seen), seen


def test_the_stamp_moves_only_for_the_profiles_a_write_concerns(tutor, student, stranger_tutor, stranger_student):
    TeacherStudentLink.objects.filter(teacher=tutor.profile).update(custom_fields={"x": 1})
    before = {p: profile_stamp(p) for p in (tutor.id, student.id, stranger_tutor.id, stranger_student.id)}
    TeacherStudentLink.objects.filter(teacher=tutor.profile).update(custom_fields={"x": 2})
    after = {p: profile_stamp(p) for p in before}
    assert after[tutor.id] != before[tutor.id] and after[student.id] != before[student.id]
    assert after[stranger_tutor.id] == before[stranger_tutor.id]
    assert after[stranger_student.id] == before[stranger_student.id]

