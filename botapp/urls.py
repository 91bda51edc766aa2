from django.urls import path

from . import views

urlpatterns = [
    path("webhook", views.webhook, name="bot-webhook"),
    path("set-webhook", views.SetWebhookView.as_view()),
    path("webhook-info", views.WebhookInfoView.as_view()),
    path("delete-webhook", views.DeleteWebhookView.as_view()),
    path("test-send", views.TestSendView.as_view()),
    path("notifications", views.NotificationsView.as_view()),
    path("notifications/initial", views.NotificationsInitialView.as_view()),
    path("notifications/toggle", views.NotificationsToggleView.as_view()),
    path("notifications/preference", views.NotificationsPreferenceView.as_view()),
    path("notifications/preferences", views.NotificationsPreferencesView.as_view()),
]
