"""OpenAPI: the webhook is a plain async Django view (DRF views are sync), so its path is added here."""

ACCEPTED = {
    "type": "object",
    "properties": {
        "ok": {"type": "boolean"},
        "handled": {"type": "boolean", "description": "false when the bot is disabled (no token)"},
    },
    "required": ["ok"],
}
ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

WEBHOOK_PATH = {
    "post": {
        "operationId": "bot_webhook",
        "tags": ["bot"],
        "summary": "Telegram webhook (Telegram only)",
        "description": "Accepts a Telegram Update. 403 unless X-Telegram-Bot-Api-Secret-Token matches "
        "TELEGRAM_WEBHOOK_SECRET; 400 for a body that is not a JSON Update; 200 for every accepted update.",
        "parameters": [
            {
                "in": "header",
                "name": "X-Telegram-Bot-Api-Secret-Token",
                "required": True,
                "schema": {"type": "string"},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "additionalProperties": {}}}},
        },
        "responses": {
            "200": {
                "description": "Update accepted",
                "content": {"application/json": {"schema": ACCEPTED}},
            },
            "400": {"description": "Not a JSON Update", "content": ERROR},
            "403": {"description": "Wrong or missing secret token", "content": ERROR},
        },
        "security": [],
    }
}


def add_webhook_path(result, generator, request, public):
    result.setdefault("paths", {})["/api/bot/webhook"] = WEBHOOK_PATH
    return result
