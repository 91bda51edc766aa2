"""The student cards' aggregates (attendance stats, debt, subjects, last and next lesson) per student of a tutor.

Aggregating the tutor's whole history on every view cost ~75 ms in PostgreSQL for 300 students / 31,200 rows.
Now each (tutor, student) pair's result is kept in PairTotals for the pair's stamp version (PostgreSQL triggers
append a PairStamp row in every transaction that changes the pair's rows: migration 0008) and until the pair's
next lesson start (`flip_at`: the last and next lesson move then). A view reads the versions and the stored
totals (a row per student) and aggregates only the pairs that changed, with the same expressions as before.

The version is read BEFORE aggregating, so stored totals are at least as new as their version: a write that
commits meanwhile moves the version and the next view aggregates that pair again. Never stale; under
VIEW_CACHE_VERIFY (tests) every answer is checked against the full aggregate."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Max, Min, Q

from lessons.models import PairTotals
from lessons.selectors.stamps import pair_versions, stamps_enabled
from lessons.selectors.stats import stats_aggregates, teacher_rows

_TIMES = ("last_at", "next_at", "flip_at")


def _last_next_aggregates(now: datetime) -> dict:
    """Per group: the last lesson that took place (not cancelled), the next planned one the student attends, and
    the first lesson start after `now` of any kind (from then on the first two may differ)."""
    held = Q(lesson__start_at__lt=now) & ~Q(lesson__status="cancelled") & ~Q(attendance="cancelled")
    upcoming = Q(lesson__start_at__gte=now, lesson__status="planned") & ~Q(attendance="cancelled")
    return {
        "last_at": Max("lesson__start_at", filter=held),
        "next_at": Min("lesson__start_at", filter=upcoming),
        "flip_at": Min("lesson__start_at", filter=Q(lesson__start_at__gt=now)),
    }


def aggregate_cards(teacher_id: uuid.UUID, student_ids: list, now: datetime) -> tuple[dict, dict]:
    """ONE grouped query (student × subject) over the students' whole history with the tutor: per-student
    aggregates with last/next/flip times, and their distinct subjects."""
    aggs: dict = {}
    subjects: dict = defaultdict(list)
    if not student_ids:
        return aggs, subjects
    groups = (
        teacher_rows(teacher_id)
        .filter(student_id__in=student_ids)
        .values("student_id", "lesson__subject_id", "lesson__subject__name", "lesson__subject__color_hex")
        .annotate(**stats_aggregates(), **_last_next_aggregates(now))
        .order_by("student_id", "lesson__subject__name")
    )
    rows: Iterable[Mapping[str, Any]] = groups  # annotated with **kwargs: keys the type checker cannot see
    for g in rows:
        total = aggs.setdefault(g["student_id"], {**dict.fromkeys(stats_aggregates(), 0), **dict.fromkeys(_TIMES)})
        for key in stats_aggregates():
            total[key] += g[key] or 0
        if g["last_at"] and (total["last_at"] is None or g["last_at"] > total["last_at"]):
            total["last_at"] = g["last_at"]
        for key in ("next_at", "flip_at"):
            if g[key] and (total[key] is None or g[key] < total[key]):
                total[key] = g[key]
        if g["lesson__subject_id"] is not None:
            subjects[g["student_id"]].append(
                {
                    "subjectId": str(g["lesson__subject_id"]),
                    "name": g["lesson__subject__name"],
                    "colorHex": g["lesson__subject__color_hex"],
                }
            )
    return aggs, subjects


def _dump(agg: dict | None, subjects: list) -> dict:
    agg = dict(agg or {})
    for key in _TIMES:
        agg[key] = agg[key].isoformat() if agg.get(key) else None
    return {"agg": agg, "subjects": subjects}


def _load(data: dict) -> tuple[dict | None, list]:
    agg = dict(data["agg"])
    if not agg:
        return None, data["subjects"]
    for key in _TIMES:
        agg[key] = datetime.fromisoformat(agg[key]) if agg.get(key) else None
    return agg, data["subjects"]


def card_totals(*, teacher_id: uuid.UUID, student_ids: list, now: datetime) -> tuple[dict, dict]:
    """({student: aggregates}, {student: subjects}) as aggregate_cards gives, from the running totals where
    they are current; the other pairs are aggregated now and stored."""
    if not stamps_enabled() or not student_ids:
        return aggregate_cards(teacher_id, student_ids, now)
    versions = pair_versions(teacher_id, student_ids)  # first: what is stored below is at least this new
    stored = {
        sid: (version, flip_at, data)
        for sid, version, flip_at, data in PairTotals.objects.filter(
            teacher_id=teacher_id, student_id__in=student_ids
        ).values_list("student_id", "version", "flip_at", "data")
    }

    def current(sid) -> bool:
        version, flip_at, _ = stored[sid]
        return version == versions[sid] and (flip_at is None or flip_at > now)

    stale = [sid for sid in student_ids if sid not in stored or not current(sid)]
    aggs, subjects = aggregate_cards(teacher_id, stale, now)
    if stale:
        fresh = [
            PairTotals(
                teacher_id=teacher_id,
                student_id=sid,
                version=versions[sid],
                flip_at=(aggs.get(sid) or {}).get("flip_at"),
                data=_dump(aggs.get(sid), subjects.get(sid, [])),
            )
            for sid in sorted(stale)  # one lock order for concurrent views
        ]
        PairTotals.objects.bulk_create(
            fresh,
            update_conflicts=True,
            unique_fields=["teacher_id", "student_id"],
            update_fields=["version", "flip_at", "data"],
        )
    for sid in set(stored) - set(stale):
        agg, subject_list = _load(stored[sid][2])
        if agg is not None:
            aggs[sid] = agg
        if subject_list:
            subjects[sid] = subject_list
    if settings.VIEW_CACHE_VERIFY:
        _verify(teacher_id, student_ids, now, aggs, subjects)
    return aggs, subjects


def _verify(teacher_id, student_ids, now, aggs, subjects) -> None:
    full_aggs, full_subjects = aggregate_cards(teacher_id, student_ids, now)
    if full_aggs != aggs or dict(full_subjects) != {k: v for k, v in subjects.items() if v}:
        raise AssertionError(f"running totals of teacher {teacher_id} differ from the full aggregate")
