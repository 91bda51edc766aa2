"""One exception type for domain errors and one DRF handler that renders every error as the contract's
body: {"statusCode": int, "message": CODE or [messages], "error": reason phrase}."""

import logging
import sys
import uuid
from http import HTTPStatus

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A domain rule said no. Services, selectors, the bot and the worker raise it with the contract's code
    (e.g. LESSON_NOT_FOUND); only the API layer turns the code into an HTTP status (tutorcal.error_codes).
    `messages` carries readable validation messages for codes such as VALIDATION_FAILED."""

    def __init__(self, code: str, messages: list[str] | None = None):
        super().__init__(code)
        self.code = code
        self.messages = messages


def _outage_errors() -> tuple[type[BaseException], ...]:
    from django.db import InterfaceError, OperationalError

    errors: list[type[BaseException]] = [OperationalError, InterfaceError]
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis comes with channels_redis
        pass
    else:
        errors += [RedisConnectionError, RedisTimeoutError]
    return tuple(errors)


# A store we depend on is unreachable, timed out, or cancelled our statement (connect_timeout, statement_timeout,
# Redis socket timeouts; also deadlock/serialization failures, which are OperationalErrors too): the client may
# retry, so 503 with Retry-After, never a 500.
OUTAGE_ERRORS = _outage_errors()
RETRY_AFTER_SECONDS = 5


def outage_response(exc: BaseException, *, response_class=None):
    """The 503 answer for an outage error (DRF Response by default, or e.g. JsonResponse)."""
    logger.warning("dependency unavailable: %s: %s", type(exc).__name__, str(exc).strip()[:200])
    response_class = response_class or Response
    response = response_class(error_body(503, "SERVICE_UNAVAILABLE"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def error_body(status: int, message) -> dict:
    return {"statusCode": status, "message": message, "error": HTTPStatus(status).phrase}


def _flatten(detail, prefix: str = "") -> list[str]:
    """DRF validation detail (nested dicts/lists) -> flat list of 'field: message' strings."""
    if isinstance(detail, dict):
        out: list[str] = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            out.extend(_flatten(value, f"{prefix}.{name}" if prefix and name else (prefix or name)))
        return out
    if isinstance(detail, list):
        out = []
        for i, item in enumerate(detail):
            if isinstance(item, (dict, list)):
                out.extend(_flatten(item, f"{prefix}[{i}]"))
            else:
                out.extend(_flatten(item, prefix))
        return out
    return [f"{prefix}: {detail}" if prefix else str(detail)]


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        from .error_codes import message_for, status_for

        status = status_for(exc.code)
        return Response(error_body(status, exc.messages or message_for(exc.code)), status=status)
    if isinstance(exc, Http404):
        return Response(error_body(404, "Not Found"), status=404)
    if isinstance(exc, DjangoPermissionDenied):
        return Response(error_body(403, "Forbidden resource"), status=403)
    if isinstance(exc, exceptions.ValidationError):
        return Response(error_body(400, _flatten(exc.detail)), status=400)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        code = getattr(exc, "tutorcal_code", "Unauthorized")
        return Response(error_body(401, code), status=401, headers={"WWW-Authenticate": 'Bearer realm="api"'})
    if isinstance(exc, exceptions.PermissionDenied):
        message = exc.detail if isinstance(exc.detail, str) else "Forbidden resource"
        return Response(error_body(403, str(message)), status=403)
    if isinstance(exc, (exceptions.ParseError, exceptions.UnsupportedMediaType)):
        # Malformed JSON or a body that is not JSON: the client's fault, never a 500.
        default = "INVALID_JSON" if isinstance(exc, exceptions.ParseError) else "UNSUPPORTED_MEDIA_TYPE"
        code = getattr(exc, "tutorcal_code", default)
        return Response(error_body(400, code), status=400)
    if isinstance(exc, exceptions.Throttled):
        headers = {"Retry-After": str(int(exc.wait))} if exc.wait else {}
        return Response(error_body(429, "TOO_MANY_REQUESTS"), status=429, headers=headers)
    if isinstance(exc, exceptions.APIException):
        return Response(error_body(exc.status_code, str(exc.detail)), status=exc.status_code)
    if isinstance(exc, OUTAGE_ERRORS):
        return outage_response(exc)
    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__ if context else "?")
    return Response(error_body(500, "Internal server error"), status=500)


def parse_uuid(value, code: str) -> uuid.UUID:
    """A path/query id that is not a UUID cannot name anything: answer 404 with the domain code."""
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise DomainError(code) from None


def json_404(request, exception=None):
    return JsonResponse(error_body(404, "Not Found"), status=404)


def json_500(request):
    # Django calls this inside its `except`: an outage raised outside a DRF view (middleware, admin) is a 503 too.
    exc = sys.exc_info()[1]
    if exc is not None and isinstance(exc, OUTAGE_ERRORS):
        return outage_response(exc, response_class=JsonResponse)
    return JsonResponse(error_body(500, "Internal server error"), status=500)


def json_400(request, exception=None):
    return JsonResponse(error_body(400, "Bad Request"), status=400)


def json_403(request, exception=None):
    return JsonResponse(error_body(403, "Forbidden resource"), status=403)
