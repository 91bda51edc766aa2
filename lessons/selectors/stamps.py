"""A profile's view version: what the view cache keys on (tutorcal.viewcache). The view_stamps rows are written
by database triggers in every transaction that changes what the profile's cached views show."""

from __future__ import annotations

import uuid

from django.db import connection


def stamps_enabled() -> bool:
    """The triggers exist on PostgreSQL only (migration lessons.0007); elsewhere nothing is cached."""
    return connection.vendor == "postgresql"


def profile_stamp(profile_id: uuid.UUID) -> str | None:
    """`count-maxid` of the profile's stamp rows, or None where stamps are not kept.

    Unique per committed state: without a compaction in between, every commit that touched the profile adds a
    row (count grows); a compaction adds a row with a higher id than any before it (max grows), and while max
    stays the same, count can only grow (a transaction that took a lower id committing late). A reader takes
    the stamp BEFORE reading the data, so whatever it caches under a stamp is at least as new as that stamp."""
    if not stamps_enabled():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM view_stamps WHERE profile_id = %s", [profile_id])
        count, top = cursor.fetchone()
    return f"{count}-{top}"
