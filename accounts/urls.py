from django.urls import path

from . import views

urlpatterns = [
    path("init", views.InitView.as_view()),
    path("register", views.RegisterView.as_view()),
    path("select-role", views.SelectRoleView.as_view()),
    path("add-role", views.AddRoleView.as_view()),
    path("me", views.MeView.as_view()),
    path("refresh", views.RefreshView.as_view()),
    path("logout", views.LogoutView.as_view()),
    path("delete-account", views.DeleteAccountView.as_view()),
    path("restore-account", views.RestoreAccountView.as_view()),
    path("activate-beta", views.ActivateBetaView.as_view()),
    path("beta-status", views.BetaStatusView.as_view()),
]
