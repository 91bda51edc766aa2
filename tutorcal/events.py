"""Domain events. Services announce them inside their own transaction; delivery apps (botapp, realtime)
subscribe in AppConfig.ready(). The domain never imports the delivery apps.

Every signal is sent with sender=None and keyword arguments documented next to it.

The contract for receivers (this is what makes the outbox transactional):
* A receiver runs inside the announcing transaction and sees its uncommitted rows. Durable side effects
  (botapp's outbox rows) are written right there, so they commit or roll back with the domain write.
* A receiver that raises fails the write: the exception reaches the service's caller and the whole
  transaction rolls back (no send_robust). A notification we could not queue is a bug to see, not to
  swallow; the user retries a write that left nothing half-done.
* Anything that talks to the network (socket pushes, HTTP) must not run here: register it with
  `transaction.on_commit(..., robust=True)` and hand it to a background thread (realtime.dispatch).
"""

from django.db import transaction
from django.dispatch import Signal

# lesson_ids: list[UUID]; teacher_id: UUID; actor: "teacher"|"student"|"system"
lesson_created = Signal()
# lesson_ids, teacher_id, actor, moved: bool (startAt changed), previous_start: dict[id -> datetime] | None
lesson_updated = Signal()
# lesson_ids, teacher_id, actor, student_ids (affected students; a group cancel by one student names only them)
lesson_cancelled = Signal()
# lesson_ids, teacher_id, actor, snapshots: list[dict] (id, startAt, studentIds, subjectName) taken before delete
lesson_deleted = Signal()
# lesson_ids, teacher_id, actor
lesson_completed = Signal()
# lesson_id, teacher_id: the tutor wrote the lesson's report (write-once), for students who want reports
lesson_report_written = Signal()
# lesson_id, teacher_id, student_ids: students who got a freed seat from the waitlist (also announced as added)
waitlist_promoted = Signal()
# lesson_id, teacher_id, student_ids: students newly added to an existing lesson
lesson_students_added = Signal()
# teacher_id, student_id, via: "telegram"|"web"|"invitation", restored: bool
student_joined = Signal()
# parent_id, student_id, teacher_ids, via
parent_joined = Signal()
# teacher_id, student_id
student_archived = Signal()
# teacher_id, student_id
student_restored = Signal()
# teacher_id, student_id, subscription_id
subscription_updated = Signal()
# teacher_id, lesson_ids, imported, updated, series_created, source ("ics"|"google"): a calendar import
# (one summary for the tutor instead of a message per lesson)
calendar_imported = Signal()
# user_id, role: the user registered (welcome message)
user_registered = Signal()
# user_id, profiles: list[(role, profile_id)]: the account was soft-deleted (its sessions must end now)
user_deleted = Signal()
# user_id, session: the login session `session` (the tokens' sid) was ended by logout
session_ended = Signal()
# user_id, kind: "signup_code"|"email_link"|"password_reset", secret: the plain code or token, email: the address,
# language: "ru"|"en". Announced inside the service's transaction: the receiver queues the mail in
# that transaction and must never store `secret` in clear.
email_requested = Signal()


def announce(signal: Signal, **kwargs) -> None:
    """Tell the receivers of `signal` now, inside the caller's transaction (one is opened when there is none,
    so the receivers' writes are still all-or-nothing). A receiver's exception propagates and rolls back."""
    with transaction.atomic(savepoint=False):
        signal.send(sender=None, **kwargs)
