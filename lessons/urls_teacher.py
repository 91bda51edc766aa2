"""/api/teachers/ — subjects and the calendar (the bulk route is registered before the :studentId one, B1)."""

from django.urls import path

from . import views, views_policy
from .calendars import views_import

urlpatterns = [
    path("me/calendar/preview", views_import.IcsPreviewView.as_view()),
    path("me/calendar/import", views_import.IcsImportView.as_view()),
    path("me/calendar/google/preview", views_import.GooglePreviewView.as_view()),
    path("me/calendar/google/import", views_import.GoogleImportView.as_view()),
    path("me/subjects", views.SubjectsView.as_view()),
    path("me/subjects/archived", views.SubjectsArchivedView.as_view()),
    path("me/subjects/<str:subject_id>", views.SubjectDetailView.as_view()),
    path("me/subjects/<str:subject_id>/restore", views.SubjectRestoreView.as_view()),
    path("me/lessons", views.LessonsView.as_view()),
    path("me/lesson-series", views.LessonSeriesView.as_view()),
    path("me/lessons/<str:lesson_id>", views.LessonDetailView.as_view()),
    path("me/lessons/<str:lesson_id>/complete", views.LessonCompleteView.as_view()),
    path("me/lessons/<str:lesson_id>/students", views.LessonStudentsView.as_view()),
    path("me/lessons/<str:lesson_id>/students/bulk", views.LessonStudentsBulkView.as_view()),
    path("me/lessons/<str:lesson_id>/students/<str:student_id>", views.LessonStudentDetailView.as_view()),
    path(
        "me/lessons/<str:lesson_id>/students/<str:student_id>/cancel-outcome/revert",
        views_policy.CancelOutcomeRevertView.as_view(),
    ),
]
