"""Domain events (tutorcal.events, announced inside the service's transaction) -> pushes to sockets.

Connected once in RealtimeConfig.ready(). Receivers only schedule: each push runs after the commit, off the
request thread (realtime.dispatch), and a failing push is logged there and never touches the change.
"""

from __future__ import annotations

from tutorcal import events

from . import services
from .dispatch import after_commit


def on_lesson_created(*, lesson_ids, teacher_id, actor=None, **_):
    after_commit(
        services.lesson_event_push, event="lesson.created", teacher_id=teacher_id, lesson_ids=lesson_ids, actor=actor
    )


def on_lesson_updated(*, lesson_ids, teacher_id, actor=None, moved=False, **_):
    after_commit(
        services.lesson_event_push,
        event="lesson.updated",
        teacher_id=teacher_id,
        lesson_ids=lesson_ids,
        actor=actor,
        extra={"moved": bool(moved)},
    )


def on_lesson_cancelled(*, lesson_ids, teacher_id, actor=None, student_ids=None, **_):
    after_commit(
        services.lesson_event_push,
        event="lesson.cancelled",
        teacher_id=teacher_id,
        lesson_ids=lesson_ids,
        student_ids=student_ids,
        actor=actor,
    )


def on_lesson_deleted(*, lesson_ids, teacher_id, actor=None, snapshots=None, **_):
    snapshots = snapshots or [{"id": i, "startAt": None, "studentIds": []} for i in lesson_ids]
    after_commit(
        services.lesson_event_push,
        event="lesson.deleted",
        teacher_id=teacher_id,
        lesson_ids=lesson_ids,
        snapshots=snapshots,
        actor=actor,
    )


def on_lesson_completed(*, lesson_ids, teacher_id, actor=None, **_):
    after_commit(
        services.lesson_event_push, event="lesson.completed", teacher_id=teacher_id, lesson_ids=lesson_ids, actor=actor
    )


def on_lesson_students_added(*, lesson_id, teacher_id, student_ids, **_):
    # For the newly added students the lesson is new; for the tutor it changed.
    after_commit(
        services.lesson_event_push,
        event="lesson.created",
        teacher_id=teacher_id,
        lesson_ids=[lesson_id],
        student_ids=student_ids,
        teacher_event="lesson.updated",
    )


def on_student_joined(*, teacher_id, student_id, via=None, restored=False, **_):
    after_commit(
        services.student_link_push,
        event="student.joined",
        teacher_id=teacher_id,
        student_id=student_id,
        via=via,
        restored=bool(restored),
    )


def on_student_archived(*, teacher_id, student_id, **_):
    after_commit(services.student_link_push, event="student.archived", teacher_id=teacher_id, student_id=student_id)


def on_student_restored(*, teacher_id, student_id, **_):
    after_commit(services.student_link_push, event="student.restored", teacher_id=teacher_id, student_id=student_id)


def on_subscription_updated(*, teacher_id, student_id, subscription_id, **_):
    after_commit(
        services.subscription_push, teacher_id=teacher_id, student_id=student_id, subscription_id=subscription_id
    )


def on_user_deleted(*, user_id, profiles, **_):
    after_commit(services.sessions_close, profiles=profiles)


def on_session_ended(*, user_id, session, **_):
    after_commit(services.session_sockets_close, session=session)


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
