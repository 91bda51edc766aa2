"""The teacher's students: cards list, archive, one student's detail, stats, lessons and parents.
A teacher sees links of their own (archived ones too for details, only active ones in the list)."""

import uuid
import zoneinfo
from datetime import datetime, timedelta

from django.db.models import Count, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import (
    RESTORE_DAYS,
    ParentStudentRelation,
    TeacherProfile,
    TeacherStudentLink,
)
from lessons.models import Lesson
from lessons.roster.selectors.pair_totals import card_totals
from lessons.selectors.debts import DEBT_Q, agg_debt_json, debt_lessons
from lessons.selectors.stats import (
    DEFAULT_COLOR,
    MISSED_Q,
    RU_WEEKDAYS,
    attendance_json,
    by_subject,
    next_planned,
    stats_aggregates,
    teacher_rows,
    user_info,
)
from subscriptions.models import Subscription
from subscriptions.selectors import active_subscription, subscription_json, subscriptions_by_student
from tutorcal.timeutil import iso

_CARD_LINK_FIELDS = (
    "student_id",
    "custom_fields",
    "created_at",
    "student__user_id",
    "student__user__first_name",
    "student__user__last_name",
    "student__user__username",
)


def teacher_student_cards(*, teacher_id: uuid.UUID) -> dict:
    """{students:[StudentCard], archivedCount} in a constant number of queries whatever the number of students or
    lessons; the aggregates come from the running totals (pair_totals), the links as plain rows."""
    links = list(
        TeacherStudentLink.objects.filter(teacher_id=teacher_id, archived_at__isnull=True)
        .order_by("created_at", "id")
        .values_list(*_CARD_LINK_FIELDS)
    )
    archived_count = TeacherStudentLink.objects.filter(teacher_id=teacher_id, archived_at__isnull=False).count()
    ids = [link[0] for link in links]
    aggs, subjects = card_totals(teacher_id=teacher_id, student_ids=ids, now=timezone.now())
    packages = subscriptions_by_student(teacher_id, ids)
    students = []
    for student_id, custom_fields, created_at, user_id, first_name, last_name, username in links:
        agg = aggs.get(student_id)
        students.append(
            {
                "studentId": str(student_id),
                "studentUser": {
                    "id": str(user_id),
                    "firstName": first_name,
                    "lastName": last_name,
                    "username": username,
                },
                "customFields": custom_fields,
                "subjects": subjects.get(student_id, []),
                "stats": attendance_json(agg),
                "debt": agg_debt_json(agg),
                # Additions over the reference (the built-in Mini App's list): the package and the last/next lesson.
                "subscription": subscription_json(packages.get(student_id)),
                "lastLessonAt": iso((agg or {}).get("last_at")),
                "nextLessonAt": iso((agg or {}).get("next_at")),
                "createdAt": iso(created_at),
            }
        )
    return {"students": students, "archivedCount": archived_count}


def teacher_student_cards_valid_until(*, teacher_id: uuid.UUID, now: datetime) -> datetime | None:
    """The first moment after `now` at which the cards change with time alone (no write): a lesson of the
    teacher starts (it becomes someone's last lesson; the next one moves on) or a package expires. One query."""

    def first(qs, field):
        return Subquery(qs.order_by(field).values(field)[:1])

    lesson = first(Lesson.objects.filter(teacher_id=teacher_id, start_at__gt=now), "start_at")
    package = first(Subscription.objects.filter(teacher_id=teacher_id, expires_at__gt=now), "expires_at")
    moments = TeacherProfile.objects.filter(id=teacher_id).values_list(lesson, package).first() or ()
    found = [m for m in moments if m is not None]
    return min(found) if found else None


def teacher_archived_students(*, teacher_id: uuid.UUID, now: datetime | None = None) -> list[dict]:
    now = now or timezone.now()
    out = []
    links = (
        TeacherStudentLink.objects.filter(teacher_id=teacher_id, archived_at__isnull=False)
        .select_related("student__user")
        .order_by("-archived_at")
    )
    for link in links:
        if link.archived_at is None:  # (filtered out above)
            continue
        delete_at = link.archived_at + timedelta(days=RESTORE_DAYS)
        seconds = (delete_at - now).total_seconds()
        out.append(
            {
                "studentId": str(link.student_id),
                "studentUser": user_info(link.student.user),
                "customFields": link.custom_fields,
                "archivedAt": iso(link.archived_at),
                "deleteAt": iso(delete_at),
                "daysLeft": max(0, -int(-seconds // 86400)),
                "createdAt": iso(link.created_at),
            }
        )
    return out


def _subscription_json_for(teacher_id: uuid.UUID, student_id: uuid.UUID) -> dict | None:
    return subscription_json(active_subscription(teacher_id, student_id))


def teacher_student_detail(*, teacher_id: uuid.UUID, link: TeacherStudentLink) -> dict:
    student = link.student
    agg = teacher_rows(teacher_id, student.id).aggregate(**stats_aggregates())
    return {
        "studentId": str(student.id),
        "studentUser": user_info(student.user),
        "customFields": link.custom_fields if link.custom_fields is not None else student.custom_fields,
        "stats": attendance_json(agg),
        "debt": agg_debt_json(agg),
        "subscription": _subscription_json_for(teacher_id, student.id),
        # Never the student's permanent P_ code: that is the family's. A tutor invites a parent with a one-shot,
        # per-tutor PARENT_ invitation (POST …/students/:id/parents/invitations).
        "parentInvite": None,
        "archivedAt": iso(link.archived_at),
        "createdAt": iso(link.created_at),
    }


def teacher_student_card_stats(*, teacher_id: uuid.UUID, student_id: uuid.UUID, zone: zoneinfo.ZoneInfo) -> dict:
    """StudentCardStats = {debt, nextLesson: {date, dayOfWeek (teacher's zone), subjectName} | null}."""
    rows = teacher_rows(teacher_id, student_id)
    agg = rows.aggregate(
        debt_count=Count("id", filter=DEBT_Q), debt_amount=Coalesce(Sum("price_rub", filter=DEBT_Q), 0)
    )
    nxt = (
        next_planned(rows, timezone.now())
        .values("lesson__start_at", "lesson__subject__name")
        .order_by("lesson__start_at")
        .first()
    )
    next_lesson = None
    if nxt:
        start = nxt["lesson__start_at"]
        next_lesson = {
            "date": iso(start),
            "dayOfWeek": RU_WEEKDAYS[start.astimezone(zone).weekday()],
            "subjectName": nxt["lesson__subject__name"] or "",
        }
    return {"debt": agg_debt_json(agg), "nextLesson": next_lesson}


def teacher_student_detailed_stats(*, teacher_id: uuid.UUID, student_id: uuid.UUID) -> dict:
    rows = teacher_rows(teacher_id, student_id)
    agg = rows.aggregate(**stats_aggregates())
    missed = rows.filter(MISSED_Q).values("lesson_id", "lesson__start_at", "lesson__subject__name")
    upcoming = next_planned(rows, timezone.now()).values(
        "lesson_id", "lesson__start_at", "lesson__subject__name", "lesson__subject__color_hex"
    )
    return {
        "debt": {**agg_debt_json(agg), "lessons": debt_lessons(rows) if agg["debt_count"] else []},
        "attendance": attendance_json(agg),
        "bySubject": by_subject(rows),
        "recentMissedLessons": [
            {
                "lessonId": str(m["lesson_id"]),
                "startAt": iso(m["lesson__start_at"]),
                "subjectName": m["lesson__subject__name"] or "",
            }
            for m in missed.order_by("-lesson__start_at")[:10]
        ],
        "upcomingLessons": [
            {
                "lessonId": str(u["lesson_id"]),
                "startAt": iso(u["lesson__start_at"]),
                "subjectName": u["lesson__subject__name"] or "",
                "colorHex": u["lesson__subject__color_hex"] or DEFAULT_COLOR,
            }
            for u in upcoming.order_by("lesson__start_at")[:5]
        ],
    }


def teacher_student_lessons(*, teacher_id: uuid.UUID, student_id: uuid.UUID, filters: dict) -> list[dict]:
    """The teacher's lessons with this student, newest first (B2 fixed: attendance/payment filter the
    student's own row). Filters: status, paymentStatus, attendance, subjectId, from, to."""
    rows = teacher_rows(teacher_id, student_id).select_related("lesson__subject")
    mapping = {
        "status": "lesson__status",
        "paymentStatus": "payment_status",
        "attendance": "attendance",
        "subjectId": "lesson__subject_id",
        "from": "lesson__start_at__gte",
        "to": "lesson__start_at__lte",
    }
    for key, lookup in mapping.items():
        if filters.get(key) is not None:
            rows = rows.filter(**{lookup: filters[key]})
    out = []
    for row in rows.order_by("-lesson__start_at"):
        lesson = row.lesson
        out.append(
            {
                "id": str(lesson.id),
                "seriesId": str(lesson.series_id) if lesson.series_id else None,
                "subjectId": str(lesson.subject_id) if lesson.subject_id else None,
                "startAt": iso(lesson.start_at),
                "durationMinutes": lesson.duration_minutes,
                "priceRub": row.price_rub,
                "isFree": lesson.is_free,
                "status": lesson.status,
                "cancelledBy": lesson.cancelled_by,
                "teacherNote": lesson.teacher_note,
                "teacherNoteUpdatedAt": iso(lesson.teacher_note_updated_at),
                "lessonReport": lesson.lesson_report,
                "studentNoteForTeacher": row.student_note_for_teacher,
                "attendance": row.attendance,
                "rating": row.rating,
                "paymentStatus": row.payment_status,
                "paymentType": row.payment_type,
                "paidFromSubscription": row.paid_from_subscription,
                "subject": {"name": lesson.subject.name, "colorHex": lesson.subject.color_hex}
                if lesson.subject
                else None,
            }
        )
    return out


def student_parents(*, teacher_id: uuid.UUID, student_id: uuid.UUID) -> list[dict]:
    rels = (
        ParentStudentRelation.objects.filter(teacher_id=teacher_id, student_id=student_id)
        .select_related("parent__user")
        .order_by("created_at")
    )
    return [
        {
            "parentId": str(r.parent_id),
            "parentUser": user_info(r.parent.user),
            "notificationsEnabled": r.notifications_enabled,
            "createdAt": iso(r.created_at),
        }
        for r in rels
    ]
