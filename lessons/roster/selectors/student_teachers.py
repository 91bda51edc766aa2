"""A student's teachers: the list, one teacher's detail and the stats with that teacher."""

import uuid

from accounts.models import (
    TeacherStudentLink,
)
from lessons.models import LessonStudent
from lessons.selectors.stats import attendance_json, stats_aggregates, subjects_by, teacher_rows, user_info
from tutorcal.timeutil import iso


def student_teachers(*, student_id: uuid.UUID) -> list[dict]:
    """All the student's teachers (archived links too, with archivedAt) + subjects of their lessons together."""
    links = list(
        TeacherStudentLink.objects.filter(student_id=student_id).select_related("teacher__user").order_by("created_at")
    )
    subjects = subjects_by(LessonStudent.objects.filter(student_id=student_id), "lesson__teacher_id")
    return [
        {
            "teacherId": str(link.teacher_id),
            "teacherUser": user_info(link.teacher.user),
            "displayName": link.teacher.display_name,
            "bio": link.teacher.bio,
            "archivedAt": iso(link.archived_at),
            "subjects": subjects.get(link.teacher_id, []),
        }
        for link in links
    ]


def student_teacher_detail(*, student_id: uuid.UUID, link: TeacherStudentLink) -> dict:
    rows = teacher_rows(link.teacher_id, student_id)
    agg = rows.aggregate(**stats_aggregates())
    subjects = subjects_by(rows, "lesson__teacher_id").get(link.teacher_id, [])
    return {
        "teacherId": str(link.teacher_id),
        "teacherUser": user_info(link.teacher.user),
        "displayName": link.teacher.display_name,
        "bio": link.teacher.bio,
        "archivedAt": iso(link.archived_at),
        "subjects": subjects,
        "statsWithTeacher": attendance_json(agg),
    }


def student_stats_with_teacher(*, student_id: uuid.UUID, teacher_id: uuid.UUID) -> dict:
    return attendance_json(teacher_rows(teacher_id, student_id).aggregate(**stats_aggregates()))
