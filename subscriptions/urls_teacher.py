"""/api/teachers/me/... subscription routes (included from tutorcal/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("me/students/<str:student_id>/subscription", views.StudentSubscriptionView.as_view()),
    path("me/students/<str:student_id>/has-subscription", views.HasSubscriptionView.as_view()),
    path("me/students/<str:student_id>/subscriptions/archived", views.ArchivedSubscriptionsView.as_view()),
    path("me/subscriptions/<str:subscription_id>", views.SubscriptionDeleteView.as_view()),
    path("me/subscriptions/<str:subscription_id>/restore", views.SubscriptionRestoreView.as_view()),
]
