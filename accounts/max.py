"""MAX messenger Mini App initData: the Telegram algorithm (accounts/telegram.py: HMAC-SHA256 with the
"WebAppData" key derivation, every field but `hash` signed, the same max age) keyed with MAX_BOT_TOKEN instead of
BOT_TOKEN. No unsigned path in any environment: without MAX_BOT_TOKEN every MAX initData is refused."""

import logging

from django.conf import settings

from tutorcal.errors import DomainError

from .telegram import InvalidInitData, validate_init_data

logger = logging.getLogger(__name__)


def verified_max_user(init_data: str) -> dict:
    """The signed `user` object of MAX initData, or DomainError INVALID_MAX_INIT_DATA (401)."""
    try:
        return validate_init_data(init_data, bot_token=settings.MAX_BOT_TOKEN, max_age=settings.MAX_INIT_DATA_MAX_AGE)
    except InvalidInitData as exc:
        logger.info("MAX initData refused: %s", exc)  # the reason only, never the data
        raise DomainError("INVALID_MAX_INIT_DATA") from None


def max_user_json(max_user: dict) -> dict:
    return {
        "id": max_user["id"],
        "firstName": max_user.get("first_name") or "",
        "lastName": max_user.get("last_name") or "",
        "username": max_user.get("username") or "",
    }
