"""Register the MAX webhook: `manage.py set_max_webhook --url https://api.example.com/api/max-bot/webhook`.
MAX then POSTs updates there with MAX_WEBHOOK_SECRET in X-Max-Bot-Api-Secret (checked by the webhook view)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from botapp.channels import max as max_channel


class Command(BaseCommand):
    help = "Subscribe the MAX bot's updates (message_created, bot_started) to the given HTTPS URL."

    def add_arguments(self, parser):
        parser.add_argument("--url", required=True, help="Public URL of /api/max-bot/webhook")

    def handle(self, *args, **options):
        if not max_channel.enabled():
            raise CommandError("MAX_BOT_TOKEN is not set: the MAX bot is off")
        if not settings.MAX_WEBHOOK_SECRET:
            raise CommandError("MAX_WEBHOOK_SECRET is not set: updates could not be told from forgeries")
        try:
            answer = max_channel.set_webhook(options["url"])
        except (max_channel.MaxApiError, max_channel.httpx.HTTPError) as exc:
            raise CommandError(f"MAX refused the subscription: {exc}") from None
        if answer.get("success") is False:
            raise CommandError(f"MAX refused the subscription: {answer.get('message', '')}")
        self.stdout.write(f"MAX webhook set to {options['url']}")
