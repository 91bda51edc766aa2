"""A parent's children and their teachers, and the parent's per-child notification settings.
A parent sees a child's data only for teachers they have a relation with AND whose link with the child is
active: relations are kept while a link is archived (so restore brings them back, B14) but hidden."""

import uuid

from accounts.models import (
    ParentStudentRelation,
)
from lessons.roster.selectors.links import visible_relations
from lessons.selectors.debts import agg_debt_json
from lessons.selectors.stats import attendance_json, stats_aggregates, subjects_by, teacher_name, user_info
from lessons.selectors.student_lessons import child_rows, parent_visible_rows


def parent_children(*, parent_id: uuid.UUID) -> list[dict]:
    rels = list(
        visible_relations(parent_id).select_related("student__user", "teacher__user").order_by("created_at", "id")
    )
    children: dict = {}
    for rel in rels:
        child = children.setdefault(
            rel.student_id,
            {
                "childId": str(rel.student_id),
                "childUser": user_info(rel.student.user),
                "teachers": [],
                "notificationsEnabled": rel.notifications_enabled,
            },
        )
        child["teachers"].append(
            {
                "teacherId": str(rel.teacher_id),
                "teacherName": teacher_name(rel.teacher.display_name, rel.teacher.user.first_name),
            }
        )
    aggs = {}
    if children:
        aggs = {
            a["student_id"]: a
            for a in parent_visible_rows(parent_id).values("student_id").annotate(**stats_aggregates()).order_by()
        }
    for sid, child in children.items():
        child["stats"] = attendance_json(aggs.get(sid))
        child["debt"] = agg_debt_json(aggs.get(sid))  # an addition over the reference: the list shows who owes
    return list(children.values())


def child_teachers(*, parent_id: uuid.UUID, rels: list[ParentStudentRelation]) -> list[dict]:
    """[ChildTeacher] = {teacherId, teacherUser, displayName, bio, subjects, statsWithTeacher}, 2 queries."""
    child_id = rels[0].student_id
    rows = child_rows(parent_id, child_id)
    aggs = {
        a["lesson__teacher_id"]: a for a in rows.values("lesson__teacher_id").annotate(**stats_aggregates()).order_by()
    }
    subjects = subjects_by(rows, "lesson__teacher_id")
    return [
        {
            "teacherId": str(rel.teacher_id),
            "teacherUser": user_info(rel.teacher.user),
            "displayName": rel.teacher.display_name,
            "bio": rel.teacher.bio,
            "subjects": subjects.get(rel.teacher_id, []),
            "statsWithTeacher": attendance_json(aggs.get(rel.teacher_id)),
        }
        for rel in rels
    ]


def parent_notification_settings(*, parent_id: uuid.UUID) -> dict:
    rels = visible_relations(parent_id).select_related("student__user").order_by("created_at", "id")
    children: dict = {}
    for rel in rels:
        children.setdefault(
            rel.student_id,
            {
                "childId": str(rel.student_id),
                "childName": rel.student.user.full_name,
                "notificationsEnabled": rel.notifications_enabled,
            },
        )
    return {"children": list(children.values())}
