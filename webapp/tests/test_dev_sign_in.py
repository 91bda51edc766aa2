"""The dev sign-in exists only with DEBUG: tokens for a linked demo family; 404 (and no users made) otherwise."""

import pytest

from accounts.models import ParentStudentRelation, TeacherStudentLink, User
from lessons.models import Lesson


@pytest.mark.parametrize("role", ["teacher", "student", "parent"])
def test_dev_sign_in_with_debug_gives_a_working_token_for_the_role(db, client, api, settings, role):
    settings.DEBUG = True
    response = client.post("/app/dev-sign-in", {"role": role}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["currentRole"] == role and body["token"] and body["refreshToken"]
    me = api().get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.status_code == 200 and me.json()["currentRole"] == role


def test_dev_family_is_linked_once(db, client, settings):
    settings.DEBUG = True
    for _ in range(2):
        assert client.post("/app/dev-sign-in", {"role": "teacher"}, content_type="application/json").status_code == 200
    assert User.objects.filter(telegram_id__in=[1, 2, 3]).count() == 3
    assert TeacherStudentLink.objects.filter(teacher__user__telegram_id=1, student__user__telegram_id=2).count() == 1
    assert ParentStudentRelation.objects.filter(parent__user__telegram_id=3, student__user__telegram_id=2).count() == 1


def test_dev_tutor_starts_with_a_week_of_lessons_and_a_debt(db, client, api, settings):
    settings.DEBUG = True
    token = client.post("/app/dev-sign-in", {"role": "teacher"}, content_type="application/json").json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    (card,) = api().get("/api/teachers/me/students", **auth).json()["students"]
    assert card["debt"]["unpaidAmountRub"] == 1500 and card["nextLessonAt"] is not None
    client.post("/app/dev-sign-in", {"role": "teacher"}, content_type="application/json")
    assert Lesson.objects.filter(teacher__user__telegram_id=1).count() == 9  # made once: 8 in the series + 1


def test_dev_sign_in_rejects_an_unknown_role(db, client, settings):
    settings.DEBUG = True
    assert client.post("/app/dev-sign-in", {"role": "admin"}, content_type="application/json").status_code == 400


def test_dev_sign_in_is_unreachable_without_debug(client, settings, db):
    settings.DEBUG = False
    for method in ("get", "post"):
        response = getattr(client, method)("/app/dev-sign-in", {"role": "teacher"}, content_type="application/json")
        assert response.status_code == 404
    assert not User.objects.exists()
    # …and the page does not offer it.
    assert b'"debug":false' in client.get("/app/").content.replace(b" ", b"")
