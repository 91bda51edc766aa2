import json
from urllib.parse import parse_qsl, urlencode

import pytest

from accounts.telegram import InvalidInitData, sign_init_data, validate_init_data

# Published vector (sanvew/telegram-init-data README): real Telegram initData and its bot token.
PUBLISHED_TOKEN = "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8"
PUBLISHED_INIT_DATA = (
    "query_id=AAHdF6IQAAAAAN0XohDhrOrc"
    "&user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%22%2C%22last_name%22%3A%22Kibenko%22"
    "%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C%22is_premium%22%3Atrue%7D"
    "&auth_date=1662771648"
    "&hash=c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b2"
)
PUBLISHED_AUTH_DATE = 1662771648
TOKEN = "42:test-token"


def check(data: str, *, token: str = TOKEN, now: float = 1_700_000_100, max_age: int = 86400) -> dict:
    return validate_init_data(data, bot_token=token, max_age=max_age, now=now)


def signed(**fields) -> str:
    base = {"auth_date": "1700000000", "user": json.dumps({"id": 5, "first_name": "A"})}
    base.update(fields)
    return sign_init_data(base, bot_token=TOKEN)


def test_it_accepts_the_published_telegram_vector():
    user = check(PUBLISHED_INIT_DATA, token=PUBLISHED_TOKEN, now=PUBLISHED_AUTH_DATE + 60)
    assert user["id"] == 279058397
    assert user["username"] == "vdkfrost"


def test_it_rejects_the_published_vector_with_another_bot_token():
    with pytest.raises(InvalidInitData):
        check(PUBLISHED_INIT_DATA, token="5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx9", now=PUBLISHED_AUTH_DATE)


def test_it_rejects_the_published_vector_once_it_is_older_than_max_age():
    with pytest.raises(InvalidInitData, match="expired"):
        check(PUBLISHED_INIT_DATA, token=PUBLISHED_TOKEN, now=PUBLISHED_AUTH_DATE + 86401)


def test_it_accepts_data_it_signed_itself_including_signature_field():
    user = check(signed(signature="abc-ed25519-signature"))
    assert user == {"id": 5, "first_name": "A"}


def test_it_rejects_a_tampered_user_field():
    pairs = dict(parse_qsl(signed()))
    pairs["user"] = json.dumps({"id": 6, "first_name": "A"})
    with pytest.raises(InvalidInitData, match="bad hash"):
        check(urlencode(pairs))


def test_it_rejects_a_dropped_signature_field_because_every_field_is_signed():
    pairs = dict(parse_qsl(signed(signature="sig")))
    del pairs["signature"]
    with pytest.raises(InvalidInitData, match="bad hash"):
        check(urlencode(pairs))


def test_it_rejects_a_forged_hash():
    pairs = dict(parse_qsl(signed()))
    pairs["hash"] = "0" * 64
    with pytest.raises(InvalidInitData):
        check(urlencode(pairs))


def test_it_rejects_a_missing_hash():
    pairs = dict(parse_qsl(signed()))
    del pairs["hash"]
    with pytest.raises(InvalidInitData):
        check(urlencode(pairs))


def test_it_rejects_a_duplicated_key():
    with pytest.raises(InvalidInitData, match="duplicated"):
        check(signed() + "&auth_date=1700000000")


def test_it_rejects_auth_date_in_the_future():
    with pytest.raises(InvalidInitData, match="expired"):
        check(signed(auth_date="1800000000"))


@pytest.mark.parametrize("garbage", ["", "test", "%%%", "a=1&&b", "user=%7B", "hash=", "\x00\x01"])
def test_it_rejects_garbage(garbage):
    with pytest.raises(InvalidInitData):
        check(garbage)


def test_it_rejects_a_user_without_numeric_id():
    with pytest.raises(InvalidInitData, match="bad user"):
        check(signed(user=json.dumps({"id": "5"})))


def test_it_is_never_valid_without_a_bot_token():
    with pytest.raises(InvalidInitData):
        check(signed(), token="")
