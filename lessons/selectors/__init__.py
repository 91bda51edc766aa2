"""Reads of lessons, one module per topic: calendar (the teacher's month, the hot path), series, subjects,
student_lessons (a student's and a parent's view), stats, debts, progress (streaks and achievements)."""
