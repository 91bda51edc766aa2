"""Domain events (tutorcal.events, sent on commit by the services) -> pushes to sockets.

Connected once in RealtimeConfig.ready(). A failing push is logged and never breaks the request that
committed the change (the signals are sent with send_robust, and every receiver guards itself as well).
"""

from __future__ import annotations

import functools
import logging

from tutorcal import events

from . import services

logger = logging.getLogger(__name__)


def _guarded(func):
    @functools.wraps(func)
    def wrapper(sender=None, **kwargs):
        try:
            func(**kwargs)
        except Exception:
            logger.exception("realtime push failed in %s", func.__name__)

    return wrapper


@_guarded
def on_lesson_created(*, lesson_ids, teacher_id, actor=None, **_):
    services.lesson_event_push("lesson.created", teacher_id=teacher_id, lesson_ids=lesson_ids, actor=actor)


@_guarded
def on_lesson_updated(*, lesson_ids, teacher_id, actor=None, moved=False, **_):
    services.lesson_event_push(
        "lesson.updated", teacher_id=teacher_id, lesson_ids=lesson_ids, actor=actor, extra={"moved": bool(moved)}
    )


@_guarded
def on_lesson_cancelled(*, lesson_ids, teacher_id, actor=None, student_ids=None, **_):
    services.lesson_event_push(
        "lesson.cancelled", teacher_id=teacher_id, lesson_ids=lesson_ids, student_ids=student_ids, actor=actor
    )


@_guarded
def on_lesson_deleted(*, lesson_ids, teacher_id, actor=None, snapshots=None, **_):
    snapshots = snapshots or [{"id": i, "startAt": None, "studentIds": []} for i in lesson_ids]
    services.lesson_event_push(
        "lesson.deleted", teacher_id=teacher_id, lesson_ids=lesson_ids, snapshots=snapshots, actor=actor
    )


@_guarded
def on_lesson_completed(*, lesson_ids, teacher_id, actor=None, **_):
    services.lesson_event_push("lesson.completed", teacher_id=teacher_id, lesson_ids=lesson_ids, actor=actor)


@_guarded
def on_lesson_students_added(*, lesson_id, teacher_id, student_ids, **_):
    # For the newly added students the lesson is new; for the tutor it changed.
    services.lesson_event_push(
        "lesson.created",
        teacher_id=teacher_id,
        lesson_ids=[lesson_id],
        student_ids=student_ids,
        teacher_event="lesson.updated",
    )


@_guarded
def on_student_joined(*, teacher_id, student_id, via=None, restored=False, **_):
    services.student_link_push(
        "student.joined", teacher_id=teacher_id, student_id=student_id, via=via, restored=bool(restored)
    )


@_guarded
def on_student_archived(*, teacher_id, student_id, **_):
    services.student_link_push("student.archived", teacher_id=teacher_id, student_id=student_id)


@_guarded
def on_student_restored(*, teacher_id, student_id, **_):
    services.student_link_push("student.restored", teacher_id=teacher_id, student_id=student_id)


@_guarded
def on_subscription_updated(*, teacher_id, student_id, subscription_id, **_):
    services.subscription_push(teacher_id=teacher_id, student_id=student_id, subscription_id=subscription_id)


@_guarded
def on_user_deleted(*, user_id, profiles, **_):
    services.sessions_close(profiles=profiles)


@_guarded
def on_session_ended(*, user_id, session, **_):
    services.session_sockets_close(session=session)


CONNECTIONS = [
    (events.lesson_created, on_lesson_created),
    (events.lesson_updated, on_lesson_updated),
    (events.lesson_cancelled, on_lesson_cancelled),
    (events.lesson_deleted, on_lesson_deleted),
    (events.lesson_completed, on_lesson_completed),
    (events.lesson_students_added, on_lesson_students_added),
    (events.student_joined, on_student_joined),
    (events.student_archived, on_student_archived),
    (events.student_restored, on_student_restored),
    (events.subscription_updated, on_subscription_updated),
    (events.user_deleted, on_user_deleted),
    (events.session_ended, on_session_ended),
]


def connect() -> None:
    for signal, receiver in CONNECTIONS:
        signal.connect(receiver, dispatch_uid=f"realtime.{receiver.__name__}")
