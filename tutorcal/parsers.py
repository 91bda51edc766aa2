"""DRF's JSON parser, strict: UTF-8 only, capped at DATA_UPLOAD_MAX_MEMORY_SIZE (DRF reads the WSGI stream
directly, so Django's own cap never applied to JSON), vetted by tutorcal.jsonbody (nesting, NULs, surrogates,
numbers). Every refusal is a 4xx with a code, never a 500."""

from django.conf import settings
from django.utils.http import parse_header_parameters
from rest_framework.parsers import JSONParser

from . import jsonbody
from .errors import DomainError


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _, params = parse_header_parameters(media_type or "")
        if not jsonbody.charset_ok(params.get("charset")):
            raise DomainError("UNSUPPORTED_CHARSET")
        if stream is None:
            return {}
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise DomainError("REQUEST_TOO_LARGE")
        return jsonbody.loads(raw)
