from django.urls import path

from .api import support_views as v

urlpatterns = [
    path("support", v.SupportView.as_view()),
    path("support/my", v.MySupportView.as_view()),
    path("support/landing-message", v.LandingView.as_view()),
]
