"""/api/calendar/: the feed URL of the signed-in role, its rotation, and the feed itself (<token>.ics)."""

from django.urls import path

from . import views_feed

urlpatterns = [
    path("feed", views_feed.FeedUrlView.as_view()),
    path("feed/rotate", views_feed.FeedRotateView.as_view()),
    path("<str:token>.ics", views_feed.FeedIcsView.as_view()),
]
