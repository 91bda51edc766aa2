import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import (
    Invitation,
    ParentStudentRelation,
    StudentProfile,
    TeacherProfile,
    TeacherStudentLink,
    User,
)
from accounts.tokens import issue_tokens
from lessons.roster.services.invitations import invitation_create
from tutorcal import events

pytestmark = pytest.mark.django_db


def post(client, path, body=None, **kwargs):
    return client.post(f"/api/auth/{path}", body or {}, format="json", **kwargs)


def bearer(client, token):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def captured(signal):
    calls = []

    def receiver(sender, signal=None, **kwargs):
        calls.append(kwargs)

    signal.connect(receiver, weak=False)
    return calls, lambda: signal.disconnect(receiver)


# ---- init -------------------------------------------------------------------------------------------


def test_init_tells_an_unknown_telegram_user_they_are_new(api, init_data):
    response = post(api(), "init", {"initData": init_data(id=555, first_name="Нина")})
    assert response.status_code == 200
    assert response.json() == {
        "isNewUser": True,
        "telegramUser": {"id": 555, "firstName": "Нина", "lastName": "", "username": "tester"},
    }
    assert not User.objects.filter(telegram_id=555).exists()


def test_init_returns_a_token_for_a_user_with_one_role(api, tutor, init_data):
    response = post(api(), "init", {"initData": init_data(id=tutor.user.telegram_id)})
    body = response.json()
    assert body["isNewUser"] is False and body["currentRole"] == "teacher" and body["roles"] == ["teacher"]
    claims = AccessToken(body["token"])
    assert claims["sub"] == str(tutor.user.id)
    assert claims["role"] == "teacher" and claims["profileId"] == str(tutor.profile.id)
    assert claims["telegramId"] == tutor.user.telegram_id and claims["isBetaTester"] is False
    assert body["refreshToken"]


def test_init_asks_a_multi_role_user_to_select_a_role(api, tutor, init_data):
    StudentProfile.objects.create(user=tutor.user)
    body = post(api(), "init", {"initData": init_data(id=tutor.user.telegram_id)}).json()
    assert body["roles"] == ["teacher", "student"]
    assert body["currentRole"] is None and body["token"] is None


def test_init_offers_restore_to_a_recently_deleted_user(api, tutor, init_data):
    tutor.user.deleted_at = timezone.now() - timedelta(days=2)
    tutor.user.save()
    body = post(api(), "init", {"initData": init_data(id=tutor.user.telegram_id)}).json()
    assert body["isDeleted"] is True and body["canRestore"] is True and body["daysLeft"] == 5
    assert "token" not in body


def test_init_purges_a_user_deleted_more_than_seven_days_ago(api, tutor, init_data):
    tutor.user.deleted_at = timezone.now() - timedelta(days=8)
    tutor.user.save()
    body = post(api(), "init", {"initData": init_data(id=tutor.user.telegram_id)}).json()
    assert body["isNewUser"] is True
    assert not User.objects.filter(pk=tutor.user.pk).exists()
    assert not TeacherProfile.objects.filter(pk=tutor.profile.pk).exists()


@pytest.mark.parametrize(
    "make",
    [
        lambda f: f(auth_date=int(time.time()) - 90_000),  # expired
        lambda f: f(token="999:other-token"),  # forged with another token
        lambda f: f() + "&user=%7B%7D",  # duplicated key
        lambda f: f().rsplit("&hash=", 1)[0],  # missing hash
        lambda f: "user=%7B%22id%22%3A1%7D&hash=abc",  # garbage
    ],
    ids=["expired", "forged", "duplicated-key", "missing-hash", "garbage"],
)
def test_every_auth_entry_point_answers_401_invalid_init_data_to_bad_init_data(api, init_data, make):
    bad = make(init_data)
    for path, extra in [
        ("init", {}),
        ("register", {"role": "teacher"}),
        ("select-role", {"role": "teacher"}),
        ("join", {"referralCode": "T_x"}),
        ("restore-account", {}),
    ]:
        response = post(api(), path, {"initData": bad, **extra})
        assert response.status_code == 401, path
        assert response.json() == {"statusCode": 401, "message": "INVALID_INIT_DATA", "error": "Unauthorized"}


def test_missing_init_data_is_a_validation_error_with_a_list_of_messages(api):
    response = post(api(), "init", {})
    assert response.status_code == 400
    assert response.json()["message"] == ["initData: This field is required."]


def test_malformed_json_is_a_400_not_a_500(api):
    response = api().post("/api/auth/init", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"] == "INVALID_JSON"


def test_a_form_encoded_body_is_a_400(api):
    response = api().post("/api/auth/init", "initData=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json()["message"] == "UNSUPPORTED_MEDIA_TYPE"


def test_get_on_a_post_endpoint_is_a_405_in_the_contract_body(api):
    response = api().get("/api/auth/init")
    assert response.status_code == 405
    assert response.json()["statusCode"] == 405


# ---- register / select-role / add-role ------------------------------------------------------------------


def test_register_creates_user_and_teacher_profile_and_announces_it(api, init_data, django_capture_on_commit_callbacks):
    calls, disconnect = captured(events.user_registered)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api(),
            "register",
            {
                "initData": init_data(id=901, first_name="Ольга", last_name="К"),
                "role": "teacher",
                "referralSource": "vk",
                "isStaff": True,
            },
        )
    disconnect()
    assert response.status_code == 201
    body = response.json()
    user = User.objects.get(telegram_id=901)
    assert body["currentRole"] == "teacher" and body["roles"] == ["teacher"]
    assert body["profile"] == {"id": str(user.teacher_profile.id), "displayName": "Ольга К"}
    assert user.referral_source == "vk" and user.is_staff is False  # unknown fields are never written
    assert user.teacher_profile.referral_code.startswith("T_") and len(user.teacher_profile.referral_code) == 14
    assert calls == [{"user_id": user.pk, "role": "teacher"}]


def test_register_refuses_an_existing_user_with_a_role(api, tutor, init_data):
    response = post(api(), "register", {"initData": init_data(id=tutor.user.telegram_id), "role": "student"})
    assert response.status_code == 409 and response.json()["message"] == "USER_EXISTS"


def test_register_rejects_an_unknown_role(api, init_data):
    response = post(api(), "register", {"initData": init_data(id=902), "role": "admin"})
    assert response.status_code == 400
    assert not User.objects.filter(telegram_id=902).exists()


def test_register_of_a_soft_deleted_user_is_403_account_deleted(api, tutor, init_data):
    User.objects.filter(pk=tutor.user.pk).update(deleted_at=timezone.now())
    response = post(api(), "register", {"initData": init_data(id=tutor.user.telegram_id), "role": "student"})
    assert response.status_code == 403 and response.json()["message"] == "ACCOUNT_DELETED"


def test_select_role_issues_a_token_for_an_existing_role(api, tutor, init_data):
    StudentProfile.objects.create(user=tutor.user)
    body = post(api(), "select-role", {"initData": init_data(id=tutor.user.telegram_id), "role": "student"}).json()
    assert body["currentRole"] == "student"
    assert AccessToken(body["token"])["profileId"] == str(tutor.user.student_profile.id)


def test_select_role_errors(api, tutor, init_data):
    unknown = post(api(), "select-role", {"initData": init_data(id=4242), "role": "teacher"})
    assert unknown.status_code == 401 and unknown.json()["message"] == "USER_NOT_FOUND"
    missing = post(api(), "select-role", {"initData": init_data(id=tutor.user.telegram_id), "role": "parent"})
    assert missing.status_code == 403 and missing.json()["message"] == "ROLE_NOT_AVAILABLE"


def test_add_role_creates_the_profile_and_returns_a_token_for_it(api, tutor):
    response = post(api(tutor), "add-role", {"role": "parent"})
    assert response.status_code == 201
    body = response.json()
    assert body["roles"] == ["teacher", "parent"] and body["currentRole"] == "parent"
    assert AccessToken(body["token"])["profileId"] == str(User.objects.get(pk=tutor.user.pk).parent_profile.id)
    again = post(api(tutor), "add-role", {"role": "parent"})
    assert again.status_code == 409 and again.json()["message"] == "ROLE_EXISTS"


def test_add_role_needs_a_token(api):
    response = post(api(), "add-role", {"role": "parent"})
    assert response.status_code == 401
    assert response.json() == {"statusCode": 401, "message": "Unauthorized", "error": "Unauthorized"}


# ---- me / refresh / logout --------------------------------------------------------------------------


def test_me_returns_user_roles_and_profiles(api, tutor, django_assert_max_num_queries):
    StudentProfile.objects.create(user=tutor.user, custom_fields={"grade": "9"})
    client = api(tutor)
    with django_assert_max_num_queries(1):
        body = client.get("/api/auth/me").json()
    assert body["currentRole"] == "teacher" and body["roles"] == ["teacher", "student"]
    assert body["profiles"]["teacher"]["displayName"] == "Анна Петрова"
    assert body["profiles"]["student"]["customFields"] == {"grade": "9"}
    assert body["user"]["createdAt"].endswith("Z") and body["user"]["timezone"] == "Europe/Moscow"


def test_tokens_of_a_soft_deleted_user_stop_working_at_once(api, tutor):
    client = api(tutor)
    assert client.get("/api/auth/me").status_code == 200
    assert post(client, "delete-account").status_code == 200
    assert client.get("/api/auth/me").status_code == 401
    # A fresh token for the deleted user is refused too (not only the revoked one).
    response = api(tutor).get("/api/auth/me")
    assert response.status_code == 401 and response.json()["message"] == "USER_NOT_FOUND"


def test_a_deactivated_user_is_refused(api, tutor):
    client = api(tutor)
    User.objects.filter(pk=tutor.user.pk).update(is_active=False)
    assert client.get("/api/auth/me").status_code == 401


def test_a_token_signed_with_another_key_is_refused(api, tutor):
    import jwt

    live = jwt.decode(issue_tokens(tutor.user, "teacher")["token"], options={"verify_signature": False})
    forged = jwt.encode(
        {
            "sid": live["sid"],  # a live session: only the key is wrong
            "sub": str(tutor.user.id),
            "role": "teacher",
            "token_type": "access",
            "exp": 9999999999,
            "jti": "x",
            "profileId": str(tutor.profile.id),
        },
        "another-secret-of-a-proper-length-32-bytes-or-more",
        algorithm="HS256",
    )
    response = bearer(api(), forged).get("/api/auth/me")
    assert response.status_code == 401


def test_refresh_rotates_and_blacklists_the_refresh_token(api, tutor, init_data):
    session = post(api(), "init", {"initData": init_data(id=tutor.user.telegram_id)}).json()
    first = post(api(), "refresh", {"refreshToken": session["refreshToken"]})
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"token", "refreshToken", "expiresAt"} and body["refreshToken"] != session["refreshToken"]
    assert AccessToken(body["token"])["role"] == "teacher"
    reused = post(api(), "refresh", {"refreshToken": session["refreshToken"]})
    assert reused.status_code == 401 and reused.json()["message"] == "INVALID_REFRESH_TOKEN"


def test_refresh_re_reads_claims_from_the_database(api, tutor, init_data):
    session = post(api(), "init", {"initData": init_data(id=tutor.user.telegram_id)}).json()
    User.objects.filter(pk=tutor.user.pk).update(is_beta_tester=True)
    body = post(api(), "refresh", {"refreshToken": session["refreshToken"]}).json()
    assert AccessToken(body["token"])["isBetaTester"] is True


def test_refresh_accepts_a_still_valid_bearer_for_the_existing_frontend(api, tutor):
    response = post(api(tutor), "refresh")
    assert response.status_code == 200
    assert AccessToken(response.json()["token"])["profileId"] == str(tutor.profile.id)


def test_refresh_without_anything_is_401(api):
    assert post(api(), "refresh").status_code == 401
    assert post(api(), "refresh", {"refreshToken": "garbage"}).json()["message"] == "INVALID_REFRESH_TOKEN"


def test_refresh_of_a_deleted_user_is_refused(api, tutor, init_data):
    session = post(api(), "init", {"initData": init_data(id=tutor.user.telegram_id)}).json()
    User.objects.filter(pk=tutor.user.pk).update(deleted_at=timezone.now())
    assert post(api(), "refresh", {"refreshToken": session["refreshToken"]}).status_code == 401


def test_logout_blacklists_the_refresh_token_and_revokes_the_access_token(api, tutor, init_data):
    session = post(api(), "init", {"initData": init_data(id=tutor.user.telegram_id)}).json()
    client = bearer(api(), session["token"])
    response = post(client, "logout", {"refreshToken": session["refreshToken"]})
    assert response.status_code == 200 and response.json()["message"]
    assert client.get("/api/auth/me").status_code == 401
    assert post(api(), "refresh", {"refreshToken": session["refreshToken"]}).status_code == 401


# ---- joins ------------------------------------------------------------------------------------------


def test_join_with_a_teacher_code_creates_user_student_profile_and_link(
    api, tutor, init_data, django_capture_on_commit_callbacks
):
    calls, disconnect = captured(events.student_joined)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api(),
            "join",
            {"initData": init_data(id=3001, first_name="Коля"), "referralCode": tutor.profile.referral_code},
        )
    disconnect()
    assert response.status_code == 200
    body = response.json()
    student = User.objects.get(telegram_id=3001).student_profile
    assert body["currentRole"] == "student" and body["isNewConnection"] is True
    assert body["teacher"] == {"id": str(tutor.profile.id), "displayName": "Анна Петрова"}
    assert body["parentInviteCode"] == student.parent_invite_code
    assert body["parentInviteUrl"].endswith(f"/invite/{student.parent_invite_code}")
    assert TeacherStudentLink.objects.filter(teacher=tutor.profile, student=student, archived_at=None).exists()
    assert calls == [{"teacher_id": tutor.profile.id, "student_id": student.id, "via": "telegram", "restored": False}]


def test_joining_twice_is_not_a_new_connection(api, tutor, student, init_data):
    body = post(
        api(), "join", {"initData": init_data(id=student.user.telegram_id), "referralCode": tutor.profile.referral_code}
    ).json()
    assert body["isNewConnection"] is False
    assert TeacherStudentLink.objects.filter(teacher=tutor.profile).count() == 1


def test_rejoining_un_archives_an_archived_link(api, tutor, student, init_data):
    TeacherStudentLink.objects.filter(teacher=tutor.profile).update(archived_at=timezone.now())
    body = post(
        api(), "join", {"initData": init_data(id=student.user.telegram_id), "referralCode": tutor.profile.referral_code}
    ).json()
    assert body["isNewConnection"] is True
    assert TeacherStudentLink.objects.get(teacher=tutor.profile).archived_at is None


def test_a_teacher_cannot_join_their_own_code(api, tutor, init_data):
    response = post(
        api(), "join", {"initData": init_data(id=tutor.user.telegram_id), "referralCode": tutor.profile.referral_code}
    )
    assert response.status_code == 400 and response.json()["message"] == "CANNOT_JOIN_OWN_CODE"
    assert not StudentProfile.objects.filter(user=tutor.user).exists()


def test_join_with_a_parent_code_relates_the_parent_to_every_active_teacher(
    api, tutor, student, make_teacher, init_data
):
    second = make_teacher("Борис", "Второй")
    archived = make_teacher("Вера", "Архив")
    TeacherStudentLink.objects.create(teacher=second.profile, student=student.profile)
    TeacherStudentLink.objects.create(teacher=archived.profile, student=student.profile, archived_at=timezone.now())
    body = post(
        api(),
        "join",
        {"initData": init_data(id=4001, first_name="Папа"), "referralCode": student.profile.parent_invite_code},
    ).json()
    parent = User.objects.get(telegram_id=4001).parent_profile
    assert body["currentRole"] == "parent" and body["isNewConnection"] is True
    assert body["student"] == {"id": str(student.profile.id), "name": "Иван Иванов"}
    related = set(ParentStudentRelation.objects.filter(parent=parent).values_list("teacher_id", flat=True))
    assert related == {tutor.profile.id, second.profile.id}


@pytest.mark.parametrize(
    "code,status,message",
    [
        ("X_123", 400, "INVALID_REFERRAL_CODE"),
        ("T_doesnotexist", 404, "TEACHER_NOT_FOUND"),
        ("P_doesnotexist", 404, "STUDENT_NOT_FOUND"),
    ],
)
def test_join_errors(api, init_data, code, status, message):
    response = post(api(), "join", {"initData": init_data(id=5001), "referralCode": code})
    assert response.status_code == status and response.json()["message"] == message


def test_join_parent_code_of_a_student_without_teachers_is_400(api, stranger_student, init_data):
    response = post(
        api(), "join", {"initData": init_data(id=5002), "referralCode": stranger_student.profile.parent_invite_code}
    )
    assert response.status_code == 400 and response.json()["message"] == "STUDENT_HAS_NO_TEACHERS"


def test_a_soft_deleted_user_joining_gets_403_not_500(api, tutor, student, init_data):
    User.objects.filter(pk=student.user.pk).update(deleted_at=timezone.now())
    response = post(
        api(), "join", {"initData": init_data(id=student.user.telegram_id), "referralCode": tutor.profile.referral_code}
    )
    assert response.status_code == 403 and response.json()["message"] == "ACCOUNT_DELETED"


def test_join_web_uses_the_token_user_and_says_via_web(api, tutor, make_teacher, django_capture_on_commit_callbacks):
    other = make_teacher("Дина", "Веб")
    calls, disconnect = captured(events.student_joined)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api(other), "join-web", {"referralCode": tutor.profile.referral_code})
    disconnect()
    assert response.status_code == 200 and response.json()["currentRole"] == "student"
    assert calls[0]["via"] == "web"
    assert post(api(), "join-web", {"referralCode": tutor.profile.referral_code}).status_code == 401


# ---- invitations ------------------------------------------------------------------------------------


def test_accept_student_invitation_links_and_is_single_use(api, tutor, init_data):
    invitation = invitation_create(teacher=tutor.profile)
    assert invitation.token.startswith("INV_") and len(invitation.token) == 36
    response = post(api(), "accept-invitation", {"initData": init_data(id=6001), "invitationToken": invitation.token})
    assert response.status_code == 200
    body = response.json()
    assert body["currentRole"] == "student" and body["isNewConnection"] is True
    assert body["invitation"] == {
        "type": "student",
        "teacher": {"id": str(tutor.profile.id), "displayName": "Анна Петрова"},
    }
    again = post(api(), "accept-invitation", {"initData": init_data(id=6002), "invitationToken": invitation.token})
    assert again.status_code == 410 and again.json()["message"] == "INVITATION_USED"


def test_accept_parent_invitation_relates_the_parent(api, tutor, student, init_data):
    invitation = invitation_create(teacher=tutor.profile, student=student.profile)
    body = post(
        api(), "accept-invitation", {"initData": init_data(id=6003), "invitationToken": invitation.token}
    ).json()
    assert body["currentRole"] == "parent"
    parent = User.objects.get(telegram_id=6003).parent_profile
    assert ParentStudentRelation.objects.filter(parent=parent, student=student.profile, teacher=tutor.profile).exists()


def test_accept_invitation_errors(api, tutor, init_data):
    unknown = post(api(), "accept-invitation", {"initData": init_data(id=6004), "invitationToken": "INV_nope"})
    assert unknown.status_code == 400 and unknown.json()["message"] == "INVALID_INVITATION"
    expired = invitation_create(teacher=tutor.profile)
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = post(api(), "accept-invitation", {"initData": init_data(id=6004), "invitationToken": expired.token})
    assert response.status_code == 410 and response.json()["message"] == "INVITATION_EXPIRED"
    fresh = invitation_create(teacher=tutor.profile)
    bad = post(api(), "accept-invitation", {"initData": "garbage", "invitationToken": fresh.token})
    assert bad.status_code == 401 and bad.json()["message"] == "INVALID_INIT_DATA"
    assert Invitation.objects.get(pk=fresh.pk).used_at is None


# ---- delete / restore / beta ------------------------------------------------------------------------


def test_delete_account_soft_deletes_with_a_seven_day_window(api, tutor):
    body = post(api(tutor), "delete-account").json()
    assert body["success"] is True and body["restoreDays"] == 7 and body["deletedAt"].endswith("Z")
    assert User.objects.get(pk=tutor.user.pk).deleted_at is not None


def test_restore_account_within_the_window_returns_a_session(api, tutor, init_data):
    User.objects.filter(pk=tutor.user.pk).update(deleted_at=timezone.now() - timedelta(days=3))
    body = post(api(), "restore-account", {"initData": init_data(id=tutor.user.telegram_id)}).json()
    assert body["success"] is True and body["currentRole"] == "teacher" and body["token"]
    assert User.objects.get(pk=tutor.user.pk).deleted_at is None


def test_restore_account_errors(api, tutor, init_data):
    not_deleted = post(api(), "restore-account", {"initData": init_data(id=tutor.user.telegram_id)})
    assert not_deleted.status_code == 404 and not_deleted.json()["message"] == "DELETED_USER_NOT_FOUND"
    User.objects.filter(pk=tutor.user.pk).update(deleted_at=timezone.now() - timedelta(days=7, minutes=1))
    late = post(api(), "restore-account", {"initData": init_data(id=tutor.user.telegram_id)})
    assert late.status_code == 410 and late.json()["message"] == "RESTORE_PERIOD_EXPIRED"


def test_activate_beta_with_the_right_code(api, tutor, settings):
    settings.BETA_CODE = "let-me-in"
    wrong = post(api(tutor), "activate-beta", {"betaCode": "nope"})
    assert wrong.status_code == 400 and wrong.json()["message"] == "INVALID_BETA_CODE"
    body = post(api(tutor), "activate-beta", {"betaCode": "let-me-in"}).json()
    assert body["isBetaTester"] is True and AccessToken(body["token"])["isBetaTester"] is True
    assert api(tutor).get("/api/auth/beta-status").json() == {"isBetaTester": True}


def test_activate_beta_is_impossible_when_no_code_is_configured(api, tutor, settings):
    settings.BETA_CODE = ""
    assert post(api(tutor), "activate-beta", {"betaCode": ""}).status_code == 400
    assert post(api(tutor), "activate-beta", {"betaCode": "beta_2025"}).status_code == 400


# ---- throttling and query budgets ------------------------------------------------------------------------


def test_auth_endpoints_are_throttled_per_client_address(api, init_data, settings):
    settings.AUTH_THROTTLE_RATE = "3/minute"
    client = api()
    codes = [post(client, "init", {"initData": init_data(id=7001)}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    body = post(client, "init", {"initData": init_data(id=7001)}).json()
    assert body == {"statusCode": 429, "message": "TOO_MANY_REQUESTS", "error": "Too Many Requests"}


@pytest.mark.parametrize(
    "path,body_of,budget",
    [
        ("init", lambda p, d: {"initData": d(id=p.user.telegram_id)}, 4),
        ("select-role", lambda p, d: {"initData": d(id=p.user.telegram_id), "role": "teacher"}, 4),
        # 20 + 4 for the tutor's "new student" message, queued in the join's own transaction (botapp outbox)
        ("join", lambda p, d: {"initData": d(id=8001), "referralCode": p.profile.referral_code}, 24),
        ("restore-account", lambda p, d: {"initData": d(id=p.user.telegram_id)}, 4),
    ],
)
def test_public_auth_endpoints_run_a_bounded_number_of_queries(
    api, tutor, init_data, django_assert_max_num_queries, path, body_of, budget
):
    with django_assert_max_num_queries(budget):
        post(api(), path, body_of(tutor, init_data))


@pytest.mark.parametrize(
    "method,path,body,budget",
    [
        ("get", "me", None, 2),
        ("get", "beta-status", None, 2),
        ("post", "refresh", {}, 4),
        ("post", "add-role", {"role": "student"}, 9),  # + moving the session's expiry to the new refresh token
        ("post", "logout", {}, 2),
        ("post", "delete-account", {}, 6),
    ],
)
def test_authenticated_auth_endpoints_run_a_bounded_number_of_queries(
    api, tutor, django_assert_max_num_queries, method, path, body, budget
):
    client = api(tutor)
    with django_assert_max_num_queries(budget):
        response = getattr(client, method)(f"/api/auth/{path}", body, format="json")
    assert response.status_code < 300
