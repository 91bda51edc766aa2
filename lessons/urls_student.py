"""/api/students/ — the student's profile, teachers, lessons, stats and settings (people area)."""

from django.urls import path

from . import views_policy
from .roster import views_student as v

urlpatterns = [
    path("me", v.StudentMeView.as_view()),
    path("me/parent-invite-link", v.ParentInviteLinkView.as_view()),
    path("me/teachers", v.TeachersView.as_view()),
    path("me/teachers/<str:teacher_id>", v.TeacherDetailView.as_view()),
    path("me/lessons", v.LessonsView.as_view()),
    path("me/lessons/<str:lesson_id>", v.LessonDetailView.as_view()),
    path("me/lessons/<str:lesson_id>/cancel", v.LessonCancelView.as_view()),
    path("me/lessons/<str:lesson_id>/cancel-preview", views_policy.StudentCancelPreviewView.as_view()),
    path("me/credits", views_policy.StudentCreditsView.as_view()),
    path("me/waitlist", views_policy.StudentWaitlistView.as_view()),
    path("me/lessons/<str:lesson_id>/waitlist", views_policy.StudentWaitlistLeaveView.as_view()),
    path("me/stats", v.StatsView.as_view()),
    path("me/stats/teacher/<str:teacher_id>", v.StatsTeacherView.as_view()),
    path("me/notification-settings", v.NotificationSettingsView.as_view()),
]
