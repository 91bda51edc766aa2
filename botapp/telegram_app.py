"""The process's python-telegram-bot objects. The webhook uses one `Application` (no Updater), built and
initialised lazily on first use in the running event loop; the worker and operator endpoints use a
plain `Bot`. The Bot API base URL comes from settings (tests and staging point it at a fake server)."""

from __future__ import annotations

import asyncio
import logging

from django.conf import settings
from telegram import Bot
from telegram.ext import Application
from telegram.request import HTTPXRequest

logger = logging.getLogger(__name__)

_state: dict = {"app": None, "loop": None, "key": None, "warned": False}
_locks: dict = {}


def bot_enabled() -> bool:
    if settings.BOT_TOKEN:
        return True
    if not _state["warned"]:
        logger.warning("BOT_TOKEN is not set: the Telegram bot is disabled (the rest of the service works)")
        _state["warned"] = True
    return False


def _base_urls() -> tuple[str, str]:
    base = settings.TELEGRAM_API_BASE_URL
    file_base = base.replace("/bot{token}", "/file/bot{token}") if "/bot{token}" in base else base
    return base, file_base


def _request(pool: int = 32, timeout: float = 10.0) -> HTTPXRequest:
    return HTTPXRequest(connection_pool_size=pool, connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout)


def make_bot(*, pool: int = 32, timeout: float = 10.0) -> Bot:
    base, file_base = _base_urls()
    return Bot(settings.BOT_TOKEN, base_url=base, base_file_url=file_base, request=_request(pool, timeout))


def build_application() -> Application:
    from . import handlers

    base, file_base = _base_urls()
    app = (
        Application.builder()
        .token(settings.BOT_TOKEN)
        .base_url(base)
        .base_file_url(file_base)
        .request(_request())
        .get_updates_request(_request(1))
        .updater(None)
        .build()
    )
    handlers.register(app)
    return app


async def get_application() -> Application | None:
    """The initialised Application of this process (one per event loop: daphne has exactly one)."""
    if not bot_enabled():
        return None
    loop = asyncio.get_running_loop()
    key = (settings.BOT_TOKEN, settings.TELEGRAM_API_BASE_URL)
    if _state["app"] is not None and _state["loop"] is loop and _state["key"] == key:
        return _state["app"]
    lock = _locks.setdefault(loop, asyncio.Lock())
    async with lock:
        if _state["app"] is not None and _state["loop"] is loop and _state["key"] == key:
            return _state["app"]
        app = build_application()
        await app.initialize()
        _state.update(app=app, loop=loop, key=key)
        logger.info("Telegram bot application initialised as @%s", app.bot.username)
        return app


async def release_application() -> None:
    """Shut this loop's Application down (its HTTP connections closed) and forget it. For a loop that dies with
    the request: a WSGI server (or Django's test client) runs an async view on a throwaway loop."""
    app = _state["app"]
    if app is not None and _state["loop"] is asyncio.get_running_loop():
        _state.update(app=None, loop=None, key=None)
        await app.shutdown()


def reset_application() -> None:
    """Forget the Application (tests: every test has its own loop and fake server)."""
    _state.update(app=None, loop=None, key=None, warned=False)
    _locks.clear()


def run_bot_call(coro_factory):
    """Run `await coro_factory(bot)` with a short-lived Bot on a private event loop (operator endpoints)."""

    async def runner():
        async with make_bot(pool=4) as bot:
            return await coro_factory(bot)

    return asyncio.run(runner())


async def get_application_safe() -> Application | None:
    """get_application(), logging (not raising) when the Bot API cannot be reached to initialise."""
    try:
        return await get_application()
    except Exception:
        logger.exception("could not initialise the Telegram bot application")
        return None
