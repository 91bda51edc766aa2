"""Deliver queued bot notifications and run the periodic jobs until SIGTERM/SIGINT (or once with --once)."""

import logging
import signal

from django.core.management.base import BaseCommand

from botapp import telegram_app
from botapp.worker import Worker

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Send queued Telegram notifications (outbox) and run periodic jobs (reminders, prompts, purges)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one iteration (periodic jobs + one batch)")
        parser.add_argument("--batch", type=int, default=None, help="Rows claimed per iteration")
        parser.add_argument("--rate", type=float, default=None, help="Messages per second for this worker")
        parser.add_argument("--idle-sleep", type=float, default=1.0, help="Seconds to wait when nothing is due")
        parser.add_argument("--periodic-every", type=float, default=30.0, help="Seconds between periodic runs")
        parser.add_argument("--name", default=None, help="Worker name (default host:pid)")

    def handle(self, *args, **options):
        send = telegram_app.bot_enabled()
        if not send:
            # The daily housekeeping (purge of archived links and deleted accounts, outbox pruning) still runs.
            self.stderr.write("BOT_TOKEN is not set: no Telegram message is sent (mail and MAX still are).")
        from botapp.channels import max as max_channel

        if not max_channel.enabled():
            logger.info("MAX_BOT_TOKEN is not set: the MAX bot is off (no MAX messages are sent).")
        worker = Worker(
            send=send,
            name=options["name"],
            batch_size=options["batch"],
            rate=options["rate"],
            idle_sleep=options["idle_sleep"],
            periodic_every=options["periodic_every"],
        )
        if options["once"]:
            try:
                stats = worker.run_once(periodic=True)
            finally:
                worker.close()
            self.stdout.write(
                f"claimed={stats.claimed} sent={stats.sent} retried={stats.retried} failed={stats.failed} "
                f"skipped={stats.skipped} deferred={stats.deferred} produced={stats.produced}"
            )
            return
        previous = {sig: signal.signal(sig, worker.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            worker.run_forever()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("worker stopped")
