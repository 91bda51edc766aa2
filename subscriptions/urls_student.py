"""/api/students/me/... subscription routes (included from tutorcal/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("me/subscriptions", views.MySubscriptionsView.as_view()),
    path("me/subscriptions/teacher/<str:teacher_id>", views.MySubscriptionWithTeacherView.as_view()),
]
