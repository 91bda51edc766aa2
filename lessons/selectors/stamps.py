"""Versions read from the stamp tables that database triggers append to in every writing transaction: a
profile's view version (view_stamps: what tutorcal.viewcache keys on) and a (tutor, student) pair's version
(pair_stamps: what the running totals are checked against, lessons.roster.selectors.pair_totals)."""

from __future__ import annotations

import uuid

from django.db import connection
from django.db.models import Count, Max

from lessons.models import PairStamp


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
    return _version(count, top)


def pair_versions(teacher_id: uuid.UUID, student_ids: list) -> dict:
    """{student: version of the (tutor, student) pair}, the same `count-maxid` as profile_stamp, one query."""
    rows = (
        PairStamp.objects.filter(teacher_id=teacher_id, student_id__in=student_ids)
        .values("student_id")
        .annotate(n=Count("id"), top=Max("id"))
        .values_list("student_id", "n", "top")
    )
    found = {sid: _version(n, top) for sid, n, top in rows}
    return {sid: found.get(sid, _version(0, 0)) for sid in student_ids}


def _version(count: int, top: int | None) -> str:
    return f"{count}-{top or 0}"
