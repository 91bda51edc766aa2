"""Writes of the calendar, one module per topic: subjects, lessons, series, lesson_students, completion,
student_lessons. Import from the topical module (e.g. `from lessons.services.lessons import lesson_create`)."""
