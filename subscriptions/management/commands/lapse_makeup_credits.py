"""Daily: unspent make-up credits past their expiry lapse (run by the worker once a day across all workers)."""

from django.core.management.base import BaseCommand

from subscriptions.credits import credits_lapse_expired


class Command(BaseCommand):
    help = "Lapse make-up credits whose expiry has passed."

    def handle(self, *args, **options):
        self.stdout.write(f"lapsed {credits_lapse_expired()} make-up credits")
