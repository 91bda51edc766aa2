from datetime import timedelta

import pytest
from django.utils import timezone

from subscriptions.models import Subscription

pytestmark = pytest.mark.django_db

URL = "/admin/subscriptions/subscription/"


@pytest.fixture
def subs(tutor, student, make_student, stranger_tutor):
    other = make_student("Олег", teacher=tutor)
    third = make_student("Глеб", teacher=stranger_tutor)
    return {
        "active": Subscription.objects.create(
            teacher=tutor.profile, student=student.profile, type="lessons", total_lessons=5, name="active-one"
        ),
        "used_up": Subscription.objects.create(
            teacher=tutor.profile,
            student=other.profile,
            type="lessons",
            total_lessons=2,
            used_lessons=2,
            name="used-up",
        ),
        "deleted": Subscription.objects.create(
            teacher=tutor.profile,
            student=other.profile,
            type="lessons",
            total_lessons=2,
            deleted_at=timezone.now(),
            name="deleted-one",
        ),
        "date_expired": Subscription.objects.create(
            teacher=stranger_tutor.profile,
            student=third.profile,
            type="date",
            expires_at=timezone.now() - timedelta(days=1),
            name="date-expired",
        ),
    }


def names(response) -> set[str]:
    html = response.content.decode()
    return {n for n in ("active-one", "used-up", "deleted-one", "date-expired") if n in html}


def test_staff_can_filter_subscriptions_by_type_active_expired_and_teacher(admin_client, subs, stranger_tutor):
    assert names(admin_client.get(URL)) == {"active-one", "used-up", "deleted-one", "date-expired"}
    assert names(admin_client.get(URL, {"type__exact": "date"})) == {"date-expired"}
    assert names(admin_client.get(URL, {"active": "yes"})) == {"active-one"}
    assert names(admin_client.get(URL, {"active": "no"})) == {"used-up", "deleted-one", "date-expired"}
    assert names(admin_client.get(URL, {"expired": "yes"})) == {"used-up", "date-expired"}
    assert names(admin_client.get(URL, {"expired": "no"})) == {"active-one", "deleted-one"}
    assert names(admin_client.get(URL, {"teacher__id__exact": str(stranger_tutor.id)})) == {"date-expired"}


def test_the_admin_change_page_opens(admin_client, subs):
    assert admin_client.get(f"{URL}{subs['active'].id}/change/").status_code == 200
