"""Hostile bodies from the outside probe (issue 17): charsets, nesting, surrogates, NULs, huge numbers, oversized
bodies, odd initData. Each is a 4xx with a code, never a 500 and never a write; the codec bomb is never inflated."""

import bz2
import json
import resource
import time

import pytest
from django.test import Client

from accounts.models import StudentProfile, User
from lessons.models import Lesson

pytestmark = pytest.mark.django_db

LESSON = {"startAt": "2030-01-01T10:00:00Z", "durationMinutes": 60}


def raw(client, path, body: bytes | str, content_type="application/json", method="POST", **extra):
    body = body.encode() if isinstance(body, str) else body
    return client.generic(method, path, body, content_type=content_type, **extra)


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


# ---- charsets: UTF-8 only, never the client's codec ----------------------------------------------------


@pytest.mark.parametrize(
    "charset", ["bz2_codec", "zlib_codec", "zlib", "rot13", "latin-1", "utf-16", "UTF-32", "nonexistent-codec"]
)
def test_a_body_in_any_charset_but_utf8_is_415_before_sign_in(charset):
    response = raw(Client(), "/api/auth/init", '{"initData": "x"}', f"application/json; charset={charset}")
    assert response.status_code == 415
    assert response.json() == {"statusCode": 415, "message": "UNSUPPORTED_CHARSET", "error": "Unsupported Media Type"}


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "utf8", "Utf8", '"utf-8"'])
def test_utf8_in_any_spelling_is_read(charset, init_data):
    body = json.dumps({"initData": init_data(id=555, first_name="Нина")}, ensure_ascii=False)
    response = raw(Client(), "/api/auth/init", body, f"application/json; charset={charset}")
    assert response.status_code == 200, response.content
    assert response.json()["isNewUser"] is True


def test_the_bz2_codec_bomb_is_refused_without_inflating_it():
    bomb = bz2.compress(b"[" + b" " * 300_000_000 + b"]")  # 257 bytes that decode to 300 MB
    assert len(bomb) < 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    response = raw(Client(), "/api/auth/init", bomb, "application/json; charset=bz2_codec")
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert response.status_code == 415
    assert grown_mib < 50  # it was +576 MiB for this body before the fix


def test_a_form_post_in_a_compressed_charset_is_415_too():
    response = raw(
        Client(), "/admin/login/", "username=a&password=b", "application/x-www-form-urlencoded; charset=zlib"
    )
    assert response.status_code == 415


# ---- size ---------------------------------------------------------------------------------------------


def test_a_json_body_over_2_mb_is_413_and_writes_nothing(api, tutor):
    body = json.dumps({**LESSON, "teacherNote": "x" * (2 * 1024 * 1024)})
    response = raw(api(tutor), "/api/teachers/me/lessons", body)
    assert response.status_code == 413
    assert response.json()["message"] == "REQUEST_TOO_LARGE"
    assert not Lesson.objects.exists()


def test_the_parser_itself_stops_reading_at_the_cap(settings, api, tutor):
    """Even past the middleware (a lying or absent Content-Length), DRF's parser reads at most the cap + 1 byte."""
    from io import BytesIO

    from tutorcal.errors import DomainError
    from tutorcal.parsers import StrictJSONParser

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    stream = BytesIO(b'{"a": "' + b"x" * 5000 + b'"}')
    with pytest.raises(DomainError) as caught:
        StrictJSONParser().parse(stream, "application/json")
    assert caught.value.code == "REQUEST_TOO_LARGE"
    assert stream.tell() == 1001


# ---- nesting ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deep_nesting_is_a_400_before_sign_in(depth):
    response = raw(Client(), "/api/auth/init", nested(depth))
    assert response.status_code == 400
    assert response.json()["message"] == "JSON_TOO_DEEP"


def test_deep_nesting_is_a_400_on_an_authenticated_route(api, student):
    response = raw(
        api(student),
        "/api/students/me",
        json.dumps({"customFields": json.loads(nested(40))}),
        "application/json",
        "PATCH",
    )
    assert response.status_code == 400
    assert response.json()["message"] == "JSON_TOO_DEEP"
    assert StudentProfile.objects.get(pk=student.profile.pk).custom_fields is None


def test_nesting_up_to_the_limit_is_read(api, student):
    response = raw(
        api(student),
        "/api/students/me",
        json.dumps({"customFields": json.loads(nested(30))}),
        "application/json",
        "PATCH",
    )
    assert response.status_code != 500
    assert response.json().get("message") != "JSON_TOO_DEEP"


# ---- text and numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"customFields": {"a": "\\ud800"}}',
        '{"customFields": {"\\udfff": "v"}}',
        '{"customFields": {"deep": [["ok", "x\\ud83d"]]}}',
    ],
)
def test_a_lone_surrogate_anywhere_is_a_400_and_writes_nothing(api, student, body):
    response = raw(api(student), "/api/students/me", body, method="PATCH")
    assert response.status_code == 400
    assert response.json()["message"] == "INVALID_UNICODE"
    assert StudentProfile.objects.get(pk=student.profile.pk).custom_fields is None


def test_a_surrogate_pair_is_an_ordinary_character(api, student):
    response = raw(api(student), "/api/students/me", '{"customFields": {"a": "\\ud83d\\ude00"}}', method="PATCH")
    assert response.status_code == 200, response.content
    assert StudentProfile.objects.get(pk=student.profile.pk).custom_fields == {"a": "😀"}


def test_invalid_utf8_bytes_are_a_400(api, student):
    response = raw(api(student), "/api/students/me", b'{"customFields": {"a": "\xff\xfe"}}', method="PATCH")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "number", ["9223372036854775808", "-9223372036854775809", "18446744073709551616", "1" + "0" * 40, "1e300"]
)
def test_a_number_beyond_signed_64_bits_anywhere_is_a_400(api, tutor, number):
    for body in (
        f'{{"startAt": "2030-01-01T10:00:00Z", "durationMinutes": {number}}}',
        f'{{"startAt": "2030-01-01T10:00:00Z", "durationMinutes": 60, "x": {{"y": [{number}]}}}}',
    ):
        response = raw(api(tutor), "/api/teachers/me/lessons", body)
        assert response.status_code == 400
        assert response.json()["message"] == "NUMBER_OUT_OF_RANGE"
    assert not Lesson.objects.exists()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinity_are_not_json(api, tutor, literal):
    body = f'{{"startAt": "2030-01-01T10:00:00Z", "durationMinutes": {literal}}}'
    assert raw(api(tutor), "/api/teachers/me/lessons", body).status_code == 400
    assert not Lesson.objects.exists()


def test_a_nul_in_the_query_string_is_a_400(api, tutor):
    response = api(tutor).get("/api/teachers/me/lessons?from=2030-01-01%00&to=2030-01-31")
    assert response.status_code == 400
    assert response.json()["message"] == "NUL_CHARACTER_NOT_ALLOWED"


# ---- initData -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "user",
    [
        {"first_name": "Ни\u0000на"},
        {"last_name": "\u0000"},
        {"username": "a\u0000"},
        {"id": 2**64},
        {"id": 2**63},
        {"id": 0},
        {"id": -5},
        {"first_name": {"nested": "object"}},
    ],
)
@pytest.mark.parametrize("entry", ["init", "register"])
def test_init_data_whose_user_is_odd_is_401_not_500(api, init_data, user, entry):
    fields = {"id": 555, "first_name": "Нина", **user}
    body = {"initData": init_data(**fields)}
    if entry == "register":
        body["role"] = "teacher"
    response = api().post(f"/api/auth/{entry}", body, format="json")
    assert response.status_code == 401, response.content
    assert response.json()["message"] == "INVALID_INIT_DATA"
    assert not User.objects.exists()


def test_init_data_with_a_deeply_nested_user_is_401(api, init_data):
    from accounts.telegram import sign_init_data
    from conftest import TEST_BOT_TOKEN

    signed = sign_init_data({"auth_date": str(int(time.time())), "user": nested(200)}, bot_token=TEST_BOT_TOKEN)
    response = api().post("/api/auth/init", {"initData": signed}, format="json")
    assert response.status_code == 401
