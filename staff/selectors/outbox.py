from django.db.models import Count, Q

from botapp.models import Outbox

from .common import DateRange


def outbox_health(rng: DateRange) -> dict:
    """Messages queued in the range by delivery state (pending = waiting now, whatever their age): one query."""
    S = Outbox.Status
    return Outbox.objects.filter(
        Q(created_at__gte=rng.since, created_at__lt=rng.until) | Q(status=S.PENDING)
    ).aggregate(
        pending=Count("id", filter=Q(status=S.PENDING)),
        sending=Count("id", filter=Q(status=S.SENDING)),
        sent=Count("id", filter=Q(status=S.SENT, created_at__gte=rng.since)),
        failed=Count("id", filter=Q(status=S.FAILED, created_at__gte=rng.since)),
        skipped=Count("id", filter=Q(status=S.SKIPPED, created_at__gte=rng.since)),
    )
