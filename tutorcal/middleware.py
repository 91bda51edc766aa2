"""Request guards that must run before anything reads the body (CSRF reads form bodies; DRF reads JSON):
a charset other than UTF-8 (Python would decode with any registered codec, zlib and bz2 included), a declared
body over DATA_UPLOAD_MAX_MEMORY_SIZE, and NUL in the path or query (PostgreSQL refuses U+0000) are refused
with the contract's error body."""

from django.conf import settings
from django.http import JsonResponse
from django.utils.deprecation import MiddlewareMixin
from django.utils.http import parse_header_parameters

from . import jsonbody
from .error_codes import status_for
from .errors import OUTAGE_ERRORS, error_body, outage_response


def refusal(code: str) -> JsonResponse:
    status = status_for(code)
    return JsonResponse(error_body(status, code), status=status)


class RequestGuardMiddleware(MiddlewareMixin):
    def process_request(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return refusal("NUL_CHARACTER_NOT_ALLOWED")
        if not jsonbody.charset_ok(request.encoding):
            # Django took the Content-Type charset as the codec for request.GET/POST: never the client's codec.
            request.encoding = "utf-8"
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Runs before CsrfViewMiddleware.process_view, the first to read a form body.
        if getattr(view_func, "accepts_any_body", False):
            return None  # the view reads raw bytes itself (the Telegram webhook)
        meta = request.META
        content_type, params = parse_header_parameters(meta.get("CONTENT_TYPE", ""))
        if not jsonbody.charset_ok(params.get("charset")):
            return refusal("UNSUPPORTED_CHARSET")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        length = meta.get("CONTENT_LENGTH") or "0"
        try:
            length = int(length)
        except ValueError:
            return refusal("INVALID_CONTENT_LENGTH")
        # Uploaded files are capped by their own setting; everything else is read into memory.
        if limit is not None and length > limit and content_type != "multipart/form-data":
            return refusal("REQUEST_TOO_LARGE")
        return None

    def process_exception(self, request, exception):
        # Views outside DRF (admin, the webhook, pages): PostgreSQL or Redis unreachable is a 503, not a 500.
        if isinstance(exception, OUTAGE_ERRORS):
            return outage_response(exception, response_class=JsonResponse)
        return None
