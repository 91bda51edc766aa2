from django.urls import path

from . import views

urlpatterns = [
    path("", views.AppShellView.as_view(), name="webapp"),
    path("dev-sign-in", views.DevSignInView.as_view(), name="webapp-dev-sign-in"),
    # Deep links (invite links are {WEBAPP_URL}/invite/<code>, a reload on /app/lesson/… ): the same shell.
    path("<path:rest>", views.AppShellView.as_view()),
]
