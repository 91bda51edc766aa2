"""Reads for the people area: teacher ↔ student links, debts, statistics, student and parent lesson views.

Everything is computed with SQL aggregates (`Count`/`Sum` with `filter=`) grouped per student / teacher /
subject, so every function runs a constant number of queries whatever the number of students or lessons.

Visibility rules:
* a teacher sees links of their own (archived ones too for details, only active ones in the list);
* a student sees lessons they have a row on (the link does not matter, reference §4);
* a parent sees a child's data only for teachers they have a relation with AND whose link with the child is
  active: relations are kept while a link is archived (so restore brings them back, B14) but hidden.
"""

import uuid
import zoneinfo
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate, TruncWeek
from django.utils import timezone

from accounts.models import (
    RESTORE_DAYS,
    ParentStudentRelation,
    StudentNotificationSettings,
    TeacherStudentLink,
    User,
)
from lessons.models import Lesson, LessonStudent, Subject
from subscriptions.selectors import active_subscription, subscription_json
from tutorcal.errors import ApiError
from tutorcal.timeutil import iso

DEFAULT_COLOR = "#888888"
RU_WEEKDAYS = ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]  # date.weekday(): Monday = 0

# A row is debt when the student attended a done lesson priced in money and has not paid (B21).
DEBT_Q = Q(
    attendance=LessonStudent.Attendance.ATTENDED,
    payment_status=LessonStudent.PaymentStatus.UNPAID,
    lesson__status=Lesson.Status.DONE,
    payment_type=LessonStudent.PaymentType.FIXED,
    price_rub__gt=0,
)
DONE_Q = Q(lesson__status=Lesson.Status.DONE) & ~Q(attendance=LessonStudent.Attendance.CANCELLED)
ATTENDED_Q = Q(lesson__status=Lesson.Status.DONE, attendance=LessonStudent.Attendance.ATTENDED)
MISSED_Q = Q(lesson__status=Lesson.Status.DONE, attendance=LessonStudent.Attendance.MISSED)
# Cancellations are counted by who cancelled (B5): a student's own group cancel marks only their row.
CANCELLED_BY_STUDENT_Q = Q(attendance=LessonStudent.Attendance.CANCELLED) | Q(
    lesson__status=Lesson.Status.CANCELLED, lesson__cancelled_by=Lesson.CancelledBy.STUDENT
)
CANCELLED_BY_TEACHER_Q = (
    Q(lesson__status=Lesson.Status.CANCELLED)
    & ~Q(lesson__cancelled_by=Lesson.CancelledBy.STUDENT)
    & ~Q(attendance=LessonStudent.Attendance.CANCELLED)
)


# --- small wire helpers -----------------------------------------------------------------------------------


def user_info(user: User) -> dict:
    """UserInfo = {id, firstName, lastName, username}."""
    return {"id": str(user.id), "firstName": user.first_name, "lastName": user.last_name, "username": user.username}


def debt_json(count: int | None, amount: int | None) -> dict:
    count, amount = count or 0, amount or 0
    return {"hasDebt": count > 0, "unpaidLessonsCount": count, "unpaidAmountRub": amount}


def rate(part: int, total: int) -> int:
    """Integer percentage rounded half up (JS Math.round): 2/3 -> 67, 0/0 -> 0."""
    if not total:
        return 0
    return (200 * part + total) // (2 * total)


def stats_aggregates() -> dict:
    """Aggregate expressions over LessonStudent rows: attendance stats + debt."""
    return {
        "planned": Count("id", filter=DONE_Q),
        "attended": Count("id", filter=ATTENDED_Q),
        "missed": Count("id", filter=MISSED_Q),
        "cancelled_student": Count("id", filter=CANCELLED_BY_STUDENT_Q),
        "cancelled_teacher": Count("id", filter=CANCELLED_BY_TEACHER_Q),
        "debt_count": Count("id", filter=DEBT_Q),
        "debt_amount": Coalesce(Sum("price_rub", filter=DEBT_Q), Value(0)),
    }


def attendance_json(agg: dict | None) -> dict:
    """AttendanceStats from a `stats_aggregates()` result (missing -> zeros)."""
    agg = agg or {}
    planned, attended = agg.get("planned", 0), agg.get("attended", 0)
    return {
        "totalLessonsPlanned": planned,
        "totalLessonsAttended": attended,
        "totalLessonsMissed": agg.get("missed", 0),
        "cancelledByStudent": agg.get("cancelled_student", 0),
        "cancelledByTeacher": agg.get("cancelled_teacher", 0),
        "cancelledByIllness": 0,
        "attendanceRate": rate(attended, planned),
    }


def agg_debt_json(agg: dict | None) -> dict:
    agg = agg or {}
    return debt_json(agg.get("debt_count"), agg.get("debt_amount"))


def subject_json(subject: Subject | None) -> dict:
    """Student/parent lesson `subject`: always an object, keys omitted when the lesson has none."""
    if subject is None:
        return {}
    return {"name": subject.name, "colorHex": subject.color_hex}


def zone_of(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.timezone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _subjects_by(rows: QuerySet, key: str) -> dict:
    """{key value: [{subjectId, name, colorHex}]} from LessonStudent rows (distinct subjects, by name)."""
    out: dict = defaultdict(list)
    values = (
        rows.filter(lesson__subject__isnull=False)
        .values(key, "lesson__subject_id", "lesson__subject__name", "lesson__subject__color_hex")
        .distinct()
        .order_by(key, "lesson__subject__name")
    )
    for row in values:
        out[row[key]].append(
            {
                "subjectId": str(row["lesson__subject_id"]),
                "name": row["lesson__subject__name"],
                "colorHex": row["lesson__subject__color_hex"],
            }
        )
    return out


def _by_subject(rows: QuerySet) -> list[dict]:
    """SubjectStats over done rows, one query: {subjectId, subjectName, colorHex, lessonsPlanned, …}."""
    values = (
        rows.filter(lesson__subject__isnull=False)
        .values("lesson__subject_id", "lesson__subject__name", "lesson__subject__color_hex")
        .annotate(planned=Count("id", filter=DONE_Q), attended=Count("id", filter=ATTENDED_Q))
        .filter(planned__gt=0)
        .order_by("lesson__subject__name")
    )
    return [
        {
            "subjectId": str(v["lesson__subject_id"]),
            "subjectName": v["lesson__subject__name"] or "",
            "colorHex": v["lesson__subject__color_hex"] or DEFAULT_COLOR,
            "lessonsPlanned": v["planned"],
            "lessonsAttended": v["attended"],
            "attendanceRate": rate(v["attended"], v["planned"]),
        }
        for v in values
    ]


def _debt_lessons(rows: QuerySet) -> list[dict]:
    return [
        {
            "lessonId": str(v["lesson_id"]),
            "startAt": iso(v["lesson__start_at"]),
            "priceRub": v["price_rub"],
            "subjectName": v["lesson__subject__name"] or "",
        }
        for v in rows.filter(DEBT_Q)
        .values("lesson_id", "lesson__start_at", "price_rub", "lesson__subject__name")
        .order_by("lesson__start_at")
    ]


def detailed_debt(rows: QuerySet) -> dict:
    """DetailedDebt = DebtInfo + lessons:[{lessonId, startAt, priceRub, subjectName}] (two queries)."""
    agg = rows.aggregate(
        debt_count=Count("id", filter=DEBT_Q), debt_amount=Coalesce(Sum("price_rub", filter=DEBT_Q), 0)
    )
    return {**agg_debt_json(agg), "lessons": _debt_lessons(rows) if agg["debt_count"] else []}


# --- teacher ↔ student -----------------------------------------------------------------------------------


def teacher_rows(teacher_id: uuid.UUID, student_id: uuid.UUID | None = None) -> QuerySet[LessonStudent]:
    qs = LessonStudent.objects.filter(lesson__teacher_id=teacher_id)
    return qs.filter(student_id=student_id) if student_id is not None else qs


def teacher_link(teacher_id: uuid.UUID, student_id, *, active_only: bool = False) -> TeacherStudentLink:
    """The teacher's link to the student (archived too unless `active_only`) or 404 STUDENT_NOT_FOUND."""
    sid = student_id if isinstance(student_id, uuid.UUID) else _uuid(student_id, "STUDENT_NOT_FOUND")
    qs = TeacherStudentLink.objects.select_related("student__user").filter(teacher_id=teacher_id, student_id=sid)
    if active_only:
        qs = qs.filter(archived_at__isnull=True)
    link = qs.first()
    if link is None:
        raise ApiError(404, "STUDENT_NOT_FOUND")
    return link


def _uuid(value, code: str) -> uuid.UUID:
    from tutorcal.errors import parse_uuid

    return parse_uuid(value, code)


def teacher_student_cards(*, teacher_id: uuid.UUID) -> dict:
    """{students:[StudentCard], archivedCount} in four queries whatever the number of students/lessons."""
    links = list(
        TeacherStudentLink.objects.filter(teacher_id=teacher_id, archived_at__isnull=True)
        .select_related("student__user")
        .order_by("created_at", "id")
    )
    archived_count = TeacherStudentLink.objects.filter(teacher_id=teacher_id, archived_at__isnull=False).count()
    aggs, subjects = _stats_and_subjects_by_student(teacher_id, [link.student_id for link in links])
    students = [
        {
            "studentId": str(link.student_id),
            "studentUser": user_info(link.student.user),
            "customFields": link.custom_fields,
            "subjects": subjects.get(link.student_id, []),
            "stats": attendance_json(aggs.get(link.student_id)),
            "debt": agg_debt_json(aggs.get(link.student_id)),
            "createdAt": iso(link.created_at),
        }
        for link in links
    ]
    return {"students": students, "archivedCount": archived_count}


def _stats_and_subjects_by_student(teacher_id: uuid.UUID, student_ids: list) -> tuple[dict, dict]:
    """ONE grouped query (student × subject) giving per-student aggregates and distinct subjects; the Python
    side only sums the few (student, subject) groups, never lesson rows."""
    aggs: dict = {}
    subjects: dict = defaultdict(list)
    if not student_ids:
        return aggs, subjects
    groups = (
        teacher_rows(teacher_id)
        .filter(student_id__in=student_ids)
        .values("student_id", "lesson__subject_id", "lesson__subject__name", "lesson__subject__color_hex")
        .annotate(**stats_aggregates())
        .order_by("student_id", "lesson__subject__name")
    )
    for g in groups:
        total = aggs.setdefault(g["student_id"], dict.fromkeys(stats_aggregates(), 0))
        for key in total:
            total[key] += g[key] or 0
        if g["lesson__subject_id"] is not None:
            subjects[g["student_id"]].append(
                {
                    "subjectId": str(g["lesson__subject_id"]),
                    "name": g["lesson__subject__name"],
                    "colorHex": g["lesson__subject__color_hex"],
                }
            )
    return aggs, subjects


def teacher_archived_students(*, teacher_id: uuid.UUID, now: datetime | None = None) -> list[dict]:
    now = now or timezone.now()
    out = []
    links = (
        TeacherStudentLink.objects.filter(teacher_id=teacher_id, archived_at__isnull=False)
        .select_related("student__user")
        .order_by("-archived_at")
    )
    for link in links:
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
    from accounts.services import invite_url

    return {
        "studentId": str(student.id),
        "studentUser": user_info(student.user),
        "customFields": link.custom_fields if link.custom_fields is not None else student.custom_fields,
        "stats": attendance_json(agg),
        "debt": agg_debt_json(agg),
        "subscription": _subscription_json_for(teacher_id, student.id),
        "parentInvite": {"code": student.parent_invite_code, "url": invite_url(student.parent_invite_code)},
        "archivedAt": iso(link.archived_at),
        "createdAt": iso(link.created_at),
    }


def teacher_debts(*, teacher_id: uuid.UUID) -> list[dict]:
    """Students (active links) owing this teacher, biggest debt first:
    [{studentId, name, unpaidLessonsCount, unpaidAmountRub}] in one query."""
    active = TeacherStudentLink.objects.filter(
        teacher_id=teacher_id, student_id=OuterRef("student_id"), archived_at__isnull=True
    )
    rows = (
        teacher_rows(teacher_id)
        .filter(DEBT_Q)
        .filter(Exists(active))
        .values("student_id", "student__user__first_name", "student__user__last_name")
        .annotate(count=Count("id"), amount=Sum("price_rub"))
        .order_by("-amount", "student__user__first_name", "student_id")
    )
    return [
        {
            "studentId": str(r["student_id"]),
            "name": " ".join(p for p in (r["student__user__first_name"], r["student__user__last_name"]) if p),
            "unpaidLessonsCount": r["count"],
            "unpaidAmountRub": r["amount"] or 0,
        }
        for r in rows
    ]


def teacher_student_debt(*, teacher_id: uuid.UUID, student_id: uuid.UUID) -> dict:
    return detailed_debt(teacher_rows(teacher_id, student_id))


def _next_planned(rows: QuerySet, now: datetime):
    return rows.filter(lesson__status=Lesson.Status.PLANNED, lesson__start_at__gt=now).exclude(
        attendance=LessonStudent.Attendance.CANCELLED
    )


def teacher_student_card_stats(*, teacher_id: uuid.UUID, student_id: uuid.UUID, zone: zoneinfo.ZoneInfo) -> dict:
    """StudentCardStats = {debt, nextLesson: {date, dayOfWeek (teacher's zone), subjectName} | null}."""
    rows = teacher_rows(teacher_id, student_id)
    agg = rows.aggregate(
        debt_count=Count("id", filter=DEBT_Q), debt_amount=Coalesce(Sum("price_rub", filter=DEBT_Q), 0)
    )
    nxt = (
        _next_planned(rows, timezone.now())
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
    upcoming = _next_planned(rows, timezone.now()).values(
        "lesson_id", "lesson__start_at", "lesson__subject__name", "lesson__subject__color_hex"
    )
    return {
        "debt": {**agg_debt_json(agg), "lessons": _debt_lessons(rows) if agg["debt_count"] else []},
        "attendance": attendance_json(agg),
        "bySubject": _by_subject(rows),
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


# --- lesson views for students and parents ----------------------------------------------------------------


def _students_count() -> Subquery:
    return Subquery(
        LessonStudent.objects.filter(lesson_id=OuterRef("lesson_id"))
        .order_by()
        .values("lesson_id")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )


def _lesson_rows(student_id: uuid.UUID) -> QuerySet[LessonStudent]:
    return (
        LessonStudent.objects.filter(student_id=student_id)
        .select_related("lesson__subject", "lesson__teacher__user")
        .annotate(total_students=_students_count())
    )


def _filter_rows(rows, *, lesson_ids=None, start=None, end=None, subject_id=None, teacher_id=None, status=None):
    if lesson_ids is not None:
        rows = rows.filter(lesson_id__in=list(lesson_ids))
    if start is not None:
        rows = rows.filter(lesson__start_at__gte=start)
    if end is not None:
        rows = rows.filter(lesson__start_at__lte=end)
    if subject_id is not None:
        rows = rows.filter(lesson__subject_id=subject_id)
    if teacher_id is not None:
        rows = rows.filter(lesson__teacher_id=teacher_id)
    if status is not None:
        rows = rows.filter(lesson__status=status)
    return rows.order_by("lesson__start_at", "lesson_id")


def _common_lesson(row: LessonStudent, *, detail: bool) -> dict:
    lesson = row.lesson
    total = row.total_students or 1
    teacher_user = lesson.teacher.user
    teacher = {"firstName": teacher_user.first_name, "lastName": teacher_user.last_name}
    if detail:
        teacher["username"] = teacher_user.username
    return {
        "id": str(lesson.id),
        "seriesId": str(lesson.series_id) if lesson.series_id else None,
        "teacherId": str(lesson.teacher_id),
        "subjectId": str(lesson.subject_id) if lesson.subject_id else None,
        "startAt": iso(lesson.start_at),
        "durationMinutes": lesson.duration_minutes,
        "status": lesson.status,
        "cancelledBy": lesson.cancelled_by,
        "attendance": row.attendance,
        "paymentStatus": row.payment_status,
        "teacherNote": lesson.teacher_note,
        "lessonReport": lesson.lesson_report,
        "meetingUrl": lesson.meeting_url,
        "isGroupLesson": total > 1,
        "totalStudentsCount": total,
        "otherStudentsCount": max(0, total - 1),
        "teacher": teacher,
        "subject": subject_json(lesson.subject),
    }


def student_lesson_json(row: LessonStudent, *, detail: bool = False) -> dict:
    """StudentLesson: the lesson as one student sees it — their own row, never other students' names/notes."""
    data = _common_lesson(row, detail=detail)
    data.update(
        studentNotePrivate=row.student_note_private,
        studentNoteForTeacher=row.student_note_for_teacher,
        reminderMinutesBefore=row.reminder_minutes_before,
    )
    if detail:
        data.update(
            priceRub=row.price_rub,
            rating=row.rating,
            paymentType=row.payment_type,
            createdAt=iso(row.lesson.created_at),
            updatedAt=iso(max(row.lesson.updated_at, row.updated_at)),
        )
    return data


def student_lesson_dicts(
    *,
    student_id: uuid.UUID,
    lesson_ids=None,
    start: datetime | None = None,
    end: datetime | None = None,
    subject_id: uuid.UUID | None = None,
    teacher_id: uuid.UUID | None = None,
    status: str | None = None,
    detail: bool = False,
) -> list[dict]:
    """The student's lessons (StudentLesson wire shape), ascending by start, in one query."""
    rows = _filter_rows(
        _lesson_rows(student_id),
        lesson_ids=lesson_ids,
        start=start,
        end=end,
        subject_id=subject_id,
        teacher_id=teacher_id,
        status=status,
    )
    return [student_lesson_json(row, detail=detail) for row in rows]


def student_lesson_detail(*, student_id: uuid.UUID, lesson_id) -> dict:
    lid = _uuid(lesson_id, "LESSON_NOT_FOUND")
    found = student_lesson_dicts(student_id=student_id, lesson_ids=[lid], detail=True)
    if not found:
        raise ApiError(404, "LESSON_NOT_FOUND")
    return found[0]


def visible_relations(parent_id: uuid.UUID) -> QuerySet[ParentStudentRelation]:
    """The parent's relations whose teacher–child link is active (archived links hide their relations)."""
    active = TeacherStudentLink.objects.filter(
        teacher_id=OuterRef("teacher_id"), student_id=OuterRef("student_id"), archived_at__isnull=True
    )
    return ParentStudentRelation.objects.filter(parent_id=parent_id).filter(Exists(active))


def teacher_ids_visible_to_parent(parent_id: uuid.UUID, student_id: uuid.UUID) -> list[uuid.UUID]:
    """Teachers whose data about this child the parent may see (one query)."""
    return list(
        visible_relations(parent_id)
        .filter(student_id=student_id)
        .order_by("created_at")
        .values_list("teacher_id", flat=True)
    )


def parent_visible_rows(parent_id: uuid.UUID) -> QuerySet[LessonStudent]:
    """LessonStudent rows of the parent's children restricted to visible (teacher, child) pairs."""
    visible = visible_relations(parent_id).filter(
        student_id=OuterRef("student_id"), teacher_id=OuterRef("lesson__teacher_id")
    )
    return LessonStudent.objects.filter(Exists(visible))


def parent_lesson_json(row: LessonStudent, *, detail: bool = False) -> dict:
    """The child's lesson as the parent sees it: no student notes, the child's own row."""
    data = _common_lesson(row, detail=detail)
    data["priceRub"] = row.price_rub
    if detail:
        data.update(
            rating=row.rating,
            createdAt=iso(row.lesson.created_at),
            updatedAt=iso(max(row.lesson.updated_at, row.updated_at)),
        )
    return data


def parent_lesson_dicts(
    *,
    parent_id: uuid.UUID,
    student_id: uuid.UUID,
    lesson_ids=None,
    start: datetime | None = None,
    end: datetime | None = None,
    subject_id: uuid.UUID | None = None,
    teacher_id: uuid.UUID | None = None,
    status: str | None = None,
    detail: bool = False,
) -> list[dict]:
    """The child's lessons with teachers visible to the parent (parent wire shape), one query."""
    visible = visible_relations(parent_id).filter(
        student_id=OuterRef("student_id"), teacher_id=OuterRef("lesson__teacher_id")
    )
    rows = _filter_rows(
        _lesson_rows(student_id).filter(Exists(visible)),
        lesson_ids=lesson_ids,
        start=start,
        end=end,
        subject_id=subject_id,
        teacher_id=teacher_id,
        status=status,
    )
    return [parent_lesson_json(row, detail=detail) for row in rows]


# --- student views --------------------------------------------------------------------------------------


def student_teachers(*, student_id: uuid.UUID) -> list[dict]:
    """All the student's teachers (archived links too, with archivedAt) + subjects of their lessons together."""
    links = list(
        TeacherStudentLink.objects.filter(student_id=student_id).select_related("teacher__user").order_by("created_at")
    )
    subjects = _subjects_by(LessonStudent.objects.filter(student_id=student_id), "lesson__teacher_id")
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


def student_teacher_link(student_id: uuid.UUID, teacher_id) -> TeacherStudentLink:
    tid = _uuid(teacher_id, "TEACHER_NOT_FOUND")
    link = (
        TeacherStudentLink.objects.select_related("teacher__user").filter(student_id=student_id, teacher_id=tid).first()
    )
    if link is None:
        raise ApiError(404, "TEACHER_NOT_FOUND")
    return link


def student_teacher_detail(*, student_id: uuid.UUID, link: TeacherStudentLink) -> dict:
    rows = teacher_rows(link.teacher_id, student_id)
    agg = rows.aggregate(**stats_aggregates())
    subjects = _subjects_by(rows, "lesson__teacher_id").get(link.teacher_id, [])
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


def notification_settings_get(student_id: uuid.UUID) -> StudentNotificationSettings:
    settings_row, _ = StudentNotificationSettings.objects.get_or_create(student_id=student_id)
    return settings_row


def notification_settings_json(row: StudentNotificationSettings) -> dict:
    return {
        "defaultReminderMinutesBefore": row.default_reminder_minutes_before,
        "enableLessonReminders": row.enable_lesson_reminders,
        "enableLessonReports": row.enable_lesson_reports,
    }


# --- streaks and achievements (in the student's zone, B4/B20) ---------------------------------------------

STREAK_GAP_DAYS = 7
ACHIEVEMENTS = [
    ("first_lesson", "Первый шаг", "Посетить первое занятие", "1", 1),
    ("ten_lessons", "Десятка", "Посетить 10 занятий", "10", 10),
    ("perfect_week", "Идеальная неделя", "Посетить все занятия за неделю (минимум 3)", "W", 1),
    ("streak_5", "Пять подряд", "Посетить 5 занятий подряд без пропусков", "5+", 5),
]


def compute_streak(days: list[tuple[date, int, int, datetime]], today: date) -> dict:
    """Streak over the student's lesson days (ascending: day, attended count, missed count, last start).

    A streak is a chain of days with attended lessons where consecutive days are at most 7 days apart and no
    lesson was missed in between (a missed lesson breaks it). `current` is the chain still alive: it ends on
    the last attended day, nothing was missed after it, and that day is at most 7 days before `today`.
    Returns {current, max, reached5At (datetime|None: the moment the first 5-chain completed)}.
    """
    chain, best, last_day, reached5 = 0, 0, None, None
    for day, attended, missed, last_start in days:
        if attended:
            if missed:
                chain = 0  # a miss on the same day breaks before this day's attendance counts
            chain = chain + 1 if (chain and last_day is not None and (day - last_day).days <= STREAK_GAP_DAYS) else 1
            last_day = day
            best = max(best, chain)
            if chain >= 5 and reached5 is None:
                reached5 = last_start
        elif missed:
            chain = 0
            last_day = None
    current = chain if last_day is not None and (today - last_day).days <= STREAK_GAP_DAYS else 0
    return {"current": current, "max": best, "reached5At": reached5}


def _streak_for(rows: QuerySet, zone: zoneinfo.ZoneInfo) -> dict:
    days = (
        rows.filter(lesson__status=Lesson.Status.DONE)
        .annotate(day=TruncDate("lesson__start_at", tzinfo=zone))
        .values("day")
        .annotate(
            attended=Count("id", filter=Q(attendance=LessonStudent.Attendance.ATTENDED)),
            missed=Count("id", filter=Q(attendance=LessonStudent.Attendance.MISSED)),
            last=Max("lesson__start_at"),
        )
        .order_by("day")
    )
    today = timezone.now().astimezone(zone).date()
    return compute_streak([(d["day"], d["attended"], d["missed"], d["last"]) for d in days], today)


def _perfect_weeks(rows: QuerySet, zone: zoneinfo.ZoneInfo) -> tuple[int, datetime | None]:
    """Weeks (Monday–Sunday in the student's zone) with ≥ 3 done lessons, all attended: (count, first earned)."""
    weeks = (
        rows.filter(DONE_Q)
        .annotate(week=TruncWeek("lesson__start_at", tzinfo=zone))
        .values("week")
        .annotate(total=Count("id"), attended=Count("id", filter=ATTENDED_Q), last=Max("lesson__start_at"))
        .filter(total__gte=3)
        .order_by("week")
    )
    perfect = [w for w in weeks if w["attended"] == w["total"]]
    return len(perfect), (perfect[0]["last"] if perfect else None)


def achievements(rows: QuerySet, streak: dict, zone: zoneinfo.ZoneInfo) -> list[dict]:
    attended = rows.filter(ATTENDED_Q)
    agg = attended.aggregate(n=Count("id"), first=Min("lesson__start_at"))
    n = agg["n"]
    tenth = None
    if n >= 10:
        tenth = attended.order_by("lesson__start_at").values_list("lesson__start_at", flat=True)[9]
    perfect_count, perfect_at = _perfect_weeks(rows, zone)
    streak5_at = streak["reached5At"]
    values = {
        "first_lesson": (min(n, 1), agg["first"]),
        "ten_lessons": (min(n, 10), tenth),
        "perfect_week": (min(perfect_count, 1), perfect_at),
        "streak_5": (5 if streak5_at else min(streak["current"], 5), streak5_at),
    }
    return [
        {
            "id": key,
            "name": name,
            "description": description,
            "icon": icon,
            "earnedAt": iso(values[key][1]),
            "progress": values[key][0],
            "target": target,
        }
        for key, name, description, icon, target in ACHIEVEMENTS
    ]


def student_stats(*, student_id: uuid.UUID, zone: zoneinfo.ZoneInfo) -> dict:
    """{total, bySubject, streak:{current,max}, achievements:[4]} over all teachers (constant queries)."""
    rows = LessonStudent.objects.filter(student_id=student_id)
    streak = _streak_for(rows, zone)
    return {
        "total": attendance_json(rows.aggregate(**stats_aggregates())),
        "bySubject": _by_subject(rows),
        "streak": {"current": streak["current"], "max": streak["max"]},
        "achievements": achievements(rows, streak, zone),
    }


# --- parent views ---------------------------------------------------------------------------------------


def teacher_name(display_name: str, first_name: str) -> str:
    return display_name or first_name or ""


def _by_teacher(rows: QuerySet) -> list[dict]:
    values = (
        rows.values("lesson__teacher_id", "lesson__teacher__display_name", "lesson__teacher__user__first_name")
        .annotate(planned=Count("id", filter=DONE_Q), attended=Count("id", filter=ATTENDED_Q))
        .order_by("lesson__teacher__display_name", "lesson__teacher_id")
    )
    return [
        {
            "teacherId": str(v["lesson__teacher_id"]),
            "teacherName": teacher_name(v["lesson__teacher__display_name"], v["lesson__teacher__user__first_name"]),
            "lessonsPlanned": v["planned"],
            "lessonsAttended": v["attended"],
            "attendanceRate": rate(v["attended"], v["planned"]),
        }
        for v in values
    ]


def detailed_stats(rows: QuerySet, zone: zoneinfo.ZoneInfo) -> dict:
    """DetailedStats = {total, bySubject, byTeacher, currentStreak, maxStreak} (streak computed for real)."""
    streak = _streak_for(rows, zone)
    return {
        "total": attendance_json(rows.aggregate(**stats_aggregates())),
        "bySubject": _by_subject(rows),
        "byTeacher": _by_teacher(rows),
        "currentStreak": streak["current"],
        "maxStreak": streak["max"],
    }


def parent_child_relations(parent_id: uuid.UUID, child_id) -> list[ParentStudentRelation]:
    """Visible relations of this parent with the child (teacher + child user loaded) or 403 NOT_YOUR_CHILD."""
    cid = _uuid(child_id, "CHILD_NOT_FOUND")
    rels = list(
        visible_relations(parent_id)
        .filter(student_id=cid)
        .select_related("student__user", "teacher__user")
        .order_by("created_at", "id")
    )
    if not rels:
        raise ApiError(403, "NOT_YOUR_CHILD")
    return rels


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
    return list(children.values())


def child_rows(parent_id: uuid.UUID, child_id: uuid.UUID) -> QuerySet[LessonStudent]:
    return parent_visible_rows(parent_id).filter(student_id=child_id)


def child_teachers(*, parent_id: uuid.UUID, rels: list[ParentStudentRelation]) -> list[dict]:
    """[ChildTeacher] = {teacherId, teacherUser, displayName, bio, subjects, statsWithTeacher}, 2 queries."""
    child_id = rels[0].student_id
    rows = child_rows(parent_id, child_id)
    aggs = {
        a["lesson__teacher_id"]: a for a in rows.values("lesson__teacher_id").annotate(**stats_aggregates()).order_by()
    }
    subjects = _subjects_by(rows, "lesson__teacher_id")
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


def child_debt_breakdown(*, parent_id: uuid.UUID, child_id: uuid.UUID) -> dict:
    """{totalDebt: DebtInfo, byTeacher:[{teacherId, teacherName, hasDebt, unpaidLessonsCount,
    unpaidAmountRub, lessons}]} — only visible teachers, only those with debt (two queries)."""
    rows = child_rows(parent_id, child_id).filter(DEBT_Q)
    values = rows.values(
        "lesson_id",
        "lesson__start_at",
        "price_rub",
        "lesson__subject__name",
        "lesson__teacher_id",
        "lesson__teacher__display_name",
        "lesson__teacher__user__first_name",
    ).order_by("lesson__teacher__display_name", "lesson__teacher_id", "lesson__start_at")
    by_teacher: dict = {}
    total_count = total_amount = 0
    for v in values:
        entry = by_teacher.setdefault(
            v["lesson__teacher_id"],
            {
                "teacherId": str(v["lesson__teacher_id"]),
                "teacherName": teacher_name(v["lesson__teacher__display_name"], v["lesson__teacher__user__first_name"]),
                "hasDebt": True,
                "unpaidLessonsCount": 0,
                "unpaidAmountRub": 0,
                "lessons": [],
            },
        )
        entry["unpaidLessonsCount"] += 1
        entry["unpaidAmountRub"] += v["price_rub"]
        entry["lessons"].append(
            {
                "lessonId": str(v["lesson_id"]),
                "startAt": iso(v["lesson__start_at"]),
                "priceRub": v["price_rub"],
                "subjectName": v["lesson__subject__name"] or "",
            }
        )
        total_count += 1
        total_amount += v["price_rub"]
    return {"totalDebt": debt_json(total_count, total_amount), "byTeacher": list(by_teacher.values())}


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
