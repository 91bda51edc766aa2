"""Teacher calendar API (/api/teachers/me/subjects, /me/lessons, /me/lesson-series): thin views over
lessons.services (writes) and lessons.selectors (reads). Reference §2.2, §2.4; decisions §2, §4."""

import uuid
from contextlib import nullcontext
from zoneinfo import ZoneInfo

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from accounts.permissions import IsTeacher
from lessons.selectors.calendar import teacher_lesson_detail, teacher_lesson_dict, teacher_lesson_dicts
from lessons.selectors.series import lesson_series_list
from lessons.selectors.stamps import profile_stamp
from lessons.selectors.subjects import subject_json, subjects_active, subjects_archived
from lessons.services.completion import lesson_complete
from lessons.services.lesson_students import (
    lesson_student_add,
    lesson_student_remove,
    lesson_student_update,
    lesson_students_bulk,
)
from lessons.services.lessons import lesson_create, lesson_delete, lesson_update
from lessons.services.series import SeriesResult
from lessons.services.subjects import subject_create, subject_delete, subject_restore, subject_update
from tutorcal.errors import DomainError, parse_uuid
from tutorcal.openapi import IF_NONE_MATCH, NOT_MODIFIED, SuccessOut, errors
from tutorcal.timeutil import iso, parse_moment, range_bounds
from tutorcal.viewcache import cached_json

from . import output as o
from . import serializers as s

APPLY_TO_SERIES = OpenApiParameter(
    "applyToSeries", str, enum=["this", "future", "all"], required=False, description="default: this"
)


def _body(serializer_class, request, *, zone: ZoneInfo | None = None) -> dict:
    """Validated body; with `zone`, naive datetimes (and endDate days) are read in the teacher's zone."""
    serializer = serializer_class(data=request.data)
    with timezone.override(zone) if zone is not None else nullcontext():
        serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _student_path_id(value: str) -> uuid.UUID:
    """A malformed id names no student: the nil UUID matches no row, so the lesson is still checked first
    (404 LESSON_NOT_FOUND for someone else's lesson, else 404 STUDENT_NOT_ON_LESSON), as in the reference."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.UUID(int=0)


class TeacherView(APIView):
    permission_classes = [IsTeacher]

    @property
    def teacher(self):
        return self.request.profile

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.teacher.user.timezone or "Europe/Moscow")

    def lesson_json(self, lesson_id, *, status_code: int = 200) -> Response:
        found = teacher_lesson_dict(teacher_id=self.teacher.id, lesson_id=lesson_id)
        if found is None:  # deleted concurrently
            raise DomainError("LESSON_NOT_FOUND")
        return Response(found, status=status_code)


# ---------------------------------------------------------------------------------------------- subjects


@extend_schema(tags=["teacher: subjects"])
class SubjectsView(TeacherView):
    @extend_schema(operation_id="teachers_me_subjects_list", responses=o.SubjectOut(many=True))
    def get(self, request):
        return Response([subject_json(x) for x in subjects_active(teacher_id=self.teacher.id)])

    @extend_schema(request=s.SubjectCreateSerializer, responses={201: o.SubjectOut, **errors(409)})
    @idempotent
    def post(self, request):
        data = _body(s.SubjectCreateSerializer, request)
        subject = subject_create(
            teacher=self.teacher, name=data["name"], color_hex=data["color_hex"], code=data.get("code") or None
        )
        return Response(subject_json(subject), status=status.HTTP_201_CREATED)


@extend_schema(tags=["teacher: subjects"], responses=o.SubjectOut(many=True))
class SubjectsArchivedView(TeacherView):
    def get(self, request):
        return Response([subject_json(x) for x in subjects_archived(teacher_id=self.teacher.id)])


@extend_schema(tags=["teacher: subjects"])
class SubjectDetailView(TeacherView):
    @extend_schema(request=s.SubjectUpdateSerializer, responses={200: o.SubjectOut, **errors(409)})
    def patch(self, request, subject_id: str):
        sid = parse_uuid(subject_id, "SUBJECT_NOT_FOUND")
        data = _body(s.SubjectUpdateSerializer, request)
        return Response(subject_json(subject_update(teacher=self.teacher, subject_id=sid, data=data)))

    @extend_schema(responses={200: o.SubjectDeleteOut})
    def delete(self, request, subject_id: str):
        sid = parse_uuid(subject_id, "SUBJECT_NOT_FOUND")
        return Response(subject_delete(teacher=self.teacher, subject_id=sid))


@extend_schema(tags=["teacher: subjects"], request=None, responses={201: SuccessOut, **errors(409)})
class SubjectRestoreView(TeacherView):
    def post(self, request, subject_id: str):
        sid = parse_uuid(subject_id, "SUBJECT_NOT_FOUND")
        subject_restore(teacher=self.teacher, subject_id=sid)
        return Response({"success": True}, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------------- lessons


def parse_instant(value: str, name: str):
    """A from/to query value: an ISO datetime or a date (resolved in the teacher's zone by range_bounds)."""
    parsed = parse_moment(value)
    if parsed is None:
        raise DomainError("INVALID_FROM_DATE" if name == "from" else "INVALID_TO_DATE")
    return parsed


def series_json(result: SeriesResult, *, full: bool) -> dict:
    series = result.series
    head = {"id": str(series.id), "frequency": series.frequency}
    if full:
        head.update(dayOfWeek=series.day_of_week, daysOfWeek=series.days_of_week, timeOfDay=series.time_of_day)
    return {
        "series": head,
        "lessonsCreated": len(result.lessons),
        "lessons": [{"id": str(x.id), "startAt": iso(x.start_at), "status": x.status} for x in result.lessons],
    }


@extend_schema(tags=["teacher: lessons"])
class LessonsView(TeacherView):
    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, required=True, description="ISO datetime, or a date (teacher's zone)"),
            OpenApiParameter("to", str, required=True, description="ISO datetime, or a date (whole day, inclusive)"),
            OpenApiParameter("subjectId", str, required=False),
            OpenApiParameter("studentId", str, required=False),
            OpenApiParameter("status", str, enum=s.STATUS, required=False),
            IF_NONE_MATCH,
        ],
        operation_id="teachers_me_lessons_list",
        responses={200: o.TeacherLessonOut(many=True), **NOT_MODIFIED},
    )
    def get(self, request):
        query = s.LessonListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        start, end = range_bounds(
            parse_instant(q["from"], "from"), parse_instant(q["to"], "to"), zone=self.zone, now=timezone.now()
        )
        filters = {"start": start, "end": end, **{k: q.get(k) for k in ("subject_id", "student_id", "status")}}
        teacher_id = self.teacher.id
        return cached_json(
            request,
            scope="teacher-lessons",
            profile_id=teacher_id,
            stamp=profile_stamp(teacher_id),  # before the read: what is cached under it is at least this new
            params=filters,
            render=lambda: (teacher_lesson_dicts(teacher_id=teacher_id, **filters), None),
        )

    @extend_schema(request=s.LessonCreateSerializer, responses={201: o.LessonOrSeriesOut, **errors(404, 409)})
    @idempotent
    def post(self, request):
        data = _body(s.LessonCreateSerializer, request, zone=self.zone)
        student_ids = data.get("student_ids")
        if student_ids is None and data.get("student_id") is not None:
            student_ids = [data["student_id"]]
        result = lesson_create(
            teacher=self.teacher,
            start_at=data["start_at"],
            duration_minutes=data["duration_minutes"],
            student_ids=student_ids or [],
            subject_id=data.get("subject_id"),
            price_rub=data.get("price_rub") or 0,
            is_free=data.get("is_free", False),
            payment_type=data.get("payment_type"),
            teacher_note=data.get("teacher_note"),
            reminder_minutes_before=data.get("reminder_minutes_before"),
            meeting_url=data.get("meeting_url"),
            recurrence=data.get("recurrence"),
            capacity=data.get("capacity"),
        )
        if isinstance(result, SeriesResult):
            return Response(series_json(result, full=True), status=status.HTTP_201_CREATED)
        return self.lesson_json(result.id, status_code=status.HTTP_201_CREATED)


@extend_schema(tags=["teacher: lessons"])
class LessonDetailView(TeacherView):
    @extend_schema(responses=o.TeacherLessonDetailOut)
    def get(self, request, lesson_id: str):
        lid = parse_uuid(lesson_id, "LESSON_NOT_FOUND")
        found = teacher_lesson_detail(teacher_id=self.teacher.id, lesson_id=lid)
        if found is None:
            raise DomainError("LESSON_NOT_FOUND")
        return Response(found)

    @extend_schema(
        request=s.LessonUpdateSerializer,
        parameters=[APPLY_TO_SERIES],
        responses={200: o.LessonOrSeriesOut, **errors(409)},
    )
    def patch(self, request, lesson_id: str):
        lid = parse_uuid(lesson_id, "LESSON_NOT_FOUND")
        data = dict(_body(s.LessonUpdateSerializer, request, zone=self.zone))
        if data.get("meeting_url") == "":
            data["meeting_url"] = None
        result = lesson_update(
            teacher=self.teacher, lesson_id=lid, data=data, apply_to_series=request.query_params.get("applyToSeries")
        )
        if isinstance(result, SeriesResult):
            return Response(series_json(result, full=False))
        return self.lesson_json(result.id)

    @extend_schema(parameters=[APPLY_TO_SERIES], responses={200: SuccessOut})
    def delete(self, request, lesson_id: str):
        lid = parse_uuid(lesson_id, "LESSON_NOT_FOUND")
        lesson_delete(teacher=self.teacher, lesson_id=lid, apply_to_series=request.query_params.get("applyToSeries"))
        return Response({"success": True})


@extend_schema(tags=["teacher: lessons"], responses=o.LessonSeriesOut(many=True))
class LessonSeriesView(TeacherView):
    def get(self, request):
        return Response(lesson_series_list(teacher_id=self.teacher.id))


@extend_schema(tags=["teacher: lessons"])
class LessonStudentsView(TeacherView):
    @extend_schema(request=s.LessonStudentAddSerializer, responses={201: o.TeacherLessonOut, **errors(409)})
    def post(self, request, lesson_id: str):
        lid = parse_uuid(lesson_id, "LESSON_NOT_FOUND")
        data = _body(s.LessonStudentAddSerializer, request)
        lesson_student_add(
            teacher=self.teacher, lesson_id=lid, student_id=data["student_id"], price_rub=data.get("price_rub")
        )
        return self.lesson_json(lid, status_code=status.HTTP_201_CREATED)


@extend_schema(tags=["teacher: lessons"])
class LessonStudentDetailView(TeacherView):
    @extend_schema(request=s.LessonStudentUpdateSerializer, responses=o.LessonStudentUpdateOut)
    def patch(self, request, lesson_id: str, student_id: str):
        lid = parse_uuid(lesson_id, "LESSON_NOT_FOUND")
        sid = _student_path_id(student_id)
        data = _body(s.LessonStudentUpdateSerializer, request)
        row = lesson_student_update(teacher=self.teacher, lesson_id=lid, student_id=sid, data=data)
        return Response({"success": True, "paymentStatus": row.payment_status, "priceRub": row.price_rub})

    @extend_schema(responses={200: o.TeacherLessonOut})
    def delete(self, request, lesson_id: str, student_id: str):
        lid = parse_uuid(lesson_id, "LESSON_NOT_FOUND")
        sid = _student_path_id(student_id)
        lesson_student_remove(teacher=self.teacher, lesson_id=lid, student_id=sid)
        return self.lesson_json(lid)


@extend_schema(tags=["teacher: lessons"])
class LessonStudentsBulkView(TeacherView):
    @extend_schema(request=s.LessonStudentsBulkSerializer, responses=o.TeacherLessonOut)
    def patch(self, request, lesson_id: str):
        lid = parse_uuid(lesson_id, "LESSON_NOT_FOUND")
        data = _body(s.LessonStudentsBulkSerializer, request)
        lesson_students_bulk(teacher=self.teacher, lesson_id=lid, action=data["action"], value=data["value"])
        return self.lesson_json(lid)


@extend_schema(tags=["teacher: lessons"])
class LessonCompleteView(TeacherView):
    @extend_schema(request=s.LessonCompleteSerializer, responses={200: o.TeacherLessonOut, **errors(409)})
    def patch(self, request, lesson_id: str):
        lid = parse_uuid(lesson_id, "LESSON_NOT_FOUND")
        data = _body(s.LessonCompleteSerializer, request)
        lesson_complete(teacher=self.teacher, lesson_id=lid, students=data["students"])
        return self.lesson_json(lid)
