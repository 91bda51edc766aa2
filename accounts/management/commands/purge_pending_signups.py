"""Free addresses held by unverified e-mail sign-ups older than EMAIL_PENDING_SIGNUP_TTL (24 h) and drop unverified
addresses whose e-mail link expired. The worker runs it daily; safe to run any time."""

from django.core.management.base import BaseCommand

from accounts.services.email_auth import pending_purge


class Command(BaseCommand):
    help = "Delete expired unverified e-mail sign-ups (their address is free again)."

    def handle(self, *args, **options):
        self.stdout.write(f"purged pending sign-ups={pending_purge()}")
