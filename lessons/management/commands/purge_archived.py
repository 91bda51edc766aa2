"""Hard-delete teacher–student links archived more than 7 days ago (with their parent relations) and users
whose 7-day restore window after soft deletion is over. Idempotent; concurrent runs split the work
(rows are claimed with SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL). The worker schedules it daily."""

from django.core.management.base import BaseCommand

from accounts.services.users import users_purge_deleted
from lessons.roster.services.links import links_purge_archived


class Command(BaseCommand):
    help = "Purge links archived > 7 days ago and soft-deleted users past their restore window."

    def handle(self, *args, **options):
        links = links_purge_archived()
        users = users_purge_deleted()
        self.stdout.write(f"purged links={links} users={users}")
