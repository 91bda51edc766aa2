"""/api/teachers/ — the teacher's profile and students (people area). Literal segments precede `<student_id>`."""

from django.urls import path

from . import views_policy
from .roster import views_teacher as v

urlpatterns = [
    path("me", v.TeacherMeView.as_view()),
    path("me/invite-link", v.InviteLinkView.as_view()),
    path("me/students", v.StudentsView.as_view()),
    path("me/students/archived", v.ArchivedStudentsView.as_view()),
    path("me/students/invitations", v.StudentInvitationView.as_view()),
    path("me/students/<str:student_id>", v.StudentDetailView.as_view()),
    path("me/students/<str:student_id>/restore", v.StudentRestoreView.as_view()),
    path("me/students/<str:student_id>/parents/invitations", v.ParentInvitationView.as_view()),
    path("me/students/<str:student_id>/parents", v.StudentParentsView.as_view()),
    path("me/students/<str:student_id>/parents/<str:parent_id>", v.StudentParentView.as_view()),
    path("me/students/<str:student_id>/lessons", v.StudentLessonsView.as_view()),
    path("me/students/<str:student_id>/debt", v.StudentDebtView.as_view()),
    path("me/students/<str:student_id>/credits", views_policy.TeacherStudentCreditsView.as_view()),
    path("me/students/<str:student_id>/stats", v.StudentStatsView.as_view()),
    path("me/students/<str:student_id>/stats/detailed", v.StudentDetailedStatsView.as_view()),
]
