"""Register the webhook (with the secret token and allowed updates) and the bot's command list."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from telegram.error import TelegramError

from botapp import telegram_app
from botapp.views import ALLOWED_UPDATES, set_webhook_and_commands


class Command(BaseCommand):
    help = "Call setWebhook (secret_token, allowed_updates=message,callback_query) and setMyCommands."

    def add_arguments(self, parser):
        parser.add_argument("--url", required=True, help="https://api.example.com/api/bot/webhook")
        parser.add_argument("--drop-pending-updates", action="store_true")

    def handle(self, *args, **options):
        url = options["url"]
        if not url.startswith("https://"):
            raise CommandError("Telegram needs an https:// webhook URL")
        if not settings.BOT_TOKEN:
            raise CommandError("BOT_TOKEN is not set")
        if not settings.TELEGRAM_WEBHOOK_SECRET:
            raise CommandError("TELEGRAM_WEBHOOK_SECRET is not set")
        try:
            ok = telegram_app.run_bot_call(
                lambda bot: set_webhook_and_commands(bot, url=url, drop_pending_updates=options["drop_pending_updates"])
            )
        except TelegramError as exc:
            raise CommandError(f"Telegram refused: {exc}") from None
        if not ok:
            raise CommandError("Telegram did not accept the webhook")
        self.stdout.write(f"Webhook set to {url} (updates: {', '.join(ALLOWED_UPDATES)})")
