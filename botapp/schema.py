"""OpenAPI: the webhook is a plain async Django view (DRF views are sync), so its path is added here."""

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
                "content": {"application/json": {"schema": {"type": "object", "additionalProperties": {}}}},
            },
            "400": {"description": "Not a JSON Update"},
            "403": {"description": "Wrong or missing secret token"},
        },
        "security": [],
    }
}


def add_webhook_path(result, generator, request, public):
    result.setdefault("paths", {})["/api/bot/webhook"] = WEBHOOK_PATH
    return result
