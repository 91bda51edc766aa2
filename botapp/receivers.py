"""Domain events -> outbox rows, written inside the transaction that announced the event
(tutorcal.events.announce): the change and its notifications commit together or not at all.

No receiver swallows errors. If queueing fails (a bug, or the database failing mid-transaction), the
exception rolls the domain write back and the caller sees it; a committed change without its notification
is exactly what a transactional outbox exists to prevent. Exactly-once stays with the unique dedupe key:
a message already queued (same key) is skipped by INSERT … ON CONFLICT DO NOTHING."""

from __future__ import annotations

from tutorcal import events

from .channels import email as email_channel
from .services import money, notify, reports, welcomes


def on_lesson_created(sender, *, lesson_ids, **kwargs):
    notify.notify_lessons_created(lesson_ids=lesson_ids)


def on_lesson_students_added(sender, *, lesson_id, student_ids, **kwargs):
    notify.notify_lessons_created(lesson_ids=[lesson_id], student_ids=student_ids)


def on_lesson_updated(sender, *, lesson_ids, moved=False, previous_start=None, **kwargs):
    if moved:
        notify.notify_lessons_moved(lesson_ids=lesson_ids, previous_start=previous_start)


def on_lesson_cancelled(sender, *, lesson_ids, actor="teacher", student_ids=None, **kwargs):
    notify.notify_lessons_cancelled(lesson_ids=lesson_ids, actor=actor, student_ids=student_ids)


def on_lesson_deleted(sender, *, teacher_id, snapshots=None, **kwargs):
    notify.notify_lessons_deleted(teacher_id=teacher_id, snapshots=snapshots or [])


def on_lesson_completed(sender, *, lesson_ids, **kwargs):
    money.notify_lesson_balances(lesson_ids=lesson_ids)


def on_waitlist_promoted(sender, *, lesson_id, student_ids, **kwargs):
    money.notify_waitlist_promoted(lesson_id=lesson_id, student_ids=student_ids)


def on_lesson_report_written(sender, *, lesson_id, **kwargs):
    reports.notify_lesson_report(lesson_id=lesson_id)


def on_student_joined(sender, *, teacher_id, student_id, via="web", restored=False, **kwargs):
    welcomes.notify_student_joined(teacher_id=teacher_id, student_id=student_id, via=via, restored=restored)


def on_parent_joined(sender, *, parent_id, student_id, via="web", **kwargs):
    welcomes.notify_parent_joined(parent_id=parent_id, student_id=student_id, via=via)


def on_calendar_imported(sender, *, teacher_id, imported=0, updated=0, series_created=0, source="ics", **kwargs):
    notify.notify_calendar_imported(
        teacher_id=teacher_id, imported=imported, updated=updated, series_created=series_created, source=source
    )


def on_user_registered(sender, *, user_id, role, **kwargs):
    welcomes.notify_user_registered(user_id=user_id, role=role)


def on_email_requested(sender, **kwargs):
    email_channel.queue(**kwargs)


def connect() -> None:
    pairs = [
        (events.lesson_created, on_lesson_created),
        (events.lesson_students_added, on_lesson_students_added),
        (events.lesson_updated, on_lesson_updated),
        (events.lesson_cancelled, on_lesson_cancelled),
        (events.lesson_report_written, on_lesson_report_written),
        (events.lesson_completed, on_lesson_completed),
        (events.waitlist_promoted, on_waitlist_promoted),
        (events.lesson_deleted, on_lesson_deleted),
        (events.student_joined, on_student_joined),
        (events.calendar_imported, on_calendar_imported),
        (events.parent_joined, on_parent_joined),
        (events.user_registered, on_user_registered),
        (events.email_requested, on_email_requested),
    ]
    for signal, receiver in pairs:
        signal.connect(receiver, dispatch_uid=f"botapp.{receiver.__name__}")
