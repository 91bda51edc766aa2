"""The built-in Mini App: one template shell per page load (the client in static/app/ renders the pages over the
REST API and the WebSocket), the DEBUG-only dev sign-in, and / → /app/."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.generic import TemplateView
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import TeacherStudentLink, User
from accounts.output import AuthSessionOut
from accounts.selectors import profile_of
from accounts.serializers import session_json
from accounts.services.users import profile_ensure
from lessons.roster.services.joins import referral_code_join
from lessons.services.completion import lesson_complete
from lessons.services.lessons import lesson_create
from lessons.services.subjects import subject_create
from tutorcal.openapi import errors

from .i18n import catalogs

# Dev personas: Telegram ids no real account has (real ids start far above), one family linked together.
DEV_PEOPLE = {
    "teacher": (1, "Анна", "Dev-tutor"),
    "student": (2, "Иван", "Dev-student"),
    "parent": (3, "Мария", "Dev-parent"),
}


# Only our own origin, for everything (WebSocket included); Telegram's web clients frame the app, so they may
# (frame-ancestors wins over the X-Frame-Options: DENY that nginx and Django add to every response).
SHELL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self' https://web.telegram.org https://webk.telegram.org https://webz.telegram.org"
)


@method_decorator(xframe_options_exempt, name="dispatch")
class AppShellView(TemplateView):
    template_name = "webapp/app.html"

    def get(self, request, *args, **kwargs):
        # The shell's own words follow the browser; the client then switches to Telegram's language_code.
        lang = "ru" if translation.get_language_from_request(request).startswith("ru") else "en"
        context = {
            "lang": lang,
            "catalogs": catalogs(),
            "config": {"debug": settings.DEBUG, "botUsername": settings.BOT_USERNAME, "lang": lang},
        }
        with translation.override(lang):
            response = self.render_to_response(context).render()
        # The shell holds no data (everything comes from the API with the bearer token): revalidate each time.
        response["Cache-Control"] = "no-cache"
        response["Vary"] = "Accept-Language"
        response["Content-Security-Policy"] = SHELL_CSP
        return response


class DevSignInSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=list(DEV_PEOPLE))


def _dev_user(role: str) -> User:
    telegram_id, first, last = DEV_PEOPLE[role]
    user = User.objects.filter(telegram_id=telegram_id).first()
    if user is None:
        user = User.objects.create_user(telegram_id=telegram_id, first_name=first, last_name=last)
    profile_ensure(user=user, role=role)
    return user


@transaction.atomic
def dev_family() -> dict[str, User]:
    """The dev tutor, a student linked to them and that student's parent (created once, through the services)."""
    people = {role: _dev_user(role) for role in DEV_PEOPLE}
    teacher = profile_of(people["teacher"], "teacher")
    student = profile_of(people["student"], "student")
    if not TeacherStudentLink.objects.filter(teacher=teacher, student=student, archived_at__isnull=True).exists():
        referral_code_join(user=people["student"], code=teacher.referral_code, via="web")
        referral_code_join(user=people["parent"], code=student.parent_invite_code, via="web")
        _demo_lessons(teacher, student)
    return people


def _demo_lessons(teacher, student) -> None:
    """Something to look at: a weekly series from today (two days a week) and yesterday's lesson, unpaid."""
    zone = ZoneInfo(teacher.user.timezone or settings.TIME_ZONE)
    today = timezone.now().astimezone(zone).replace(hour=17, minute=0, second=0, microsecond=0)
    subject = subject_create(teacher=teacher, name="Математика", color_hex="#3390ec")
    days = sorted({(today.weekday() + 1) % 7, (today.weekday() + 3) % 7})  # Python Monday=0 → API Sunday=0
    lesson_create(teacher=teacher, start_at=today, duration_minutes=60, student_ids=[student.id],
                  subject_id=subject.id, price_rub=1500, recurrence={"frequency": "weekly", "daysOfWeek": days,
                                                                      "count": 8})  # fmt: skip
    past = lesson_create(teacher=teacher, start_at=today - timedelta(days=1), duration_minutes=60,
                         student_ids=[student.id], subject_id=subject.id, price_rub=1500)  # fmt: skip
    attended_unpaid = {"student_id": student.id, "attendance": "attended", "payment_status": "unpaid"}
    lesson_complete(teacher=teacher, lesson_id=past.id, students=[attended_unpaid])


@extend_schema_view(
    get=extend_schema(
        responses={
            200: inline_serializer("DevPeople", {"roles": serializers.ListField(child=serializers.CharField())}),
            **errors(404, description="not DEBUG"),
        }
    ),
    post=extend_schema(
        request=DevSignInSerializer, responses={200: AuthSessionOut, **errors(404, description="not DEBUG")}
    ),
)
@extend_schema(tags=["dev"])
class DevSignInView(APIView):
    """DEBUG only (404 otherwise, checked on every request): tokens for the dev tutor, student or parent."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request):
        if not settings.DEBUG:
            raise Http404
        serializer = DevSignInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        role = serializer.validated_data["role"]
        user = dev_family()[role]
        return Response(session_json(user, role))

    def get(self, request):
        if not settings.DEBUG:
            raise Http404
        return Response({"roles": list(DEV_PEOPLE)})
