"""Delete login sessions whose last refresh token has expired (simplejwt's `flushexpiredtokens` is the twin for
its token tables). Safe at any time and from any number of hosts: a token without its session row is refused."""

from django.core.management.base import BaseCommand

from accounts.tokens import login_sessions_purge_expired


class Command(BaseCommand):
    help = "Delete login sessions whose tokens have all expired."

    def handle(self, *args, **options):
        self.stdout.write(f"purged sessions={login_sessions_purge_expired()}")
