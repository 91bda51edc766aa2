"""Hard-delete teacher–student links archived more than 7 days ago (with their parent relations) and users
whose 7-day restore window after soft deletion is over. Idempotent; concurrent runs split the work
(rows are claimed with SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL). The worker schedules it daily."""

from django.core.management.base import BaseCommand

from lessons.people.services import purge_archived_links, purge_deleted_users


class Command(BaseCommand):
    help = "Purge links archived > 7 days ago and soft-deleted users past their restore window."

    def handle(self, *args, **options):
        links = purge_archived_links()
        users = purge_deleted_users()
        self.stdout.write(f"purged links={links} users={users}")
