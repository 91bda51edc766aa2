"""OpenAPI: the feed itself is a plain Django view (text/calendar, no JWT), so its path is added here."""

FEED_PATH = {
    "get": {
        "operationId": "calendar_feed_ics",
        "tags": ["calendar feed"],
        "summary": "The private ICS feed (the token is the credential; no JWT)",
        "description": "RFC 5545 calendar of the token owner's lessons, 30 days back to 180 days ahead, in the "
        "owner's role shape. Strong ETag (SHA-256 of the body) and Last-Modified; If-None-Match / "
        "If-Modified-Since answer 304. An unknown, rotated or deleted account's token answers 404 FEED_NOT_FOUND.",
        "parameters": [
            {"in": "path", "name": "token", "required": True, "schema": {"type": "string"}},
            {"in": "header", "name": "If-None-Match", "required": False, "schema": {"type": "string"}},
            {"in": "header", "name": "If-Modified-Since", "required": False, "schema": {"type": "string"}},
        ],
        "responses": {
            "200": {"description": "The calendar", "content": {"text/calendar": {"schema": {"type": "string"}}}},
            "304": {"description": "Not modified"},
            "404": {
                "description": "FEED_NOT_FOUND",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        },
        "security": [],
    }
}


def add_feed_path(result, generator, request, public):
    result.setdefault("paths", {})["/api/calendar/{token}.ics"] = FEED_PATH
    return result
