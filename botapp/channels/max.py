"""MAX messenger Bot API (https://dev.max.ru/docs-api): the HTTP client, the /start and /help answers with an
"open the app" button, and delivery of outbox rows whose channel is "max".

Shapes used (from MAX's documentation): `POST /messages?user_id=…|chat_id=…` with `{text, format, attachments:
[{type: "inline_keyboard", payload: {buttons: [[{type: "open_app", text, web_app}]]}}]}` and the token in the
`Authorization` header; `POST /subscriptions {url, update_types, secret}` makes MAX send the secret in
`X-Max-Bot-Api-Secret` with every update. MAX_API_BASE_URL points the client at a fake server in tests."""

import logging
import uuid

import httpx
from django.conf import settings
from django.utils import timezone

from ..models import EventType, Outbox
from . import Sent

logger = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)

TEXTS = {
    "start": (
        "Здравствуйте, {name}! 👋\n\nЭто Tutors Calendar — расписание занятий, оплаты и абонементы. "
        "Откройте приложение, чтобы управлять расписанием."
    ),
    "help": (
        "Tutors Calendar помогает репетиторам, ученикам и родителям вести расписание занятий.\n\n"
        "Откройте приложение кнопкой ниже или через меню бота."
    ),
    "button": "Открыть приложение",
}


class MaxApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(f"{status} {message}")
        self.status = status


def enabled() -> bool:
    return bool(settings.MAX_BOT_TOKEN)


def request(method: str, path: str, *, params: dict | None = None, json: dict | None = None) -> dict:
    """One Bot API call; raises MaxApiError for an HTTP error answer, httpx.HTTPError when MAX is unreachable.
    The token travels in the header only (never in a URL that could be logged)."""
    with httpx.Client(timeout=TIMEOUT) as client:
        response = client.request(
            method,
            f"{settings.MAX_API_BASE_URL}{path}",
            params=params,
            json=json,
            headers={"Authorization": settings.MAX_BOT_TOKEN},
        )
    if response.status_code >= 400:
        raise MaxApiError(response.status_code, response.text[:300])
    return response.json() if response.content else {}


def open_app_keyboard() -> list[dict]:
    """An open_app button when the bot's public name is known (it opens the bot's Mini App), else a link."""
    if settings.MAX_BOT_USERNAME:
        button = {"type": "open_app", "text": TEXTS["button"], "web_app": settings.MAX_BOT_USERNAME}
    else:
        button = {"type": "link", "text": TEXTS["button"], "url": settings.WEBAPP_URL}
    return [{"type": "inline_keyboard", "payload": {"buttons": [[button]]}}]


def queue(*, text: str, event_type: str, dedupe_key: str, user_id=None, max_user_id=None, chat_id=None) -> None:
    """A message to a MAX user (by MAX user id) or chat, delivered by the worker. Same transaction as the caller."""
    Outbox.objects.bulk_create(
        [
            Outbox(
                channel=Outbox.Channel.MAX,
                event_type=event_type,
                dedupe_key=dedupe_key[:255],
                recipient_id=user_id,
                address=str(max_user_id) if max_user_id is not None else f"chat:{chat_id}",
                text=text,
                payload={"chat_id": chat_id} if chat_id is not None else None,
                next_attempt_at=timezone.now(),
            )
        ],
        ignore_conflicts=True,
    )


def answer_update(update: dict) -> str | None:
    """React to one webhook update: /start (or the bot_started event) and /help get an answer with the open-app
    button; anything else is ignored. Returns what was answered."""
    kind = update.get("update_type")
    message = update.get("message") if isinstance(update.get("message"), dict) else {}
    sender = message.get("sender") or message.get("from") or update.get("user") or {}
    body = message.get("body") if isinstance(message.get("body"), dict) else {}
    recipient = message.get("recipient") or message.get("chat") or {}
    text = body.get("text") if isinstance(body.get("text"), str) else ""
    if kind == "bot_started" or text == "/start" or text.startswith("/start "):
        command = "start"
    elif text == "/help":
        command = "help"
    else:
        return None
    name = sender.get("first_name") or sender.get("name") or "Пользователь"
    chat_id = recipient.get("chat_id") or update.get("chat_id")
    max_user_id = sender.get("user_id")
    if not isinstance(chat_id, int) and not isinstance(max_user_id, int):
        return None
    mid = body.get("mid") or update.get("timestamp") or uuid.uuid4().hex
    queue(
        text=TEXTS[command].format(name=str(name)[:64]),
        event_type=EventType.MAX_REPLY,
        dedupe_key=f"max:{command}:{chat_id or max_user_id}:{mid}",
        chat_id=chat_id if isinstance(chat_id, int) else None,
        max_user_id=max_user_id,
    )
    return command


def send_row(row: Outbox) -> Sent:
    if not enabled():
        return Sent(ok=False, error="MAX_BOT_TOKEN is not set", permanent=True)
    payload = row.payload or {}
    target = {"chat_id": payload["chat_id"]} if payload.get("chat_id") is not None else {"user_id": row.address}
    body = {"text": row.text[:4000], "format": "html", "attachments": open_app_keyboard()}
    try:
        request("POST", "/messages", params=target, json=body)
    except MaxApiError as exc:
        if exc.status == 429 or exc.status >= 500:
            return Sent(ok=False, error=str(exc))
        return Sent(ok=False, error=str(exc), permanent=True, block_user=exc.status in (403, 404))
    except httpx.HTTPError as exc:
        return Sent(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
    return Sent(ok=True)


def set_webhook(url: str) -> dict:
    """Subscribe the bot's updates to `url`; MAX will send MAX_WEBHOOK_SECRET in X-Max-Bot-Api-Secret."""
    body = {"url": url, "update_types": ["message_created", "bot_started"], "secret": settings.MAX_WEBHOOK_SECRET}
    return request("POST", "/subscriptions", json=body)
