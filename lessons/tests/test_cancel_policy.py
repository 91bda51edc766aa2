"""The tutor's cancellation policy: cutoff, late-cancel outcomes recorded on the row, tutor cancels giving
credits, make-up bookings spending credits, reversal by the tutor, and bad input."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from lessons.models import Lesson, LessonStudent
from lessons.tests.factories import LessonFactory
from subscriptions.models import MakeUpCredit, Subscription

pytestmark = pytest.mark.django_db

T = "/api/teachers/me"


def policy(tutor, **fields):
    for key, value in fields.items():
        setattr(tutor.profile, key, value)
    tutor.profile.save()


def lesson_in(tutor, student, hours, **kw):
    return LessonFactory(
        teacher=tutor.profile, students=[student.profile], start_at=timezone.now() + timedelta(hours=hours), **kw
    )


def cancel(api, student, lesson):
    return api(student).post(f"/api/students/me/lessons/{lesson.id}/cancel", {}, format="json")


def row(lesson, student) -> LessonStudent:
    return LessonStudent.objects.get(lesson=lesson, student=student.profile)


def debt(api, tutor, student) -> int:
    return api(tutor).get(f"{T}/students/{student.id}/debt").json()["unpaidAmountRub"]


def test_the_policy_is_patched_and_shown_on_the_profile(api, tutor):
    body = {
        "cancelCutoffHours": 12,
        "lateCancelPolicy": "credit",
        "teacherCancelGivesCredit": True,
        "makeUpCreditDays": 30,
    }
    response = api(tutor).patch(f"{T}", body, format="json")
    assert response.status_code == 200
    shown = api(tutor).get(f"{T}").json()
    assert {k: shown[k] for k in body} == body


@pytest.mark.parametrize(
    "body",
    [{"cancelCutoffHours": -1}, {"cancelCutoffHours": 1000}, {"lateCancelPolicy": "fine"}, {"makeUpCreditDays": 0}],
)
def test_out_of_range_policy_values_are_400_and_change_nothing(api, tutor, body):
    response = api(tutor).patch(f"{T}", body, format="json")
    assert response.status_code == 400
    tutor.profile.refresh_from_db()
    assert (tutor.profile.cancel_cutoff_hours, tutor.profile.late_cancel_policy) == (24, "free")


def test_an_early_cancel_is_always_free(api, tutor, student):
    policy(tutor, late_cancel_policy="charge", cancel_cutoff_hours=24)
    lesson = lesson_in(tutor, student, 48, price=1500)
    assert cancel(api, student, lesson).status_code == 201
    r = row(lesson, student)
    assert r.cancel_outcome == "free" and "free" in r.cancel_note
    assert debt(api, tutor, student) == 0


def test_a_late_cancel_under_charge_takes_a_package_lesson(api, tutor, student):
    policy(tutor, late_cancel_policy="charge", cancel_cutoff_hours=24)
    package = Subscription.objects.create(
        teacher=tutor.profile, student=student.profile, type="lessons", total_lessons=5
    )
    lesson = lesson_in(tutor, student, 3)
    preview = api(student).get(f"/api/students/me/lessons/{lesson.id}/cancel-preview").json()
    assert (preview["outcome"], preview["late"], preview["costsTheStudent"]) == ("charged", True, True)
    assert cancel(api, student, lesson).status_code == 201
    package.refresh_from_db()
    r = row(lesson, student)
    assert package.used_lessons == 1 and r.paid_from_subscription and r.cancel_outcome == "charged"
    assert "late cancel" in r.cancel_note


def test_a_late_cancel_under_charge_without_a_package_becomes_debt(api, tutor, student):
    policy(tutor, late_cancel_policy="charge")
    lesson = lesson_in(tutor, student, 2, price=1500)
    assert cancel(api, student, lesson).status_code == 201
    assert debt(api, tutor, student) == 1500
    shown = api(student).get(f"/api/students/me/lessons/{lesson.id}").json()
    assert shown["cancelOutcome"] == "charged" and "late cancel" in shown["cancelNote"]


def test_a_late_cancel_under_credit_grants_a_credit_the_student_sees(api, tutor, student):
    policy(tutor, late_cancel_policy="credit", make_up_credit_days=10)
    lesson = lesson_in(tutor, student, 2)
    assert cancel(api, student, lesson).status_code == 201
    mine = api(student).get("/api/students/me/credits").json()
    assert mine["available"] == 1
    assert api(tutor).get(f"{T}/students/{student.id}/credits").json()["available"] == 1
    credit = MakeUpCredit.objects.get()
    assert timedelta(days=9) < credit.expires_at - timezone.now() <= timedelta(days=10)


def test_the_parent_sees_the_childs_credits(api, tutor, student, parent):
    policy(tutor, late_cancel_policy="credit")
    cancel(api, student, lesson_in(tutor, student, 2))
    assert api(parent).get(f"/api/parents/me/children/{student.id}/credits").json()["available"] == 1


def test_a_tutor_cancel_gives_credits_when_enabled(api, tutor, student):
    policy(tutor, teacher_cancel_gives_credit=True)
    lesson = lesson_in(tutor, student, 30)
    response = api(tutor).patch(f"{T}/lessons/{lesson.id}", {"status": "cancelled"}, format="json")
    assert response.status_code == 200
    assert row(lesson, student).cancel_outcome == "credited"
    assert MakeUpCredit.objects.filter(student=student.profile).count() == 1


def test_a_makeup_booking_spends_a_credit_and_cancelling_it_gives_the_credit_back(api, tutor, student):
    policy(tutor, late_cancel_policy="credit")
    cancel(api, student, lesson_in(tutor, student, 2))
    start = (timezone.now() + timedelta(days=3)).isoformat()
    body = {"startAt": start, "durationMinutes": 60, "studentIds": [str(student.id)], "paymentType": "makeup"}
    created = api(tutor).post(f"{T}/lessons", body, format="json")
    assert created.status_code == 201, created.json()
    assert api(student).get("/api/students/me/credits").json()["available"] == 0
    makeup = Lesson.objects.get(id=created.json()["id"])
    r = row(makeup, student)
    assert (r.payment_type, r.payment_status, r.price_rub) == ("makeup", "paid", 0)
    api(tutor).patch(f"{T}/lessons/{makeup.id}", {"status": "cancelled"}, format="json")
    assert api(student).get("/api/students/me/credits").json()["available"] == 1


def test_a_makeup_booking_without_credits_is_409_and_creates_nothing(api, tutor, student):
    start = (timezone.now() + timedelta(days=3)).isoformat()
    body = {"startAt": start, "durationMinutes": 60, "studentIds": [str(student.id)], "paymentType": "makeup"}
    response = api(tutor).post(f"{T}/lessons", body, format="json")
    assert response.status_code == 409 and response.json()["message"] == "NO_MAKEUP_CREDITS"
    assert not Lesson.objects.exists()


def test_the_tutor_reverts_a_charge_and_the_debt_disappears(api, tutor, student):
    policy(tutor, late_cancel_policy="charge")
    lesson = lesson_in(tutor, student, 2, price=900)
    cancel(api, student, lesson)
    assert debt(api, tutor, student) == 900
    url = f"{T}/lessons/{lesson.id}/students/{student.id}/cancel-outcome/revert"
    response = api(tutor).post(url)
    assert response.status_code == 201 and response.json()["cancelOutcome"] == "free"
    assert debt(api, tutor, student) == 0
    again = api(tutor).post(url)
    assert again.status_code == 409 and again.json()["message"] == "NOTHING_TO_REVERT"


def test_reverting_a_spent_credit_is_409(api, tutor, student):
    policy(tutor, late_cancel_policy="credit")
    lesson = lesson_in(tutor, student, 2)
    cancel(api, student, lesson)
    start = (timezone.now() + timedelta(days=3)).isoformat()
    body = {"startAt": start, "durationMinutes": 60, "studentIds": [str(student.id)], "paymentType": "makeup"}
    assert api(tutor).post(f"{T}/lessons", body, format="json").status_code == 201
    response = api(tutor).post(f"{T}/lessons/{lesson.id}/students/{student.id}/cancel-outcome/revert")
    assert response.status_code == 409 and response.json()["message"] == "CREDIT_ALREADY_SPENT"


def test_expired_credits_lapse_in_the_daily_job(api, tutor, student):
    policy(tutor, late_cancel_policy="credit")
    cancel(api, student, lesson_in(tutor, student, 2))
    MakeUpCredit.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    call_command("lapse_makeup_credits")
    assert MakeUpCredit.objects.get().lapsed_at is not None
    assert api(student).get("/api/students/me/credits").json()["available"] == 0


def test_a_stranger_cannot_read_or_revert(api, tutor, student, stranger_tutor, stranger_student):
    policy(tutor, late_cancel_policy="charge")
    lesson = lesson_in(tutor, student, 2)
    cancel(api, student, lesson)
    assert api(stranger_tutor).get(f"{T}/students/{student.id}/credits").status_code == 404
    url = f"{T}/lessons/{lesson.id}/students/{student.id}/cancel-outcome/revert"
    assert api(stranger_tutor).post(url).status_code == 404
    assert api(stranger_student).get(f"/api/students/me/lessons/{lesson.id}/cancel-preview").status_code == 404
