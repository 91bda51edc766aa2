"""Idempotent creates (issue 17 §4): `Idempotency-Key` on POST creates. Same key + same body within 24 h → the
first response again and nothing new; same key + another body → 409 IDEMPOTENCY_KEY_REUSED; keys are per user."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import IdempotencyKey
from lessons.models import Lesson, LessonSeries, Subject
from subscriptions.models import Subscription

pytestmark = pytest.mark.django_db

LESSON = {"startAt": "2030-01-07T10:00:00Z", "durationMinutes": 60}


def post(client, path, body, key):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retried_lesson_create_replays_the_first_answer_and_creates_nothing(api, tutor):
    client = api(tutor)
    first = post(client, "/api/teachers/me/lessons", LESSON, "k-1")
    again = post(client, "/api/teachers/me/lessons", LESSON, "k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Lesson.objects.count() == 1


def test_a_retried_series_create_creates_one_series(api, tutor):
    body = {**LESSON, "recurrence": {"frequency": "weekly", "count": 4}}
    client = api(tutor)
    first = post(client, "/api/teachers/me/lessons", body, "series-1")
    again = post(client, "/api/teachers/me/lessons", body, "series-1")
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert LessonSeries.objects.count() == 1 and Lesson.objects.count() == 4


def test_subjects_and_subscriptions_are_idempotent_too(api, tutor, student):
    client = api(tutor)
    subject = {"name": "Алгебра", "colorHex": "#336699"}
    assert post(client, "/api/teachers/me/subjects", subject, "s-1").status_code == 201
    assert post(client, "/api/teachers/me/subjects", subject, "s-1").status_code == 201  # not 409 SUBJECT_NAME_EXISTS
    assert Subject.objects.count() == 1
    path = f"/api/teachers/me/students/{student.profile.id}/subscription"
    package = {"type": "lessons", "totalLessons": 8}
    first = post(client, path, package, "p-1")
    assert first.status_code == 201, first.json()
    assert post(client, path, package, "p-1").json() == first.json()
    assert Subscription.objects.count() == 1


def test_the_same_key_with_another_body_is_409_and_creates_nothing(api, tutor):
    client = api(tutor)
    assert post(client, "/api/teachers/me/lessons", LESSON, "k-2").status_code == 201
    other = post(client, "/api/teachers/me/lessons", {**LESSON, "durationMinutes": 90}, "k-2")
    assert other.status_code == 409
    assert other.json()["message"] == "IDEMPOTENCY_KEY_REUSED"
    assert Lesson.objects.count() == 1


def test_keys_belong_to_one_user(api, tutor, stranger_tutor):
    assert post(api(tutor), "/api/teachers/me/lessons", LESSON, "shared").status_code == 201
    theirs = post(api(stranger_tutor), "/api/teachers/me/lessons", LESSON, "shared")
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert Lesson.objects.count() == 2


def test_after_24_hours_the_key_starts_afresh(api, tutor):
    client = api(tutor)
    assert post(client, "/api/teachers/me/lessons", LESSON, "old").status_code == 201
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=24, minutes=1))
    again = post(client, "/api/teachers/me/lessons", LESSON, "old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Lesson.objects.count() == 2


def test_a_failed_create_is_not_remembered(api, tutor):
    client = api(tutor)
    bad = post(client, "/api/teachers/me/lessons", {**LESSON, "durationMinutes": -1}, "k-3")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert post(client, "/api/teachers/me/lessons", LESSON, "k-3").status_code == 201


@pytest.mark.parametrize("key", ["", "a" * 256, "with space", "юникод"])
def test_a_malformed_key_is_a_400(api, tutor, key):
    response = api(tutor).post("/api/teachers/me/lessons", LESSON, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["message"] == "INVALID_IDEMPOTENCY_KEY"
    assert not Lesson.objects.exists()


def test_without_the_header_nothing_changes(api, tutor):
    client = api(tutor)
    assert client.post("/api/teachers/me/lessons", LESSON, format="json").status_code == 201
    assert client.post("/api/teachers/me/lessons", LESSON, format="json").status_code == 201
    assert Lesson.objects.count() == 2 and not IdempotencyKey.objects.exists()
