"""A series' lessons and student rows are written by lessons.services.bulk (INSERT … SELECT FROM unnest on
PostgreSQL): every column the model defaults is filled as bulk_create would, and each lesson lists its students
in the order the tutor gave them."""

import pytest

from lessons.models import Lesson, LessonStudent
from lessons.services.bulk import insert_rows
from lessons.tests.calendar_helpers import BASE, create_lesson

pytestmark = pytest.mark.django_db


def test_a_series_lists_every_lessons_students_in_the_given_order_with_default_terms(api, tutor, make_student):
    students = [make_student(name, "Ученик", teacher=tutor) for name in ("Яна", "Борис", "Аня")]
    ids = [str(s.id) for s in students]
    body = create_lesson(api(tutor), studentIds=ids, priceRub=700, recurrence={"frequency": "weekly", "count": 52})
    assert body["lessonsCreated"] == 52
    listed = api(tutor).get(f"{BASE}/lessons", {"from": "2030-03-01", "to": "2031-03-31"}).json()
    assert len(listed) == 52
    assert all([s["studentId"] for s in lesson["students"]] == ids for lesson in listed)
    rows = LessonStudent.objects.filter(lesson__series_id=body["series"]["id"])
    assert rows.count() == 156
    assert set(rows.values_list("attendance", "payment_status", "payment_type", "price_rub", "cancel_note")) == {
        ("unknown", "unpaid", "fixed", 700, "")
    }
    lesson = Lesson.objects.filter(series_id=body["series"]["id"]).first()
    assert (lesson.status, lesson.teacher_id, lesson.source_occurrence) == ("planned", tutor.id, "")


def test_insert_rows_refuses_columns_of_different_lengths(tutor):
    with pytest.raises(ValueError, match="differ in length"):
        insert_rows(Lesson, shared={}, varying={"id": [1, 2], "start_at": [1]})
