"""The tutor's cancellation policy, applied to one student's row (ours, issue 16).

| who cancels | when                          | what happens to that student                                   |
|-------------|-------------------------------|----------------------------------------------------------------|
| student     | ≥ cutoff hours before start   | free: a package lesson already taken is given back             |
| student     | < cutoff, policy `free`       | free, as above                                                 |
| student     | < cutoff, policy `charge`     | the lesson counts: a package lesson is taken; else it is debt  |
| student     | < cutoff, policy `credit`     | free, plus a make-up credit (valid make_up_credit_days)        |
| tutor       | any time                      | free; plus a make-up credit when teacher_cancel_gives_credit   |

The outcome and a sentence saying why are stored on the row (cancel_outcome, cancel_note) for every side to
see, and the tutor can revert it (`cancel_outcome_revert`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import LateCancelPolicy, TeacherProfile
from lessons.models import CancelOutcome, Lesson, LessonStudent
from subscriptions.credits import credit_grant, credit_revoke, credits_unspend
from subscriptions.services import subscription_consume, subscription_refund
from tutorcal import events
from tutorcal.errors import DomainError

from ._common import _clear_subscription, _lesson_for_update


@dataclass(frozen=True)
class CancelDecision:
    outcome: str  # CancelOutcome
    late: bool
    hours_before: float
    cutoff_hours: int
    note: str

    @property
    def costs_the_student(self) -> bool:
        return self.outcome == CancelOutcome.CHARGED

    def as_json(self) -> dict:
        return {
            "outcome": self.outcome,
            "late": self.late,
            "hoursBefore": round(self.hours_before, 1),
            "cutoffHours": self.cutoff_hours,
            "note": self.note,
            "costsTheStudent": self.costs_the_student,
        }


def student_cancel_decision(*, teacher: TeacherProfile, lesson: Lesson, now: datetime | None = None) -> CancelDecision:
    """What a student's cancel of `lesson` would do right now (the same answer the cancel then applies)."""
    now = now or timezone.now()
    hours = max((lesson.start_at - now).total_seconds() / 3600, 0.0)
    cutoff = teacher.cancel_cutoff_hours
    when = f"{hours:.0f} h before the start"
    if hours >= cutoff:
        return CancelDecision(CancelOutcome.FREE, False, hours, cutoff, f"cancelled {when} (cutoff {cutoff} h): free")
    policy = teacher.late_cancel_policy
    if policy == LateCancelPolicy.CHARGE:
        note = f"late cancel, {when} (cutoff {cutoff} h): the lesson counts"
        return CancelDecision(CancelOutcome.CHARGED, True, hours, cutoff, note)
    if policy == LateCancelPolicy.CREDIT:
        note = f"late cancel, {when} (cutoff {cutoff} h): a make-up credit"
        return CancelDecision(CancelOutcome.CREDITED, True, hours, cutoff, note)
    return CancelDecision(CancelOutcome.FREE, True, hours, cutoff, f"late cancel, {when}: free by the tutor's policy")


def apply_decision(*, teacher: TeacherProfile, lesson: Lesson, row: LessonStudent, decision: CancelDecision) -> None:
    """Apply `decision` to a locked row inside the caller's transaction (the caller saves nothing else of it)."""
    if decision.outcome == CancelOutcome.CHARGED:
        if not row.paid_from_subscription and row.payment_type in (
            LessonStudent.PaymentType.SUBSCRIPTION,
            LessonStudent.PaymentType.FIXED,
        ):
            package = subscription_consume(teacher_id=teacher.id, student_id=row.student_id)
            if package is not None:
                row.subscription = package
                row.paid_from_subscription = True
                row.payment_type = LessonStudent.PaymentType.SUBSCRIPTION
                row.payment_status = LessonStudent.PaymentStatus.PAID
                row.price_rub = 0
            # else: the row stays unpaid at its price, and DEBT_Q counts charged rows as debt
    else:
        _give_back(row)
        if decision.outcome == CancelOutcome.CREDITED:
            row.credit_granted = credit_grant(
                teacher=teacher, student_id=row.student_id, lesson_id=lesson.id, reason=decision.note
            )
    row.cancel_outcome = decision.outcome
    row.cancel_note = decision.note
    row.save()


def _give_back(row: LessonStudent) -> None:
    """Whatever paid for the row in advance is owed again: a package lesson, a make-up credit."""
    if row.paid_from_subscription and row.subscription_id:
        subscription_refund(subscription_id=row.subscription_id)
        _clear_subscription(row)
    if row.credit_spent_id:
        credits_unspend(credit_ids=[row.credit_spent_id])
        row.credit_spent = None
        row.payment_status = LessonStudent.PaymentStatus.UNPAID


def teacher_cancel_outcomes(*, teacher: TeacherProfile, lesson: Lesson, rows: list[LessonStudent]) -> None:
    """The tutor cancelled `lesson`: make-up credits given back to the rows that spent them, and a new credit
    for every student still on it when the tutor gives credits for their own cancels."""
    credits_unspend(credit_ids=[row.credit_spent_id for row in rows])
    for row in rows:
        if row.attendance == LessonStudent.Attendance.CANCELLED:
            continue  # this student had already cancelled their own seat
        row.credit_spent = None
        if teacher.teacher_cancel_gives_credit and lesson.cancelled_by == Lesson.CancelledBy.TEACHER:
            note = "cancelled by the tutor: a make-up credit"
            row.credit_granted = credit_grant(
                teacher=teacher, student_id=row.student_id, lesson_id=lesson.id, reason=note
            )
            row.cancel_outcome, row.cancel_note = CancelOutcome.CREDITED, note
        else:
            row.cancel_outcome, row.cancel_note = CancelOutcome.FREE, "cancelled by the tutor: free"
    LessonStudent.objects.bulk_update(rows, ["credit_spent", "credit_granted", "cancel_outcome", "cancel_note"])


def cancel_outcome_revert(*, teacher: TeacherProfile, lesson_id, student_id) -> LessonStudent:
    """The tutor takes a policy decision back: a charge is refunded (package lesson given back, or no debt), a
    granted credit is revoked (409 CREDIT_ALREADY_SPENT once it paid a lesson). The row then says so."""
    with transaction.atomic():
        lesson = _lesson_for_update(teacher=teacher, lesson_id=lesson_id)
        row = LessonStudent.objects.select_for_update().filter(lesson=lesson, student_id=student_id).first()
        if row is None:
            raise DomainError("STUDENT_NOT_ON_LESSON")
        if row.cancel_outcome not in (CancelOutcome.CHARGED, CancelOutcome.CREDITED):
            raise DomainError("NOTHING_TO_REVERT")
        if row.cancel_outcome == CancelOutcome.CHARGED:
            _give_back(row)
        elif row.credit_granted_id:
            credit_revoke(credit_id=row.credit_granted_id)
            row.credit_granted = None
        row.cancel_outcome = CancelOutcome.FREE
        row.cancel_note = "reverted by the tutor: free"
        row.save()
        events.announce(
            events.lesson_updated, lesson_ids=[lesson.id], teacher_id=teacher.id, actor="teacher", moved=False
        )
        return row
