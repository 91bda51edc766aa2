"""The Django admin side: the count of new support messages on the index, the queue's filters and search, and
the dashboard's figures checked against the database."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from botapp.models import Outbox
from lessons.models import Lesson
from staff.dashboard import figures
from staff.models import RequestLog, SupportMessage
from staff.selectors.common import last_days, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


def test_admin_index_shows_the_number_of_new_support_messages(staff_client, tutor):
    for status in ["new", "new", "closed"]:
        SupportMessage.objects.create(user=tutor.user, subject="s", message="m", status=status)
    page = staff_client.get("/admin/").content.decode()
    assert 'id="support-new-count">2<' in page


def test_queue_filters_and_search(staff_client, tutor):
    SupportMessage.objects.create(user=tutor.user, subject="Оплата не прошла", message="m")
    SupportMessage.objects.create(subject="[Лендинг] Оля", message="m", source="landing", status="closed")
    assert "Оплата не прошла" in staff_client.get("/admin/staff/supportmessage/?status__exact=new").content.decode()
    page = staff_client.get("/admin/staff/supportmessage/?q=Петрова").content.decode()
    assert "Оплата не прошла" in page and "Лендинг" not in page


def test_dashboard_needs_a_staff_user(tutor):
    client = Client()
    assert client.get("/admin/dashboard/").status_code == 302  # to the admin login
    client.force_login(tutor.user)
    assert client.get("/admin/dashboard/").status_code == 302


def test_dashboard_figures_match_the_database(staff_client, tutor, student, parent, make_teacher):
    now = timezone.now()
    Lesson.objects.create(teacher=tutor.profile, start_at=now, duration_minutes=60, price_rub=0)
    Lesson.objects.create(teacher=tutor.profile, start_at=now - timedelta(days=1), duration_minutes=60, price_rub=0,
                          status="done")  # fmt: skip
    for status, ms in [(200, 10), (500, 90), (404, 5)]:
        RequestLog.objects.create(created_at=now, method="GET", path="/api/x", status_code=status, duration_ms=ms,
                                  user_id=tutor.user.pk, user_role="teacher")  # fmt: skip
    SupportMessage.objects.create(subject="s", message="m")
    Outbox.objects.create(event_type="welcome", dedupe_key="k1", chat_id=1, text="t", next_attempt_at=now)
    Outbox.objects.create(event_type="welcome", dedupe_key="k2", chat_id=1, text="t", next_attempt_at=now,
                          status="failed")  # fmt: skip
    d = today()
    r = staff_client.get(f"/admin/dashboard/?from={d - timedelta(days=6)}&to={d}")
    assert r.status_code == 200
    f = r.context["figures"]
    assert f["active"] == {"teachers": 1, "students": 0, "parents": 0}
    assert f["requestStats"]["totalRequests"] == RequestLog.objects.count() == 3
    assert f["requestStats"]["totalErrors"] == RequestLog.objects.filter(status_code__gte=400).count()
    assert sum(day["total"] for day in f["lessons"]) == Lesson.objects.count() == 2
    assert sum(day["done"] for day in f["lessons"]) == 1
    regs = f["registrations"][-1]
    assert (regs["teachers"], regs["students"], regs["parents"]) == (1, 1, 1)
    assert f["support"]["new"] == SupportMessage.objects.filter(status="new").count() == 1
    assert (f["outbox"]["pending"], f["outbox"]["failed"]) == (1, 1)
    assert f["slowest"][0]["avgDurationMs"] == 35 and f["failing"][0]["totalErrors"] == 2
    page = r.content.decode()
    assert 'id="fig-requests">3<' in page and "staff/barchart.js" in page and 'id="dashboard-data"' in page
    assert "cdn" not in page.lower()


def test_dashboard_runs_one_query_per_figure(staff_user, django_assert_max_num_queries):
    with django_assert_max_num_queries(11):
        figures(last_days(14))


def test_dashboard_refuses_a_bad_range_and_shows_the_default(staff_client):
    r = staff_client.get("/admin/dashboard/?from=2026-02-01&to=2026-01-01")
    assert r.status_code == 200 and "from is after to" in r.content.decode()
    r = staff_client.get("/admin/dashboard/?from=2010-01-01&to=2026-01-01")
    assert "longer than 400 days" in r.content.decode()
    assert len(r.context["figures"]["registrations"]) == 14
