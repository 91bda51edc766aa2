"""The one table from a domain error code to its HTTP status (the contract's codes, reference §2–§6).

Services know codes, never statuses; the API layer (tutorcal.errors.exception_handler) looks them up here.
A code missing from the table is a programming error: it answers 400 and is logged once, and a test walks
every code raised in the source to keep the table complete."""

import logging

logger = logging.getLogger(__name__)

STATUS_BY_CODE: dict[str, int] = {
    # 400: the request is wrong
    "VALIDATION_FAILED": 400,
    "RANGE_TOO_LARGE": 400,
    "INVALID_DATE_RANGE": 400,
    "INVALID_FROM_DATE": 400,
    "INVALID_TO_DATE": 400,
    "INVALID_APPLY_TO_SERIES": 400,
    "CANNOT_JOIN_OWN_CODE": 400,
    "INVALID_REFERRAL_CODE": 400,
    "INVALID_INVITATION": 400,
    "INVALID_BETA_CODE": 400,
    "INVALID_SUBSCRIPTION_TYPE": 400,
    "TOTAL_LESSONS_REQUIRED": 400,
    "EXPIRES_AT_REQUIRED": 400,
    "STUDENT_HAS_NO_TEACHERS": 400,
    # e-mail accounts (reference §2.5): codes and tokens
    "PENDING_USER_NOT_FOUND": 400,
    "ALREADY_VERIFIED": 400,
    "NO_PENDING_CODE": 400,
    "CODE_EXPIRED": 400,
    "INVALID_CODE": 400,
    "INVALID_TOKEN": 400,
    "TOKEN_EXPIRED": 400,
    "NO_ROLES": 400,
    # 400/413/415: a body or query we refuse to read (tutorcal.jsonbody, tutorcal.middleware)
    "INVALID_JSON": 400,
    "JSON_TOO_DEEP": 400,
    "INVALID_UNICODE": 400,
    "NUL_CHARACTER_NOT_ALLOWED": 400,
    "NUMBER_OUT_OF_RANGE": 400,
    "INVALID_CONTENT_LENGTH": 400,
    "REQUEST_TOO_LARGE": 413,
    "UNSUPPORTED_CHARSET": 415,
    "INVALID_IDEMPOTENCY_KEY": 400,
    # calendar import (lessons.calendars): the reference's own Russian message for "no url and no content"
    "Укажите URL или содержимое файла": 400,
    "ICS_INVALID": 400,
    "ICS_TOO_LARGE": 400,
    "ICS_TOO_MANY_EVENTS": 400,
    "CALENDAR_URL_FORBIDDEN": 400,
    "CALENDAR_FETCH_FAILED": 400,
    "GOOGLE_NOT_CONNECTED": 400,
    "GOOGLE_STATE_INVALID": 400,
    # 401: who are you
    "INVALID_INIT_DATA": 401,
    "INVALID_REFRESH_TOKEN": 401,
    "USER_NOT_FOUND": 401,
    "UNAUTHORIZED": 401,
    "REFRESH_ROLE_NOT_AVAILABLE": 401,
    "INVALID_CREDENTIALS": 401,
    "INVALID_ADMIN_SECRET": 401,
    "INVALID_MAX_INIT_DATA": 401,
    # 403: not yours
    "ACCOUNT_DELETED": 403,
    "EMAIL_NOT_VERIFIED": 403,
    "NOT_YOUR_CHILD": 403,
    "STUDENT_NOT_LINKED": 403,
    "ROLE_NOT_AVAILABLE": 403,
    "LESSON_NOT_CANCELLABLE": 403,
    # 404: no such thing (for this profile)
    "LESSON_NOT_FOUND": 404,
    "NOT_ON_WAITLIST": 404,
    "STUDENT_NOT_FOUND": 404,
    "TEACHER_NOT_FOUND": 404,
    "SUBSCRIPTION_NOT_FOUND": 404,
    "SUBJECT_NOT_FOUND": 404,
    "STUDENT_NOT_ON_LESSON": 404,
    "PARENT_RELATION_NOT_FOUND": 404,
    "DELETED_USER_NOT_FOUND": 404,
    "ARCHIVED_STUDENT_NOT_FOUND": 404,
    "CHILD_NOT_FOUND": 404,
    "SUPPORT_MESSAGE_NOT_FOUND": 404,
    "GOOGLE_NOT_CONFIGURED": 404,
    "FEED_NOT_FOUND": 404,
    # 409: conflicts with the current state
    "SUBJECT_NAME_EXISTS": 409,
    "IDEMPOTENCY_KEY_REUSED": 409,
    "TUTOR_CANNOT_BE_PARENT": 409,
    "SUBJECT_CODE_EXISTS": 409,
    "SUBJECT_NOT_ARCHIVED": 409,
    "SUBSCRIPTION_NOT_DELETED": 409,
    "SUBSCRIPTION_ALREADY_EXISTS": 409,
    "ANOTHER_SUBSCRIPTION_EXISTS": 409,
    "STUDENT_ALREADY_ON_LESSON": 409,
    "USER_EXISTS": 409,
    "ROLE_EXISTS": 409,
    "EMAIL_ALREADY_EXISTS": 409,
    "EMAIL_ALREADY_LINKED": 409,
    "TELEGRAM_ALREADY_LINKED": 409,
    "MAX_ACCOUNT_ALREADY_LINKED": 409,
    "MAX_ALREADY_LINKED": 409,
    "LESSON_CANCELLED": 409,
    "NO_MAKEUP_CREDITS": 409,
    "CAPACITY_BELOW_SEATED": 409,
    "CREDIT_ALREADY_SPENT": 409,
    "NOTHING_TO_REVERT": 409,
    "ARCHIVE_EXPIRED": 409,
    # 410: it was there and is gone
    "INVITATION_USED": 410,
    "INVITATION_EXPIRED": 410,
    "RESTORE_PERIOD_EXPIRED": 410,
    # 429: slow down
    "ADMIN_LOGIN_LOCKED": 429,
    # 5xx: an outside dependency
    "TELEGRAM_ERROR": 502,
    "GOOGLE_ERROR": 502,
    "BOT_DISABLED": 503,
    "SERVICE_UNAVAILABLE": 503,
    "TELEGRAM_WEBHOOK_SECRET_NOT_SET": 503,
}

# Codes whose wire message is not the code itself. The reference answers a role that is gone with
# ROLE_NOT_AVAILABLE as 403 on select-role but 401 on refresh: one message, two statuses, so two codes.
MESSAGE_BY_CODE: dict[str, str] = {
    "REFRESH_ROLE_NOT_AVAILABLE": "ROLE_NOT_AVAILABLE",
    "UNAUTHORIZED": "Unauthorized",
    "INVALID_ADMIN_SECRET": "Invalid admin secret",  # the bot operator endpoints (reference-auth-bot.md)
    # verify-code / resend-code answer an unknown userId with 400 USER_NOT_FOUND (401 elsewhere)
    "PENDING_USER_NOT_FOUND": "USER_NOT_FOUND",
}


def message_for(code: str) -> str:
    return MESSAGE_BY_CODE.get(code, code)


def status_for(code: str) -> int:
    status = STATUS_BY_CODE.get(code)
    if status is None:
        logger.error("domain error code %s has no HTTP status in tutorcal.error_codes", code)
        return 400
    return status
