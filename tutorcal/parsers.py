"""JSON bodies only, and without NUL characters anywhere: PostgreSQL cannot store U+0000 in text or jsonb, so
a `\\u0000` inside any string (a key or a value, at any depth) is refused up front as 400, never a 500."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _has_nul(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if _has_nul(data):
            exc = ParseError("NUL characters are not allowed")
            exc.tutorcal_code = "NUL_CHARACTER_NOT_ALLOWED"
            raise exc
        return data
