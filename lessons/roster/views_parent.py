"""Parent API (/api/parents/me/…): reference §5, scoped to teachers the parent has a (visible) relation with.
A child without such a relation is 403 NOT_YOUR_CHILD; a malformed child id is 404 CHILD_NOT_FOUND."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsParent
from lessons.roster.selectors.links import parent_child_relations
from lessons.roster.selectors.parent_children import child_teachers, parent_children, parent_notification_settings
from lessons.roster.services.parents import parent_child_notifications_set, parent_notification_settings_update
from lessons.selectors.debts import agg_debt_json, child_debt_breakdown
from lessons.selectors.progress import detailed_stats
from lessons.selectors.stats import stats_aggregates, user_info, zone_of
from lessons.selectors.student_lessons import child_rows, parent_lesson_dicts
from tutorcal.errors import DomainError, parse_uuid

from . import output as o
from . import serializers as s
from .views_student import OwnProfileMixin

TAGS = ["parent"]


class ParentView(APIView):
    permission_classes = [IsParent]

    def relations(self, request, child_id):
        return parent_child_relations(request.profile.id, child_id)


@extend_schema(tags=TAGS, responses=o.OwnProfileOut)
class ParentMeView(OwnProfileMixin, ParentView):
    pass


@extend_schema(tags=TAGS, responses=o.ChildCardOut(many=True))
class ChildrenView(ParentView):
    @extend_schema(operation_id="parents_me_children_list")
    def get(self, request):
        return Response(parent_children(parent_id=request.profile.id))


@extend_schema(tags=TAGS, responses=o.ChildDetailOut)
class ChildDetailView(ParentView):
    def get(self, request, child_id):
        rels = self.relations(request, child_id)
        child = rels[0].student
        rows = child_rows(request.profile.id, child.id)
        detailed = detailed_stats(rows, zone_of(child.user))
        agg = rows.aggregate(**stats_aggregates())
        return Response(
            {
                "childId": str(child.id),
                "childUser": user_info(child.user),
                "teachers": child_teachers(parent_id=request.profile.id, rels=rels),
                "stats": detailed,
                "debt": agg_debt_json(agg),
                "notificationsEnabled": rels[0].notifications_enabled,
            }
        )


@extend_schema(tags=TAGS, responses=o.ChildTeacherOut(many=True))
class ChildTeachersView(ParentView):
    @extend_schema(operation_id="parents_me_children_teachers_list")
    def get(self, request, child_id):
        rels = self.relations(request, child_id)
        return Response(child_teachers(parent_id=request.profile.id, rels=rels))


@extend_schema(tags=TAGS, responses=o.ChildTeacherDetailOut)
class ChildTeacherDetailView(ParentView):
    def get(self, request, child_id, teacher_id):
        rels = self.relations(request, child_id)
        tid = parse_uuid(teacher_id, "TEACHER_NOT_FOUND")
        rel = next((r for r in rels if r.teacher_id == tid), None)
        if rel is None:  # the reference requires a relation for (parent, child, teacher): 403, not 404
            raise DomainError("NOT_YOUR_CHILD")
        (teacher,) = child_teachers(parent_id=request.profile.id, rels=[rel])
        rows = child_rows(request.profile.id, rel.student_id).filter(lesson__teacher_id=tid)
        agg = rows.aggregate(**stats_aggregates())
        return Response({**teacher, "debt": agg_debt_json(agg)})


@extend_schema(tags=TAGS, parameters=[s.LessonRangeQuerySerializer], responses=o.ParentLessonOut(many=True))
class ChildLessonsView(ParentView):
    @extend_schema(operation_id="parents_me_children_lessons_list")
    def get(self, request, child_id):
        rels = self.relations(request, child_id)
        q = s.validated(s.LessonRangeQuerySerializer, request.query_params, zone=zone_of(request.user))
        return Response(
            parent_lesson_dicts(
                parent_id=request.profile.id,
                student_id=rels[0].student_id,
                start=q["start"],
                end=q["end"],
                subject_id=q.get("subjectId"),
                teacher_id=q.get("teacherId"),
                status=q.get("status"),
            )
        )


@extend_schema(tags=TAGS, responses=o.ParentLessonDetailOut)
class ChildLessonDetailView(ParentView):
    def get(self, request, child_id, lesson_id):
        rels = self.relations(request, child_id)
        lid = parse_uuid(lesson_id, "LESSON_NOT_FOUND")
        found = parent_lesson_dicts(
            parent_id=request.profile.id, student_id=rels[0].student_id, lesson_ids=[lid], detail=True
        )
        if not found:
            raise DomainError("LESSON_NOT_FOUND")
        return Response(found[0])


@extend_schema(tags=TAGS, responses=o.ChildStatsOut)
class ChildStatsView(ParentView):
    def get(self, request, child_id):
        rels = self.relations(request, child_id)
        child = rels[0].student
        rows = child_rows(request.profile.id, child.id)
        return Response(detailed_stats(rows, zone_of(child.user)))


@extend_schema(tags=TAGS, responses=o.ChildDebtOut)
class ChildDebtView(ParentView):
    def get(self, request, child_id):
        rels = self.relations(request, child_id)
        return Response(child_debt_breakdown(parent_id=request.profile.id, child_id=rels[0].student_id))


@extend_schema(tags=TAGS, responses=o.ParentNotificationSettingsOut)
class NotificationSettingsView(ParentView):
    def get(self, request):
        return Response(parent_notification_settings(parent_id=request.profile.id))

    @extend_schema(request=s.ParentNotificationSettingsSerializer)
    def patch(self, request):
        data = s.validated(s.ParentNotificationSettingsSerializer, request.data)
        parent_notification_settings_update(parent=request.profile, children=data["children"])
        return Response(parent_notification_settings(parent_id=request.profile.id))


@extend_schema(tags=TAGS, request=s.NotificationsEnabledSerializer, responses=o.ChildNotificationOut)
class ChildNotificationsView(ParentView):
    def patch(self, request, child_id):
        rels = self.relations(request, child_id)
        data = s.validated(s.NotificationsEnabledSerializer, request.data)
        enabled = parent_child_notifications_set(
            parent=request.profile, child_id=rels[0].student_id, enabled=data["notificationsEnabled"]
        )
        return Response({"childId": str(rels[0].student_id), "notificationsEnabled": enabled})
