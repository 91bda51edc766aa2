"""Teacher API, people part (/api/teachers/me, /me/invite-link, /me/students/…): reference §2.1 and §2.3.
Every query is scoped by request.profile (the authenticated TeacherProfile)."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsTeacher
from accounts.services.profiles import teacher_profile_update
from lessons.roster.selectors.links import teacher_link
from lessons.roster.selectors.teacher_students import (
    student_parents,
    teacher_archived_students,
    teacher_student_card_stats,
    teacher_student_cards,
    teacher_student_cards_valid_until,
    teacher_student_detail,
    teacher_student_detailed_stats,
    teacher_student_lessons,
)
from lessons.roster.services.invitations import fallback_url, invitation_create, invite_url
from lessons.roster.services.links import link_archive, link_custom_fields_update, link_restore
from lessons.roster.services.parents import parent_relation_notifications_set
from lessons.selectors.debts import teacher_student_debt
from lessons.selectors.stamps import profile_stamp
from lessons.selectors.stats import zone_of
from tutorcal.errors import parse_uuid
from tutorcal.openapi import IF_NONE_MATCH, NOT_MODIFIED, SuccessOut, errors
from tutorcal.timeutil import iso
from tutorcal.viewcache import cached_json

from . import output as o
from . import serializers as s

TAGS = ["teacher: students"]


def teacher_json(teacher) -> dict:
    user = teacher.user
    return {
        "id": str(teacher.id),
        "displayName": teacher.display_name,
        "bio": teacher.bio,
        "referralCode": teacher.referral_code,
        "inviteUrl": invite_url(teacher.referral_code),
        "city": user.city,
        "timezone": user.timezone,
        "cancelCutoffHours": teacher.cancel_cutoff_hours,
        "lateCancelPolicy": teacher.late_cancel_policy,
        "teacherCancelGivesCredit": teacher.teacher_cancel_gives_credit,
        "makeUpCreditDays": teacher.make_up_credit_days,
    }


class TeacherView(APIView):
    permission_classes = [IsTeacher]

    def link(self, request, student_id, *, active_only: bool = False):
        return teacher_link(request.profile.id, student_id, active_only=active_only)


@extend_schema(tags=["teacher: profile"], responses=o.TeacherMeOut)
class TeacherMeView(TeacherView):
    def get(self, request):
        return Response(teacher_json(request.profile))

    @extend_schema(request=s.TeacherProfileUpdateSerializer)
    def patch(self, request):
        data = s.validated(s.TeacherProfileUpdateSerializer, request.data)
        teacher = teacher_profile_update(teacher=request.profile, data=data)
        return Response(teacher_json(teacher))


@extend_schema(tags=["teacher: profile"], responses=o.TeacherInviteLinkOut)
class InviteLinkView(TeacherView):
    def get(self, request):
        code = request.profile.referral_code
        return Response({"referralCode": code, "inviteUrl": invite_url(code), "fallbackUrl": fallback_url(code)})


@extend_schema(tags=TAGS, parameters=[IF_NONE_MATCH], responses={200: o.StudentCardsOut, **NOT_MODIFIED})
class StudentsView(TeacherView):
    @extend_schema(operation_id="teachers_me_students_list")
    def get(self, request):
        teacher_id = request.profile.id

        def render():
            until = teacher_student_cards_valid_until(teacher_id=teacher_id, now=timezone.now())
            return teacher_student_cards(teacher_id=teacher_id), until

        stamp = profile_stamp(teacher_id)
        return cached_json(
            request, scope="teacher-students", profile_id=teacher_id, stamp=stamp, params={}, render=render
        )


@extend_schema(tags=TAGS, responses=o.ArchivedStudentOut(many=True))
class ArchivedStudentsView(TeacherView):
    def get(self, request):
        return Response(teacher_archived_students(teacher_id=request.profile.id))


def _invitation_json(invitation) -> dict:
    return {
        "invitationId": str(invitation.id),
        "token": invitation.token,
        "inviteUrl": invite_url(invitation.token),
        "expiresAt": iso(invitation.expires_at),
    }


@extend_schema(tags=TAGS, request=None, responses={201: o.InvitationCreatedOut})
class StudentInvitationView(TeacherView):
    def post(self, request):
        return Response(_invitation_json(invitation_create(teacher=request.profile)), status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS, responses=o.StudentDetailOut)
class StudentDetailView(TeacherView):
    def get(self, request, student_id):
        link = self.link(request, student_id)
        return Response(teacher_student_detail(teacher_id=request.profile.id, link=link))

    @extend_schema(request=s.LinkUpdateSerializer)
    def patch(self, request, student_id):
        link = self.link(request, student_id)
        data = s.validated(s.LinkUpdateSerializer, request.data)
        link = link_custom_fields_update(link=link, custom_fields=data["customFields"])
        return Response(teacher_student_detail(teacher_id=request.profile.id, link=link))

    @extend_schema(request=s.ArchiveSerializer, responses={200: o.StudentArchivedOut})
    def delete(self, request, student_id):
        link = self.link(request, student_id, active_only=True)
        body = request.data if isinstance(request.data, dict) and request.data else request.query_params
        data = s.validated(s.ArchiveSerializer, body)
        restore_until = link_archive(
            teacher=request.profile,
            student_id=link.student_id,
            delete_individual_lessons=data["deleteIndividualLessons"],
        )
        return Response({"success": True, "action": "archived", "restoreUntil": iso(restore_until)})


@extend_schema(tags=TAGS, request=None, responses={201: SuccessOut, **errors(409)})
class StudentRestoreView(TeacherView):
    def post(self, request, student_id):
        sid = parse_uuid(student_id, "ARCHIVED_STUDENT_NOT_FOUND")
        link_restore(teacher=request.profile, student_id=sid)
        return Response({"success": True}, status=status.HTTP_201_CREATED)  # every POST is 201 in the reference


@extend_schema(tags=TAGS, request=None, responses={201: o.InvitationCreatedOut})
class ParentInvitationView(TeacherView):
    def post(self, request, student_id):
        link = self.link(request, student_id, active_only=True)
        invitation = invitation_create(teacher=request.profile, student=link.student)
        return Response(_invitation_json(invitation), status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS, responses=o.StudentParentOut(many=True))
class StudentParentsView(TeacherView):
    def get(self, request, student_id):
        link = self.link(request, student_id)
        return Response(student_parents(teacher_id=request.profile.id, student_id=link.student_id))


@extend_schema(tags=TAGS, request=s.NotificationsEnabledSerializer, responses=o.ParentNotificationsOut)
class StudentParentView(TeacherView):
    def patch(self, request, student_id, parent_id):
        link = self.link(request, student_id)
        pid = parse_uuid(parent_id, "PARENT_RELATION_NOT_FOUND")
        data = s.validated(s.NotificationsEnabledSerializer, request.data)
        enabled = parent_relation_notifications_set(
            teacher=request.profile, student_id=link.student_id, parent_id=pid, enabled=data["notificationsEnabled"]
        )
        return Response({"success": True, "notificationsEnabled": enabled})


@extend_schema(
    tags=TAGS, parameters=[s.TeacherStudentLessonsQuerySerializer], responses=o.TeacherStudentLessonOut(many=True)
)
class StudentLessonsView(TeacherView):
    def get(self, request, student_id):
        link = self.link(request, student_id)
        query = s.validated(s.TeacherStudentLessonsQuerySerializer, request.query_params, zone=zone_of(request.user))
        filters = {**query, "from": query.pop("start"), "to": query.pop("end")}
        return Response(
            teacher_student_lessons(teacher_id=request.profile.id, student_id=link.student_id, filters=filters)
        )


@extend_schema(tags=TAGS, responses=o.DetailedDebtOut)
class StudentDebtView(TeacherView):
    def get(self, request, student_id):
        link = self.link(request, student_id)
        return Response(teacher_student_debt(teacher_id=request.profile.id, student_id=link.student_id))


@extend_schema(tags=TAGS, responses=o.StudentCardStatsOut)
class StudentStatsView(TeacherView):
    def get(self, request, student_id):
        link = self.link(request, student_id)
        return Response(
            teacher_student_card_stats(
                teacher_id=request.profile.id, student_id=link.student_id, zone=zone_of(request.user)
            )
        )


@extend_schema(tags=TAGS, responses=o.StudentDetailedStatsOut)
class StudentDetailedStatsView(TeacherView):
    def get(self, request, student_id):
        link = self.link(request, student_id)
        return Response(teacher_student_detailed_stats(teacher_id=request.profile.id, student_id=link.student_id))
