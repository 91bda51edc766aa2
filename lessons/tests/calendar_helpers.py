"""Small helpers shared by the calendar tests (lessons/tests/test_lessons_*.py)."""

from datetime import UTC, datetime

from lessons.models import Lesson, LessonStudent

BASE = "/api/teachers/me"


def create_lesson(client, **body):
    body.setdefault("startAt", "2030-03-04T09:00:00Z")
    body.setdefault("durationMinutes", 60)
    response = client.post(f"{BASE}/lessons", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rows_of(lesson_id) -> dict:
    return {row.student_id: row for row in LessonStudent.objects.filter(lesson_id=lesson_id)}


def series_lessons(series_id) -> list[Lesson]:
    return list(Lesson.objects.filter(series_id=series_id).order_by("start_at"))


class QueryCounter:
    """connection.execute_wrapper(counter := QueryCounter()): counts the statements run inside the block."""

    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)
