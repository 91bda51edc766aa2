"""/api/parents/ — the parent's profile, children and their lessons/stats/debts (people area)."""

from django.urls import path

from . import views_policy
from .roster import views_parent as v

urlpatterns = [
    path("me", v.ParentMeView.as_view()),
    path("me/children", v.ChildrenView.as_view()),
    path("me/children/<str:child_id>", v.ChildDetailView.as_view()),
    path("me/children/<str:child_id>/teachers", v.ChildTeachersView.as_view()),
    path("me/children/<str:child_id>/teachers/<str:teacher_id>", v.ChildTeacherDetailView.as_view()),
    path("me/children/<str:child_id>/lessons", v.ChildLessonsView.as_view()),
    path("me/children/<str:child_id>/lessons/<str:lesson_id>", v.ChildLessonDetailView.as_view()),
    path("me/children/<str:child_id>/stats", v.ChildStatsView.as_view()),
    path("me/children/<str:child_id>/debt", v.ChildDebtView.as_view()),
    path("me/children/<str:child_id>/credits", views_policy.ChildCreditsView.as_view()),
    path("me/children/<str:child_id>/notifications", v.ChildNotificationsView.as_view()),
    path("me/notification-settings", v.NotificationSettingsView.as_view()),
]
