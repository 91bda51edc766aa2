"""/api/auth/join, /join-web, /accept-invitation: joins create roster links, so their views live in
lessons/roster (accounts never imports lessons); tutorcal/urls.py mounts this before accounts.urls."""

from django.urls import path

from .roster import views_join as v

urlpatterns = [
    path("join", v.JoinView.as_view()),
    path("join-web", v.JoinWebView.as_view()),
    path("accept-invitation", v.AcceptInvitationView.as_view()),
]
