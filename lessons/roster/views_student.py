"""Student API (/api/students/me/…): reference §4 with decisions §4 (own per-student notes, cancel rules).
Every query is scoped by request.profile (the authenticated StudentProfile)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStudent
from accounts.selectors import notification_settings_get, notification_settings_json
from accounts.services.profiles import profile_update, student_notification_settings_update
from lessons.roster.selectors.links import student_teacher_link
from lessons.roster.selectors.student_teachers import (
    student_stats_with_teacher,
    student_teacher_detail,
    student_teachers,
)
from lessons.roster.services.invitations import fallback_url, invite_url
from lessons.selectors.progress import student_stats
from lessons.selectors.stamps import profile_stamp
from lessons.selectors.stats import zone_of
from lessons.selectors.student_lessons import student_lesson_detail, student_lesson_dicts
from lessons.services.student_lessons import student_lesson_cancel, student_lesson_update
from tutorcal.errors import parse_uuid
from tutorcal.openapi import IF_NONE_MATCH, NOT_MODIFIED, errors
from tutorcal.timeutil import iso
from tutorcal.viewcache import cached_json

from . import output as o
from . import serializers as s

TAGS = ["student"]


def profile_json(profile) -> dict:
    """Student/parent GET /me: {id, userId, user:{…}, customFields, timezone, createdAt, updatedAt}."""
    user = profile.user
    return {
        "id": str(profile.id),
        "userId": str(user.id),
        "user": {
            "telegramId": user.telegram_id,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "username": user.username,
            "timezone": user.timezone,
        },
        "customFields": profile.custom_fields,
        "timezone": user.timezone,
        "createdAt": iso(profile.created_at),
        "updatedAt": iso(profile.updated_at),
    }


class StudentView(APIView):
    permission_classes = [IsStudent]


class OwnProfileMixin:
    """GET/PATCH …/me of a student or a parent (same shape, same service)."""

    def get(self, request):
        return Response(profile_json(request.profile))

    @extend_schema(request=s.ProfileUpdateSerializer)
    def patch(self, request):
        data = s.validated(s.ProfileUpdateSerializer, request.data)
        return Response(profile_json(profile_update(profile=request.profile, data=data)))


@extend_schema(tags=TAGS, responses=o.OwnProfileOut)
class StudentMeView(OwnProfileMixin, StudentView):
    pass


@extend_schema(tags=TAGS, responses=o.StudentInviteLinkOut)
class ParentInviteLinkView(StudentView):
    def get(self, request):
        code = request.profile.parent_invite_code
        return Response({"parentInviteCode": code, "inviteUrl": invite_url(code), "fallbackUrl": fallback_url(code)})


@extend_schema(tags=TAGS, responses=o.StudentTeacherOut(many=True))
class TeachersView(StudentView):
    @extend_schema(operation_id="students_me_teachers_list")
    def get(self, request):
        return Response(student_teachers(student_id=request.profile.id))


@extend_schema(tags=TAGS, responses=o.StudentTeacherDetailOut)
class TeacherDetailView(StudentView):
    def get(self, request, teacher_id):
        link = student_teacher_link(request.profile.id, teacher_id)
        return Response(student_teacher_detail(student_id=request.profile.id, link=link))


@extend_schema(
    tags=TAGS,
    parameters=[s.LessonRangeQuerySerializer, IF_NONE_MATCH],
    responses={200: o.StudentLessonOut(many=True), **NOT_MODIFIED},
)
class LessonsView(StudentView):
    @extend_schema(operation_id="students_me_lessons_list")
    def get(self, request):
        q = s.validated(s.LessonRangeQuerySerializer, request.query_params, zone=zone_of(request.user))
        student_id = request.profile.id
        filters = {
            "start": q["start"],
            "end": q["end"],
            "subject_id": q.get("subjectId"),
            "teacher_id": q.get("teacherId"),
            "status": q.get("status"),
        }
        return cached_json(
            request,
            scope="student-lessons",
            profile_id=student_id,
            stamp=profile_stamp(student_id),
            params=filters,
            render=lambda: (student_lesson_dicts(student_id=student_id, **filters), None),
        )


@extend_schema(tags=TAGS, responses=o.StudentLessonDetailOut)
class LessonDetailView(StudentView):
    def get(self, request, lesson_id):
        return Response(student_lesson_detail(student_id=request.profile.id, lesson_id=lesson_id))

    @extend_schema(request=s.StudentLessonUpdateSerializer)
    def patch(self, request, lesson_id):
        lid = parse_uuid(lesson_id, "LESSON_NOT_FOUND")
        data = s.validated(s.StudentLessonUpdateSerializer, request.data)
        student_lesson_update(student=request.profile, lesson_id=lid, data=data)
        return Response(student_lesson_detail(student_id=request.profile.id, lesson_id=lid))


@extend_schema(tags=TAGS, request=s.StudentCancelSerializer, responses={201: o.StudentLessonDetailOut, **errors(409)})
class LessonCancelView(StudentView):
    def post(self, request, lesson_id):
        lid = parse_uuid(lesson_id, "LESSON_NOT_FOUND")
        body = s.validated(s.StudentCancelSerializer, request.data)
        student_lesson_cancel(student=request.profile, lesson_id=lid, reason=body.get("reason"))
        detail = student_lesson_detail(student_id=request.profile.id, lesson_id=lid)
        return Response(detail, status=status.HTTP_201_CREATED)  # every POST is 201 in the reference


@extend_schema(tags=TAGS, responses=o.StudentStatsOut)
class StatsView(StudentView):
    def get(self, request):
        return Response(student_stats(student_id=request.profile.id, zone=zone_of(request.user)))


@extend_schema(tags=TAGS, responses=o.AttendanceStatsOut)
class StatsTeacherView(StudentView):
    def get(self, request, teacher_id):
        link = student_teacher_link(request.profile.id, teacher_id)
        return Response(student_stats_with_teacher(student_id=request.profile.id, teacher_id=link.teacher_id))


@extend_schema(tags=TAGS, responses=o.StudentNotificationSettingsOut)
class NotificationSettingsView(StudentView):
    def get(self, request):
        return Response(notification_settings_json(notification_settings_get(request.profile.id)))

    @extend_schema(request=s.NotificationSettingsSerializer)
    def patch(self, request):
        data = s.validated(s.NotificationSettingsSerializer, request.data)
        row = student_notification_settings_update(student=request.profile, data=data)
        return Response(notification_settings_json(row))
