"""Tutor policies over HTTP: a student's cancel preview, make-up credits for each side, and the tutor's revert
of a policy decision. Thin views over lessons.services.cancel_policy and subscriptions.credits."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsParent, IsStudent, IsTeacher
from lessons.roster.selectors.links import parent_child_relations, teacher_link
from lessons.selectors.waitlist import student_waitlist
from lessons.services.cancel_policy import cancel_outcome_revert
from lessons.services.student_lessons import student_cancel_preview
from lessons.services.waitlist import waitlist_leave
from subscriptions.selectors import credits_json
from tutorcal.errors import parse_uuid
from tutorcal.openapi import errors

CREDIT_LIST = inline_serializer(
    "MakeUpCredit",
    {
        "id": serializers.UUIDField(),
        "teacherId": serializers.UUIDField(),
        "reason": serializers.CharField(),
        "expiresAt": serializers.DateTimeField(),
        "createdAt": serializers.DateTimeField(),
    },
    many=True,
)
CREDITS = inline_serializer("MakeUpCredits", {"available": serializers.IntegerField(), "credits": CREDIT_LIST})
DECISION = inline_serializer(
    "CancelDecision",
    {
        "outcome": serializers.ChoiceField(choices=["free", "charged", "credited"]),
        "late": serializers.BooleanField(),
        "hoursBefore": serializers.FloatField(),
        "cutoffHours": serializers.IntegerField(),
        "note": serializers.CharField(),
        "costsTheStudent": serializers.BooleanField(),
    },
)
OUTCOME = inline_serializer(
    "CancelOutcome",
    {
        "studentId": serializers.UUIDField(),
        "cancelOutcome": serializers.CharField(allow_null=True),
        "cancelNote": serializers.CharField(),
    },
)


@extend_schema(tags=["teacher: students"], responses={200: CREDITS})
class TeacherStudentCreditsView(APIView):
    permission_classes = [IsTeacher]

    def get(self, request, student_id: str):
        link = teacher_link(request.profile.id, student_id)
        return Response(credits_json(student_id=link.student_id, teacher_ids=[request.profile.id]))


@extend_schema(tags=["teacher: lessons"], request=None, responses={201: OUTCOME, **errors(409)})
class CancelOutcomeRevertView(APIView):
    permission_classes = [IsTeacher]

    def post(self, request, lesson_id: str, student_id: str):
        row = cancel_outcome_revert(
            teacher=request.profile,
            lesson_id=parse_uuid(lesson_id, "LESSON_NOT_FOUND"),
            student_id=parse_uuid(student_id, "STUDENT_NOT_ON_LESSON"),
        )
        body = {"studentId": str(row.student_id), "cancelOutcome": row.cancel_outcome, "cancelNote": row.cancel_note}
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["student"], responses={200: DECISION})
class StudentCancelPreviewView(APIView):
    permission_classes = [IsStudent]

    def get(self, request, lesson_id: str):
        lid = parse_uuid(lesson_id, "LESSON_NOT_FOUND")
        return Response(student_cancel_preview(student=request.profile, lesson_id=lid).as_json())


@extend_schema(tags=["student"], responses={200: CREDITS})
class StudentCreditsView(APIView):
    permission_classes = [IsStudent]

    def get(self, request):
        teacher_ids = request.profile.teacher_links.values_list("teacher_id", flat=True)
        return Response(credits_json(student_id=request.profile.id, teacher_ids=teacher_ids))


@extend_schema(tags=["parent"], responses={200: CREDITS})
class ChildCreditsView(APIView):
    permission_classes = [IsParent]

    def get(self, request, child_id: str):
        rels = parent_child_relations(request.profile.id, child_id)
        return Response(credits_json(student_id=rels[0].student_id, teacher_ids=[r.teacher_id for r in rels]))


WAITLIST = inline_serializer(
    "StudentWaitlistPlace",
    {
        "lessonId": serializers.UUIDField(),
        "teacherId": serializers.UUIDField(),
        "startAt": serializers.DateTimeField(),
        "position": serializers.IntegerField(),
    },
    many=True,
)


@extend_schema(tags=["student"], responses={200: WAITLIST})
class StudentWaitlistView(APIView):
    permission_classes = [IsStudent]

    def get(self, request):
        return Response(student_waitlist(student=request.profile))


@extend_schema(
    tags=["student"], request=None, responses={200: inline_serializer("Ok", {"success": serializers.BooleanField()})}
)
class StudentWaitlistLeaveView(APIView):
    permission_classes = [IsStudent]

    def delete(self, request, lesson_id: str):
        waitlist_leave(student=request.profile, lesson_id=parse_uuid(lesson_id, "NOT_ON_WAITLIST"))
        return Response({"success": True})
