from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import health

handler400 = "tutorcal.errors.json_400"
handler403 = "tutorcal.errors.json_403"
handler404 = "tutorcal.errors.json_404"
handler500 = "tutorcal.errors.json_500"

urlpatterns = [
    path("admin/dashboard/", include("staff.urls_pages")),
    path("", RedirectView.as_view(url="/app/", query_string=True)),
    path("app", RedirectView.as_view(url="/app/", query_string=True)),
    path("app/", include("webapp.urls")),
    path("admin/", admin.site.urls),
    path("api/health", health.HealthView.as_view()),
    path("api/health/live", health.LiveView.as_view()),
    path("api/health/ready", health.ReadyView.as_view()),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/auth/", include("lessons.urls_join")),  # joins create roster links: their views live in lessons
    path("api/auth/google/calendar/", include("lessons.calendars.urls_google")),
    path("api/auth/", include("accounts.urls")),
    path("api/calendar/", include("lessons.calendars.urls_feed")),
    path("api/teachers/", include("lessons.urls_teacher")),
    path("api/teachers/", include("lessons.urls_teacher_students")),
    path("api/teachers/", include("subscriptions.urls_teacher")),
    path("api/students/", include("lessons.urls_student")),
    path("api/students/", include("subscriptions.urls_student")),
    path("api/parents/", include("lessons.urls_parent")),
    path("api/bot/", include("botapp.urls")),
    path("api/max-bot/", include("botapp.urls_max")),
    path("api/realtime/", include("realtime.urls")),
    path("api/", include("staff.urls_support")),
    path("api/admin/", include("staff.urls_admin")),
    path("", include("staff.urls_metrics")),
]
