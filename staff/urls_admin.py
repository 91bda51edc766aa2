from django.urls import path

from .api import admin_request_views as r
from .api import admin_views as a

urlpatterns = [
    path("login", a.LoginView.as_view()),
    path("me", a.MeView.as_view()),
    path("dashboard/stats", a.StatsView.as_view()),
    path("dashboard/registrations", a.RegistrationsView.as_view()),
    path("requests/stats", r.RequestStatsView.as_view()),
    path("requests/endpoints", r.EndpointsView.as_view()),
    path("requests/endpoint-logs", r.EndpointLogsView.as_view()),
    path("requests/logs", r.LogsView.as_view()),
    path("requests/errors", r.ErrorsView.as_view()),
    path("requests/logs-detailed", r.LogsDetailedView.as_view()),
    path("requests/chart", r.ChartView.as_view()),
    path("referrals", a.ReferralsView.as_view()),
    path("analytics/events", a.EventsView.as_view()),
    path("analytics/top", a.TopEventsView.as_view()),
    path("analytics/track", a.TrackView.as_view()),
    path("users", a.UsersView.as_view()),
    path("support", a.SupportListView.as_view()),
    path("support/count", a.SupportCountView.as_view()),
    path("support/<str:message_id>", a.SupportPatchView.as_view()),
]
