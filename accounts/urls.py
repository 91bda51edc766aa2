from django.urls import path

from . import views, views_email, views_max

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
    # e-mail accounts (reference §2.5)
    path("register-email", views_email.RegisterEmailView.as_view()),
    path("verify-code", views_email.VerifyCodeView.as_view()),
    path("resend-code", views_email.ResendCodeView.as_view()),
    path("login-email", views_email.LoginEmailView.as_view()),
    path("me-web", views_email.MeWebView.as_view()),
    path("verify-email", views_email.VerifyEmailView.as_view()),
    path("forgot-password", views_email.ForgotPasswordView.as_view()),
    path("reset-password", views_email.ResetPasswordView.as_view()),
    path("link-email", views_email.LinkEmailView.as_view()),
    path("link-telegram", views_email.LinkTelegramView.as_view()),
    path("auto-link-telegram", views_email.AutoLinkTelegramView.as_view()),
    # MAX messenger (reference §2.4)
    path("init-max", views_max.InitMaxView.as_view()),
    path("link-max", views_max.LinkMaxView.as_view()),
    path("auto-link-max", views_max.AutoLinkMaxView.as_view()),
]
