"""Collapse each profile's view_stamps rows to one (they grow by one per write). Safe to run concurrently;
the worker runs it with its periodic jobs."""

from django.core.management.base import BaseCommand

from lessons.services.stamps import view_stamps_compact


class Command(BaseCommand):
    help = "Compact the view-cache stamps (one row per profile)."

    def handle(self, *args, **options):
        self.stdout.write(f"compacted view_stamps: deleted={view_stamps_compact()}")
