"""Compaction of view_stamps and pair_stamps (see lessons.selectors.stamps for why this keeps every stamp
unique)."""

from __future__ import annotations

from django.db import connection, transaction

from lessons.selectors.stamps import stamps_enabled

# One statement: per profile with several rows, append a marker row (a higher id than any visible row) and
# delete that profile's visible rows below it. Rows of transactions still open are invisible here and stay;
# their late commit then raises the count under the marker's max. Safe to run from many workers at once.
_COMPACT = """
WITH many AS (SELECT profile_id FROM view_stamps GROUP BY profile_id HAVING count(*) > 1),
marker AS (INSERT INTO view_stamps (profile_id) SELECT profile_id FROM many RETURNING profile_id, id)
DELETE FROM view_stamps v USING marker m WHERE v.profile_id = m.profile_id AND v.id < m.id
"""


# The same for the running totals' versions (lessons.models.PairStamp), per (tutor, student) pair.
_COMPACT_PAIRS = """
WITH many AS (SELECT teacher_id, student_id FROM pair_stamps GROUP BY teacher_id, student_id HAVING count(*) > 1),
marker AS (
    INSERT INTO pair_stamps (teacher_id, student_id) SELECT teacher_id, student_id FROM many
    RETURNING teacher_id, student_id, id
)
DELETE FROM pair_stamps v USING marker m
WHERE v.teacher_id = m.teacher_id AND v.student_id = m.student_id AND v.id < m.id
"""


def view_stamps_compact() -> int:
    """Collapse every profile's (and every tutor-student pair's) stamp rows to one; returns the rows deleted."""
    if not stamps_enabled():
        return 0
    deleted = 0
    for statement in (_COMPACT, _COMPACT_PAIRS):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
            deleted += cursor.rowcount
    return deleted
