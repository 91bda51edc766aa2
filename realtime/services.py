"""Fan-out of domain events to sockets: build each recipient's payload, then `group_send` it to the
recipient's per-profile group on the channel layer (Redis in production, so a change committed in a gunicorn
process reaches sockets held by any daphne process).

Pushed frames are ``{"type": <event>, "data": {...}}``. Payloads are only built for recipients that have a
live socket (one presence round trip), so an event costs nothing for people who are offline.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db.models import Count, Exists, OuterRef

from accounts.models import ParentStudentRelation, TeacherStudentLink
from lessons.models import Lesson, LessonStudent
from tutorcal.timeutil import iso

from . import presence
from .selectors import Key, group_name, session_group

logger = logging.getLogger(__name__)

LESSON_EVENTS = ("lesson.created", "lesson.updated", "lesson.deleted", "lesson.completed", "lesson.cancelled")
PUSH = "rt.push"  # consumer handler `rt_push`: forward `payload` to the client


def _push(payload_type: str, data: dict, **extra) -> dict:
    return {"type": PUSH, "payload": {"type": payload_type, "data": data}, **extra}


async def _group_send_all(messages: list[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    await asyncio.gather(*(layer.group_send(group, message) for group, message in messages))


_loop: asyncio.AbstractEventLoop | None = None
_loop_pid = 0
_loop_lock = threading.Lock()


def _push_loop() -> asyncio.AbstractEventLoop:
    """One long-lived event loop per process for pushes from plain sync code (gunicorn workers, the bot
    worker): channels_redis keeps its connection pools per loop, so a fresh loop per event would reconnect."""
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop.is_closed() or os.getpid() != _loop_pid:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="realtime-push", daemon=True).start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def _inside_asgi_loop() -> bool:
    """True in a thread that sync_to_async started (Django views under daphne, consumers' DB calls, async tests):
    async_to_sync then runs on that outer loop, which owns the channel layer's connections."""
    return getattr(SyncToAsync.threadlocal, "main_event_loop", None) is not None


def group_send_all(messages: list[tuple[str, dict]]) -> None:
    """Send every (group, message) in one hop onto an event loop (not one `async_to_sync` per message)."""
    if not messages:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    if _inside_asgi_loop() or isinstance(layer, InMemoryChannelLayer):
        async_to_sync(_group_send_all)(messages)
    else:
        asyncio.run_coroutine_threadsafe(_group_send_all(messages), _push_loop()).result(timeout=30)


# ---- lesson payloads ----------------------------------------------------------------------------------


def teacher_lessons(teacher_id, lesson_ids: list) -> list[dict]:
    from lessons.selectors.calendar import teacher_lesson_dicts

    return teacher_lesson_dicts(teacher_id=teacher_id, lesson_ids=lesson_ids)


def _row_shapes(lesson_ids: list[str], student_ids: list[str], parents_wanted: set[str]) -> tuple[dict, dict]:
    """Each online student's own shape of each lesson, and the parent shape for children whose parent is
    online (the people area's row-to-wire functions, so the frames match GET /api/students/me/lessons and
    the parent views). Two queries: the lessons once (with subject, tutor and head count), then the online
    students' rows, each given its already-loaded lesson — a 99-student group lesson is built once, not 99
    times. Returns ({sid: [..]}, {sid: [..]})."""
    from lessons.selectors.student_lessons import parent_lesson_json, student_lesson_json

    lessons = {
        lesson.id: lesson
        for lesson in Lesson.objects.filter(id__in=lesson_ids)
        .select_related("subject", "teacher__user")
        .annotate(total_students=Count("lesson_students"))
    }
    rows = LessonStudent.objects.filter(lesson_id__in=lesson_ids, student_id__in=student_ids).order_by(
        "lesson__start_at", "lesson_id"
    )
    students: dict[str, list[dict]] = defaultdict(list)
    parents: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        row.lesson = lessons[row.lesson_id]
        row.total_students = row.lesson.total_students
        sid = str(row.student_id)
        students[sid].append(student_lesson_json(row))
        if sid in parents_wanted:
            parents[sid].append(parent_lesson_json(row))
    return students, parents


def _deleted_shape(snapshot: dict, *, for_teacher: bool) -> dict:
    start = snapshot.get("startAt")
    out = {
        "id": str(snapshot.get("id")),
        "startAt": iso(start) if isinstance(start, datetime) else start,
        "subjectName": snapshot.get("subjectName"),
    }
    if for_teacher:
        out["studentIds"] = [str(s) for s in snapshot.get("studentIds") or []]
    return out


def lesson_event_push(
    event: str,
    *,
    teacher_id,
    lesson_ids: Iterable,
    student_ids: Iterable | None = None,
    teacher_event: str | None = None,
    snapshots: list[dict] | None = None,
    actor: str | None = None,
    extra: dict | None = None,
) -> int:
    """Push `event` about `lesson_ids` to the tutor (``teacher_event`` when it differs), to the students on
    those lessons (or only `student_ids` when given) and to those students' parents related through this
    tutor. Deleted lessons are described by their `snapshots`. Returns the number of frames sent."""
    teacher_id = str(teacher_id)
    lesson_ids = [str(i) for i in lesson_ids]
    if not lesson_ids:
        return 0
    only = {str(s) for s in student_ids} if student_ids is not None else None

    # Who is on which lesson (1 query, or none for deletes), and their parents via this tutor (1 query).
    student_lessons_map: dict[str, list[str]] = defaultdict(list)
    if snapshots is not None:
        for snap in snapshots:
            for sid in snap.get("studentIds") or []:
                student_lessons_map[str(sid)].append(str(snap.get("id")))
    else:
        rows = LessonStudent.objects.filter(lesson_id__in=lesson_ids).values_list("student_id", "lesson_id")
        for sid, lid in rows.order_by("lesson__start_at", "lesson_id"):
            student_lessons_map[str(sid)].append(str(lid))
    if only is not None:
        student_lessons_map = defaultdict(list, {s: ls for s, ls in student_lessons_map.items() if s in only})
    parents: dict[str, list[str]] = defaultdict(list)  # parent -> their children among the students
    if student_lessons_map:
        # Parents follow a child through this tutor while the tutor-child link is active (as the parent views).
        active_link = TeacherStudentLink.objects.filter(
            teacher_id=OuterRef("teacher_id"), student_id=OuterRef("student_id"), archived_at__isnull=True
        )
        relations = ParentStudentRelation.objects.filter(
            Exists(active_link), teacher_id=teacher_id, student_id__in=list(student_lessons_map)
        )
        for pid, sid in relations.values_list("parent_id", "student_id").distinct():
            parents[str(pid)].append(str(sid))

    # Build payloads only for people with a live socket (1 presence round trip).
    keys: list[Key] = [("teacher", teacher_id)]
    keys += [("student", s) for s in student_lessons_map]
    keys += [("parent", p) for p in parents]
    online = presence.online_keys(keys)
    if not online:
        return 0

    meta = {**({"actor": actor} if actor else {}), **(extra or {})}
    messages: list[tuple[str, dict]] = []
    if ("teacher", teacher_id) in online:
        if snapshots is not None:
            lessons = [_deleted_shape(s, for_teacher=True) for s in snapshots]
        else:
            lessons = teacher_lessons(teacher_id, lesson_ids)
        if lessons:
            data = {"lessonIds": [x["id"] for x in lessons], "lessons": lessons, **meta}
            messages.append((group_name("teacher", teacher_id), _push(teacher_event or event, data)))
    snapshot_by_id = {str(s.get("id")): s for s in snapshots or []}
    online_students = [sid for sid in student_lessons_map if ("student", sid) in online]
    online_parents = {pid: kids for pid, kids in parents.items() if ("parent", pid) in online}
    if snapshots is not None:
        shapes = {
            sid: [_deleted_shape(snapshot_by_id[i], for_teacher=False) for i in ids]
            for sid, ids in student_lessons_map.items()
        }
        student_shapes, parent_shapes = shapes, shapes
    else:
        wanted_children = {sid for kids in online_parents.values() for sid in kids}
        student_shapes, parent_shapes = _row_shapes(
            lesson_ids, sorted(set(online_students) | wanted_children), wanted_children
        )
    for sid in online_students:
        lessons = student_shapes.get(sid)
        if lessons:
            data = {"lessonIds": [x["id"] for x in lessons], "lessons": lessons, **meta}
            messages.append((group_name("student", sid), _push(event, data)))
    for pid, children in online_parents.items():
        for sid in children:
            lessons = parent_shapes.get(sid)
            if lessons:
                data = {"studentId": sid, "lessonIds": [x["id"] for x in lessons], "lessons": lessons, **meta}
                messages.append((group_name("parent", pid), _push(event, data)))
    group_send_all(messages)
    return len(messages)


# ---- people and subscriptions -------------------------------------------------------------------------


def _student_card(student_id) -> dict | None:
    from accounts.models import StudentProfile

    row = (
        StudentProfile.objects.filter(pk=student_id)
        .values("id", "user__first_name", "user__last_name", "user__username")
        .first()
    )
    if row is None:
        return None
    return {
        "id": str(row["id"]),
        "firstName": row["user__first_name"],
        "lastName": row["user__last_name"],
        "username": row["user__username"] or None,
    }


def student_link_push(event: str, *, teacher_id, student_id, **extra) -> int:
    """`student.joined` / `student.archived` / `student.restored` to the tutor; both sides' open sockets
    also update whose presence they follow (the student's tutor list changes too)."""
    teacher_id, student_id = str(teacher_id), str(student_id)
    online = presence.online_keys([("teacher", teacher_id), ("student", student_id)])
    if not online:
        return 0
    linked = event != "student.archived"
    messages: list[tuple[str, dict]] = []
    if ("teacher", teacher_id) in online:
        card = _student_card(student_id)
        data = {"studentId": student_id, "student": card, **extra}
        contact = {"role": "student", "profileId": student_id, "name": _card_name(card), "linked": linked}
        messages.append((group_name("teacher", teacher_id), _push(event, data, contact=contact)))
    if ("student", student_id) in online:
        from accounts.models import TeacherProfile

        row = TeacherProfile.objects.filter(pk=teacher_id).values("display_name", "user__first_name").first() or {}
        name = row.get("display_name") or row.get("user__first_name") or "Учитель"
        contact = {"role": "teacher", "profileId": teacher_id, "name": name, "linked": linked}
        messages.append((group_name("student", student_id), {"type": "rt.contact", "contact": contact}))
    group_send_all(messages)
    return len(messages)


def _card_name(card: dict | None) -> str:
    if not card:
        return "—"
    return " ".join(p for p in (card["firstName"], card["lastName"]) if p) or card["username"] or "—"


def subscription_push(*, teacher_id, student_id, subscription_id) -> int:
    """`subscription.updated` to the tutor (their shape + studentId) and to the student (their shape)."""
    from subscriptions.models import Subscription
    from subscriptions.selectors import student_subscription_json, subscription_json

    teacher_id, student_id = str(teacher_id), str(student_id)
    online = presence.online_keys([("teacher", teacher_id), ("student", student_id)])
    if not online:
        return 0
    sub = Subscription.objects.select_related("teacher__user").filter(pk=subscription_id).first()
    if sub is not None and (str(sub.teacher_id), str(sub.student_id)) != (teacher_id, student_id):
        logger.warning("subscription_updated with a subscription of another pair; ignored")
        return 0
    messages: list[tuple[str, dict]] = []
    if ("teacher", teacher_id) in online:
        data = {"studentId": student_id, "subscriptionId": str(subscription_id), "subscription": subscription_json(sub)}
        messages.append((group_name("teacher", teacher_id), _push("subscription.updated", data)))
    if ("student", student_id) in online:
        data = {
            "teacherId": teacher_id,
            "subscriptionId": str(subscription_id),
            "subscription": student_subscription_json(sub) if sub is not None else None,
        }
        messages.append((group_name("student", student_id), _push("subscription.updated", data)))
    group_send_all(messages)
    return len(messages)


def sessions_close(*, profiles: list[tuple[str, object]]) -> None:
    """A deleted account's sockets close at once (4401), in every process, through each profile's group."""
    group_send_all([(group_name(role, profile_id), {"type": "rt.close"}) for role, profile_id in profiles])


def session_sockets_close(*, session: str) -> None:
    """Logout: the sockets opened under that login session close (4401); the user's other devices stay."""
    group_send_all([(session_group(session), {"type": "rt.close"})])
