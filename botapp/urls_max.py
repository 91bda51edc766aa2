from django.urls import path

from . import views_max

urlpatterns = [path("webhook", views_max.MaxWebhookView.as_view(), name="max-bot-webhook")]
