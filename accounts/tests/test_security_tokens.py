"""Security of the JWTs: algorithm and type confusion, roles and profiles, logout of a whole session, and the
admin never showing a live token."""

import time

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from accounts.tokens import issue_tokens

pytestmark = pytest.mark.django_db


def post(client, path, body=None, **kwargs):
    return client.post(f"/api/auth/{path}", body or {}, format="json", **kwargs)


def bearer(client, token):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def claims(persona, **extra) -> dict:
    """A forged token's claims, in a live login session of the persona (so only the forgery can be refused)."""
    now = int(time.time())
    live = jwt.decode(issue_tokens(persona.user, persona.role)["token"], options={"verify_signature": False})
    return {
        "sid": live["sid"],
        "token_type": "access",
        "exp": now + 600,
        "iat": now,
        "jti": f"jti-{now}",
        "sub": str(persona.user.id),
        "role": persona.role,
        "profileId": str(persona.profile.id),
        **extra,
    }


# ---- algorithm, type and expiry ---------------------------------------------------------------------------


def test_an_unsigned_alg_none_token_is_refused(api, tutor):
    forged = jwt.encode(claims(tutor), key=None, algorithm="none")
    response = bearer(api(), forged).get("/api/auth/me")
    assert response.status_code == 401


def test_a_token_signed_with_the_right_key_but_another_algorithm_is_refused(api, tutor):
    forged = jwt.encode(claims(tutor), settings.JWT_SECRET, algorithm="HS512")
    assert bearer(api(), forged).get("/api/auth/me").status_code == 401


def test_an_expired_access_token_is_refused(api, tutor):
    expired = jwt.encode(claims(tutor, exp=int(time.time()) - 5), settings.JWT_SECRET, algorithm="HS256")
    assert bearer(api(), expired).get("/api/auth/me").status_code == 401


def test_a_token_without_expiry_is_refused(api, tutor):
    body = claims(tutor)
    del body["exp"]
    assert (
        bearer(api(), jwt.encode(body, settings.JWT_SECRET, algorithm="HS256")).get("/api/auth/me").status_code == 401
    )


def test_a_refresh_token_is_not_accepted_as_a_bearer(api, tutor):
    refresh = issue_tokens(tutor.user, "teacher")["refreshToken"]
    assert bearer(api(), refresh).get("/api/auth/me").status_code == 401


def test_an_access_token_is_not_accepted_as_a_refresh_token(api, tutor):
    access = issue_tokens(tutor.user, "teacher")["token"]
    response = post(api(), "refresh", {"refreshToken": access})
    assert response.status_code == 401 and response.json()["message"] == "INVALID_REFRESH_TOKEN"


# ---- roles and profiles -----------------------------------------------------------------------------------


def test_a_student_token_does_not_open_teacher_endpoints(api, student):
    assert api(student).get("/api/teachers/me/lessons").status_code == 403


def test_a_correctly_signed_token_naming_another_users_profile_is_refused(api, tutor, stranger_tutor):
    forged = jwt.encode(claims(tutor, profileId=str(stranger_tutor.profile.id)), settings.JWT_SECRET, algorithm="HS256")
    response = bearer(api(), forged).get("/api/teachers/me/lessons")
    assert response.status_code == 403 and response.json()["message"].startswith("PROFILE_REQUIRED")


def test_a_token_of_a_user_deactivated_after_issue_cannot_refresh(api, tutor):
    tokens = issue_tokens(tutor.user, "teacher")
    User.objects.filter(pk=tutor.user.pk).update(is_active=False)
    assert post(api(), "refresh", {"refreshToken": tokens["refreshToken"]}).status_code == 401
    assert post(bearer(api(), tokens["token"]), "refresh").status_code == 401


# ---- logout ends the session ------------------------------------------------------------------------------


def session_of(api, init_data, persona) -> dict:
    response = post(api(), "init", {"initData": init_data(id=persona.user.telegram_id)})
    assert response.status_code == 200
    return response.json()


def test_logout_with_only_the_bearer_also_ends_the_sessions_refresh_token(api, tutor, init_data):
    """The existing frontend logs out with its bearer alone; the refresh token of that login must die too."""
    session = session_of(api, init_data, tutor)
    assert post(bearer(api(), session["token"]), "logout").status_code == 200
    response = post(api(), "refresh", {"refreshToken": session["refreshToken"]})
    assert response.status_code == 401 and response.json()["message"] == "INVALID_REFRESH_TOKEN"


def test_logout_ends_access_tokens_from_earlier_refreshes_of_the_same_session(api, tutor, init_data):
    session = session_of(api, init_data, tutor)
    rotated = post(api(), "refresh", {"refreshToken": session["refreshToken"]}).json()
    slid = post(bearer(api(), rotated["token"]), "refresh").json()  # the frontend's bearer refresh
    assert post(bearer(api(), slid["token"]), "logout", {"refreshToken": slid["refreshToken"]}).status_code == 200
    for token in (session["token"], rotated["token"], slid["token"]):
        assert bearer(api(), token).get("/api/auth/me").status_code == 401
    for refresh in (rotated["refreshToken"], slid["refreshToken"]):
        assert post(api(), "refresh", {"refreshToken": refresh}).status_code == 401


def test_logout_leaves_the_users_other_sessions_signed_in(api, tutor, init_data):
    phone = session_of(api, init_data, tutor)
    laptop = session_of(api, init_data, tutor)
    assert post(bearer(api(), phone["token"]), "logout").status_code == 200
    assert bearer(api(), laptop["token"]).get("/api/auth/me").status_code == 200
    assert post(api(), "refresh", {"refreshToken": laptop["refreshToken"]}).status_code == 200


def test_a_refresh_keeps_the_session_of_the_token_it_replaces(api, tutor, init_data):
    session = session_of(api, init_data, tutor)
    rotated = post(api(), "refresh", {"refreshToken": session["refreshToken"]}).json()

    def sid(token):
        return jwt.decode(token, settings.JWT_SECRET, algorithms=["HS256"])["sid"]

    assert sid(rotated["refreshToken"]) == sid(rotated["token"]) == sid(session["refreshToken"])
    slid = post(bearer(api(), rotated["token"]), "refresh").json()
    assert sid(slid["refreshToken"]) == sid(session["token"])
    other = session_of(api, init_data, tutor)
    assert sid(other["token"]) != sid(session["token"])


# ---- Django admin -----------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    admin = User.objects.create_superuser("ops@example.com", "a-long-admin-password-1")
    client.force_login(admin)
    return client


def test_the_admin_never_shows_a_signed_refresh_token(staff_client, tutor):
    """simplejwt stores a signed refresh JWT per login; staff see its jti, user and dates, never the JWT."""
    raw = issue_tokens(tutor.user, "teacher")["refreshToken"]
    row = OutstandingToken.objects.get(jti=RefreshToken(raw)["jti"])
    listing = staff_client.get("/admin/token_blacklist/outstandingtoken/")
    detail = staff_client.get(f"/admin/token_blacklist/outstandingtoken/{row.pk}/change/")
    assert listing.status_code == 200 and detail.status_code == 200
    for jwt_text in (raw, row.token):
        signature = jwt_text.rsplit(".", 1)[1]
        assert signature not in listing.content.decode() and signature not in detail.content.decode()
    assert row.jti in detail.content.decode()


def test_the_admin_never_shows_an_invitation_token(staff_client, tutor):
    from lessons.roster.services.invitations import invitation_create

    invitation = invitation_create(teacher=tutor.profile)
    detail = staff_client.get(f"/admin/accounts/invitation/{invitation.pk}/change/")
    assert detail.status_code == 200 and invitation.token not in detail.content.decode()
