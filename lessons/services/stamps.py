"""Compaction of view_stamps and pair_stamps (see lessons.selectors.stamps for why this keeps every stamp
unique)."""

from __future__ import annotations

from django.db import connection, transaction

from lessons.selectors.stamps import stamps_enabled


def _compact(table: str, keys: str) -> str:
    """One statement: per key with several rows, append a marker row (a higher id than any visible row) and delete
    that key's visible rows below it. Rows of transactions still open are invisible here and stay; their late
    commit then raises the count under the marker's max. Safe to run from many workers at once."""
    match = " AND ".join(f"v.{k} = m.{k}" for k in keys.split(", "))
    return f"""
WITH many AS (SELECT {keys} FROM {table} GROUP BY {keys} HAVING count(*) > 1),
marker AS (INSERT INTO {table} ({keys}) SELECT {keys} FROM many RETURNING {keys}, id)
DELETE FROM {table} v USING marker m WHERE {match} AND v.id < m.id
"""  # noqa: S608 - table and column names are the constants below


# Profiles' view versions, and (tutor, student) pairs' versions of the running totals.
_STATEMENTS = (_compact("view_stamps", "profile_id"), _compact("pair_stamps", "teacher_id, student_id"))


def view_stamps_compact() -> int:
    """Collapse every profile's (and every tutor-student pair's) stamp rows to one; returns the rows deleted."""
    if not stamps_enabled():
        return 0
    deleted = 0
    for statement in _STATEMENTS:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
            deleted += cursor.rowcount
    return deleted
