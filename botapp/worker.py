"""The notification worker (`manage.py run_worker`).

Every iteration: run the periodic producers when due, claim a batch of due outbox rows atomically
(SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, then a conditional UPDATE that only flips rows still
`pending` — so two workers can never claim the same row), send them with a `Bot` on the worker's own event
loop at most BOT_SEND_RATE messages/s in total across all workers (send slots reserved from one schedule in
Redis: botapp.ratelimit) and at most one message per chat per BOT_CHAT_INTERVAL seconds (shared through the
cache as well), and record each outcome:

* sent                        → `sent`
* RetryAfter (429)            → back to `pending` after retry_after
* Forbidden / chat not found  → `failed`, and the recipient's notifications are switched off
* other 400                   → `failed` (the message itself is wrong)
* network error / 5xx         → retried with backoff, `failed` after BOT_MAX_ATTEMPTS
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import socket
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command, get_commands
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from lessons.models import Lesson

from . import channels, telegram_app
from .channels import max as max_channel
from .handlers import markup_obj
from .models import EventType, Outbox, PeriodicJobRun
from .ratelimit import SendSlots
from .services import money, outbox, preferences, producers

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = [10, 30, 120, 600, 1800]
STALE_SENDING = timedelta(minutes=10)
PERMANENT_CHAT_ERRORS = ("chat not found", "user is deactivated", "bot was blocked", "peer_id_invalid")


class ChannelError(Exception):
    """An e-mail or MAX delivery that may work later (server down, timeout, 5xx, 429)."""


def _reachable(row: Outbox) -> bool:
    """The recipient still has the MAX account this row goes to (e-mail rows carry their own address)."""
    return bool(row.recipient.max_id) if row.channel == Outbox.Channel.MAX else True


def _setting(name: str, default):
    return getattr(settings, name, default)


def retry_after_seconds(exc: RetryAfter) -> float:
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, int | float):
        return float(value)
    return 5.0


@dataclass
class Outcome:
    status: str
    error: str = ""
    delay: float = 0.0
    message_id: int | None = None
    count_attempt: bool = True
    block_user: bool = False


@dataclass
class IterationStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    produced: int = 0
    jobs: list[str] = field(default_factory=list)


class Worker:
    def __init__(
        self,
        *,
        send: bool = True,
        name: str | None = None,
        batch_size: int | None = None,
        rate: float | None = None,
        chat_interval: float | None = None,
        concurrency: int | None = None,
        idle_sleep: float = 1.0,
        periodic_every: float = 30.0,
    ):
        self.send = send  # False: no bot token, so only the housekeeping jobs run (nothing is claimed or sent)
        # Senders besides Telegram: e-mail always (console backend without EMAIL_URL), MAX with its token.
        self.other_channels = [Outbox.Channel.EMAIL] + ([Outbox.Channel.MAX] if max_channel.enabled() else [])
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.batch_size = batch_size or _setting("BOT_WORKER_BATCH", 100)
        self.rate = rate if rate is not None else _setting("BOT_SEND_RATE", 25.0)
        self.chat_interval = chat_interval if chat_interval is not None else _setting("BOT_CHAT_INTERVAL", 1.0)
        self.concurrency = concurrency or _setting("BOT_WORKER_CONCURRENCY", 16)
        self.max_attempts = _setting("BOT_MAX_ATTEMPTS", len(BACKOFF_SECONDS))
        self.idle_sleep = idle_sleep
        self.periodic_every = periodic_every
        self.stop_event = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.slots = SendSlots(self.rate)  # the global limit, shared with every other worker (Redis)
        self.bot = None
        self._last_periodic = float("-inf")

    # ---- lifecycle ------------------------------------------------------------------------------------

    def stop(self, *_args) -> None:
        self.stop_event.set()

    def run_forever(self) -> None:
        logger.info("worker %s started (%.0f msg/s, batch %d)", self.name, self.rate, self.batch_size)
        try:
            while not self.stop_event.is_set():
                try:
                    stats = self.run_once()
                except Exception:
                    logger.exception("worker iteration failed")
                    stats = IterationStats()
                    self.stop_event.wait(self.idle_sleep)
                if not stats.claimed:
                    self.stop_event.wait(self.idle_sleep)
        finally:
            self.close()
            logger.info("worker %s stopped", self.name)

    def close(self) -> None:
        if self.loop.is_closed():
            return
        if self.bot is not None:
            try:
                self.loop.run_until_complete(self.bot.shutdown())
            except Exception:
                logger.debug("bot shutdown failed", exc_info=True)
            self.bot = None
        self.loop.close()

    def run_once(self, *, periodic: bool | None = None) -> IterationStats:
        if not connection.in_atomic_block:
            close_old_connections()  # as a request would: drop broken or expired connections
        stats = IterationStats()
        due = periodic if periodic is not None else time.monotonic() - self._last_periodic >= self.periodic_every
        if due:
            self._last_periodic = time.monotonic()
            self.run_periodic(stats)
        self.recover_stale()
        if self.send:
            rows = self.claim()
            stats.claimed = len(rows)
            if rows:
                self.deliver(rows, stats)
        for channel in self.other_channels:  # e-mail and MAX: each claimed only by its own sender
            rows = self.claim(channel)
            stats.claimed += len(rows)
            if rows:
                self.deliver_other(rows, stats)
        return stats

    # ---- periodic jobs --------------------------------------------------------------------------------

    def run_periodic(self, stats: IterationStats) -> None:
        jobs = (
            ("reminders", producers.reminders_enqueue),
            ("prompts", producers.prompts_enqueue),
            ("digests", money.digests_enqueue),
        )
        for name, job in jobs if self.send or Outbox.Channel.MAX in self.other_channels else ():
            try:
                with transaction.atomic():
                    stats.produced += job()
                stats.jobs.append(name)
            except Exception:
                logger.exception("periodic job %s failed", name)
        # Every tick on every worker (it is idempotent and cheap): the view cache's stamps stay one row each.
        if "compact_view_stamps" in get_commands():
            try:
                call_command("compact_view_stamps", stdout=io.StringIO())
                stats.jobs.append("compact_view_stamps")
            except Exception:
                logger.exception("periodic job compact_view_stamps failed")
        today = timezone.now().date().isoformat()
        self.run_daily("prune_outbox", today, outbox.outbox_prune, stats)
        # Daily housekeeping commands of other apps, when installed (botapp does not import them).
        for command in ("purge_archived", "prune_staff_logs", "purge_pending_signups", "lapse_makeup_credits"):
            if command in get_commands():
                self.run_daily(command, today, lambda command=command: call_command(command), stats)

    def run_daily(self, job: str, period: str, func, stats: IterationStats) -> bool:
        """Run `func` once per period across all workers: whoever inserts the ledger row runs it."""
        try:
            with transaction.atomic():
                run = PeriodicJobRun.objects.create(job=job, period=period, claimed_by=self.name)
        except IntegrityError:
            return False
        error = ""
        try:
            func()
            stats.jobs.append(job)
        except Exception as exc:
            logger.exception("daily job %s failed", job)
            error = repr(exc)[:2000]
        PeriodicJobRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), error=error)
        return True

    # ---- claiming -------------------------------------------------------------------------------------

    def recover_stale(self) -> int:
        """Rows left `sending` by a worker that died mid-send: we cannot know whether Telegram got them, so they
        are marked failed (never sent twice automatically) and can be retried from the admin."""
        return Outbox.objects.filter(
            status=Outbox.Status.SENDING, claimed_at__lt=timezone.now() - STALE_SENDING
        ).update(
            status=Outbox.Status.FAILED, last_error="worker stopped while sending; delivery unknown — retry in admin"
        )

    def claim(self, channel: str = Outbox.Channel.TELEGRAM) -> list[Outbox]:
        now = timezone.now()
        token = f"{self.name}:{uuid.uuid4().hex[:8]}"[:64]
        with transaction.atomic():
            qs = Outbox.objects.filter(
                channel=channel, status=Outbox.Status.PENDING, next_attempt_at__lte=now
            ).order_by("next_attempt_at", "id")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True)
            ids = list(qs.values_list("id", flat=True)[: self.batch_size])
            if not ids:
                return []
            Outbox.objects.filter(id__in=ids, status=Outbox.Status.PENDING).update(
                status=Outbox.Status.SENDING, claimed_by=token, claimed_at=now
            )
        return list(
            Outbox.objects.filter(id__in=ids, claimed_by=token, status=Outbox.Status.SENDING)
            .select_related("recipient")
            .order_by("next_attempt_at", "id")
        )

    # ---- delivery -------------------------------------------------------------------------------------

    def _stale_lesson_rows(self, rows: list[Outbox]) -> set[int]:
        """Reminders/prompts whose lesson was cancelled, moved, completed or has started meanwhile."""
        lesson_rows = [r for r in rows if r.event_type in (EventType.LESSON_REMINDER, EventType.LESSON_PROMPT)]
        if not lesson_rows:
            return set()
        lessons = {
            x["id"]: x
            for x in Lesson.objects.filter(id__in={r.lesson_id for r in lesson_rows}).values("id", "status", "start_at")
        }
        now = timezone.now()
        stale = set()
        for r in lesson_rows:
            lesson = lessons.get(r.lesson_id)
            if lesson is None or lesson["status"] != Lesson.Status.PLANNED or lesson["start_at"] != r.lesson_start:
                stale.add(r.id)
            elif r.event_type == EventType.LESSON_REMINDER and lesson["start_at"] <= now:
                stale.add(r.id)
        return stale

    def deliver(self, rows: list[Outbox], stats: IterationStats) -> None:
        outcomes: dict[int, Outcome] = {}
        stale = self._stale_lesson_rows(rows)
        to_send: list[Outbox] = []
        per_chat: dict[int, int] = defaultdict(int)
        for row in rows:
            if row.recipient is not None and (row.recipient.deleted_at is not None or not row.recipient.telegram_id):
                outcomes[row.id] = Outcome(Outbox.Status.SKIPPED, "recipient gone", count_attempt=False)
            elif row.id in stale:
                outcomes[row.id] = Outcome(Outbox.Status.SKIPPED, "lesson changed before delivery", count_attempt=False)
            elif per_chat[row.chat_id] or not self._chat_slot(row.chat_id):
                # One message per chat per interval (across workers): the rest wait their turn, in order.
                per_chat[row.chat_id] = max(per_chat[row.chat_id], 1)
                outcomes[row.id] = Outcome(
                    Outbox.Status.PENDING, delay=self.chat_interval * per_chat[row.chat_id], count_attempt=False
                )
                per_chat[row.chat_id] += 1
            else:
                per_chat[row.chat_id] += 1
                to_send.append(row)
        if to_send:
            outcomes.update(self.loop.run_until_complete(self._send_all(to_send)))
        self._record(rows, outcomes, stats)

    def deliver_other(self, rows: list[Outbox], stats: IterationStats) -> None:
        """E-mail and MAX rows: synchronous sends (botapp.channels), the same outcomes and backoff as Telegram."""
        stale = self._stale_lesson_rows(rows)
        outcomes: dict[int, Outcome] = {}
        for row in rows:
            if row.recipient is not None and (row.recipient.deleted_at is not None or not _reachable(row)):
                outcomes[row.id] = Outcome(Outbox.Status.SKIPPED, "recipient gone", count_attempt=False)
            elif row.id in stale:
                outcomes[row.id] = Outcome(Outbox.Status.SKIPPED, "lesson changed before delivery", count_attempt=False)
            else:
                outcomes[row.id] = self._send_other(row)
        self._record(rows, outcomes, stats)

    def _send_other(self, row: Outbox) -> Outcome:
        try:
            result = channels.send_row(row)
        except Exception as exc:
            logger.exception("unexpected error sending %s outbox row %s", row.channel, row.id)
            return self._network_failure(row, exc)
        if result.ok:
            return Outcome(Outbox.Status.SENT)
        if result.permanent:
            return Outcome(Outbox.Status.FAILED, result.error)
        return self._network_failure(row, ChannelError(result.error))

    def _chat_slot(self, chat_id: int) -> bool:
        if self.chat_interval <= 0:
            return True
        return cache.add(f"botapp:chat:{chat_id}", 1, timeout=max(1, round(self.chat_interval)))

    async def _ensure_bot(self):
        if self.bot is None:
            bot = telegram_app.make_bot(pool=self.concurrency)
            await bot.initialize()
            self.bot = bot
        return self.bot

    async def _send_all(self, rows: list[Outbox]) -> dict[int, Outcome]:
        try:
            bot = await self._ensure_bot()
        except TelegramError as exc:
            logger.warning("cannot reach the Bot API: %s", exc)
            return {r.id: self._network_failure(r, exc) for r in rows}
        semaphore = asyncio.Semaphore(self.concurrency)
        loop = asyncio.get_running_loop()
        # One reservation for the whole batch: send i starts no earlier than its slot on the shared schedule.
        first = loop.time() + self.slots.reserve(len(rows))

        async def one(i: int, row: Outbox) -> tuple[int, Outcome]:
            await asyncio.sleep(max(0.0, first + i * self.slots.interval - loop.time()))
            async with semaphore:
                return row.id, await self._send_one(bot, row)

        return dict(await asyncio.gather(*(one(i, r) for i, r in enumerate(rows))))

    async def _send_one(self, bot, row: Outbox) -> Outcome:
        try:
            message = await bot.send_message(
                chat_id=row.chat_id,
                text=row.text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup_obj(row.reply_markup, bot),
                disable_web_page_preview=True,
            )
            return Outcome(Outbox.Status.SENT, message_id=message.message_id)
        except RetryAfter as exc:
            seconds = retry_after_seconds(exc)
            return Outcome(Outbox.Status.PENDING, f"429 retry after {seconds:g}s", delay=seconds, count_attempt=False)
        except Forbidden as exc:
            return Outcome(Outbox.Status.FAILED, f"403 {exc.message}", block_user=True)
        except BadRequest as exc:
            lower = exc.message.lower()
            if any(marker in lower for marker in PERMANENT_CHAT_ERRORS):
                return Outcome(Outbox.Status.FAILED, f"400 {exc.message}", block_user=True)
            return Outcome(Outbox.Status.FAILED, f"400 {exc.message}")
        except TelegramError as exc:  # NetworkError, TimedOut, 5xx, InvalidToken…
            return self._network_failure(row, exc)
        except Exception as exc:
            logger.exception("unexpected error sending outbox row %s", row.id)
            return self._network_failure(row, exc)

    def _network_failure(self, row: Outbox, exc: Exception) -> Outcome:
        attempt = row.attempts + 1
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if attempt >= self.max_attempts:
            return Outcome(Outbox.Status.FAILED, error)
        return Outcome(Outbox.Status.PENDING, error, delay=BACKOFF_SECONDS[min(attempt - 1, len(BACKOFF_SECONDS) - 1)])

    def _record(self, rows: list[Outbox], outcomes: dict[int, Outcome], stats: IterationStats) -> None:
        now = timezone.now()
        blocked = set()
        for row in rows:
            outcome = outcomes[row.id]
            row.status = outcome.status
            if outcome.count_attempt:
                row.attempts += 1
            if outcome.status == Outbox.Status.SENT:
                row.sent_at = now
                row.telegram_message_id = outcome.message_id
                row.last_error = ""
                stats.sent += 1
            elif outcome.status == Outbox.Status.PENDING:
                row.next_attempt_at = now + timedelta(seconds=outcome.delay)
                if outcome.error:
                    row.last_error = outcome.error
                    stats.retried += 1
                else:
                    stats.deferred += 1
            else:
                row.last_error = outcome.error
                if outcome.status == Outbox.Status.FAILED:
                    stats.failed += 1
                    logger.warning("outbox row %s failed: %s", row.id, outcome.error)
                else:
                    stats.skipped += 1
            if outcome.block_user and row.recipient_id is not None:
                blocked.add(row.recipient_id)
            if row.status != Outbox.Status.PENDING:
                channels.scrub(row)  # a final row forgets its mail's secret
        with transaction.atomic():
            Outbox.objects.bulk_update(
                rows,
                ["status", "attempts", "sent_at", "telegram_message_id", "last_error", "next_attempt_at", "payload"],
            )
            for user_id in blocked:
                preferences.settings_mark_blocked(user_id=user_id)
