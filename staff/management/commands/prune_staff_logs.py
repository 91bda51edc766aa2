from django.core.management.base import BaseCommand

from staff import services


class Command(BaseCommand):
    help = "Delete request logs older than REQUEST_LOG_DAYS and analytics events older than ANALYTICS_RETENTION_DAYS."

    def handle(self, *args, **options):
        requests, events = services.request_log_prune(), services.analytics_prune()
        self.stdout.write(f"deleted {requests} request logs, {events} analytics events")
