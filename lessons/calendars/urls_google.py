"""/api/auth/google/calendar/ (reference-auth-bot §6.4)."""

from django.urls import path

from . import views_google

urlpatterns = [
    path("auth-url", views_google.AuthUrlView.as_view()),
    path("callback", views_google.CallbackView.as_view()),
    path("status", views_google.StatusView.as_view()),
    path("disconnect", views_google.DisconnectView.as_view()),
    path("events", views_google.EventsView.as_view()),
]
