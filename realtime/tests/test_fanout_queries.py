"""The fan-out of one event runs a bounded number of queries, whatever the number of recipients."""

import pytest

from accounts.models import ParentProfile, ParentStudentRelation
from conftest import make_user
from realtime import presence
from realtime.services import lesson_event_push

pytestmark = pytest.mark.django_db


def _online(*personas):
    for p in personas:
        presence.socket_connected((p.role, str(p.profile.id)), f"specific.test!{p.profile.id}")


def _with_parent(student, tutor, n):
    user = make_user(40_000 + n, f"Родитель{n}")
    profile = ParentProfile.objects.create(user=user)
    ParentStudentRelation.objects.create(parent=profile, student=student.profile, teacher=tutor.profile)
    presence.socket_connected(("parent", str(profile.id)), f"specific.parent!{n}")


def test_a_lesson_event_costs_the_same_queries_for_one_or_many_online_recipients(
    tutor, make_student, make_lesson, django_assert_max_num_queries
):
    first = make_student("Первый", "Ученик", teacher=tutor)
    lesson = make_lesson(tutor, [first])
    _online(tutor, first)
    _with_parent(first, tutor, 0)
    with django_assert_max_num_queries(10) as small:
        sent_small = lesson_event_push("lesson.updated", teacher_id=tutor.id, lesson_ids=[lesson.id])
    assert sent_small == 3  # tutor, student, parent
    assert len(small.captured_queries) <= 7, [q["sql"][:80] for q in small.captured_queries]

    students = [make_student(f"У{i}", "Ученик", teacher=tutor) for i in range(12)]
    big = make_lesson(tutor, students)
    _online(*students)
    for i, s in enumerate(students):
        _with_parent(s, tutor, i + 1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        sent_big = lesson_event_push("lesson.updated", teacher_id=tutor.id, lesson_ids=[big.id, lesson.id])
    assert sent_big == 1 + 13 + 13


def test_nobody_online_means_no_payload_is_built(tutor, student, make_lesson, django_assert_max_num_queries):
    lesson = make_lesson(tutor, [student])
    with django_assert_max_num_queries(2):  # who is on the lesson, their parents
        assert lesson_event_push("lesson.updated", teacher_id=tutor.id, lesson_ids=[lesson.id]) == 0
