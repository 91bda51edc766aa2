"""The money loop in the chat (issue 16, item 5): the balance after a marked lesson, the "package ending"
nudge, the seat won from a waitlist, and the tutor's morning digest. Every message goes through the outbox,
one per event per recipient (dedupe keys), behind its own notification toggle; each producer runs a constant
number of queries whatever the number of students.

Decisions where the issue is silent:
* The balance message goes once per student per lesson, when that student's row is first marked (a re-mark
  does not send a second one); rows not marked yet (a group marked tap by tap) wait for their own tap.
* "Package ending" goes once per package per recipient, when a lesson-count package reaches 1 left.
* The digest goes at the first worker tick between 08:00 and 12:00 in the tutor's zone (a worker that was down
  at 8 still sends it in the morning, never in the evening), once per tutor per local day."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from accounts.models import TeacherProfile
from lessons.models import CancelOutcome, Lesson, LessonStudent

from .. import selectors, texts, texts_money
from ..models import EventType, Outbox
from .outbox import Message, dedupe_key, outbox_put

logger = logging.getLogger(__name__)

DIGEST_HOUR, DIGEST_LAST_HOUR = 8, 12


def _debts_by_student(teacher_id, student_ids) -> dict:
    """{student_id: (amount, count)} owed to one tutor, for many students in ONE query."""
    from lessons.selectors.stats import DEBT_Q, teacher_rows

    rows = (
        teacher_rows(teacher_id)
        .filter(DEBT_Q, student_id__in=set(student_ids))
        .values("student_id")
        .annotate(count=Count("id"), amount=Sum("price_rub"))
    )
    return {r["student_id"]: (r["amount"] or 0, r["count"]) for r in rows}


def notify_lesson_balances(*, lesson_ids) -> int:
    """A tutor marked a lesson: each marked student (and each parent whose relation allows it) hears the new
    balance with this tutor; a package down to 1 lesson nudges student, parents and tutor."""
    from subscriptions.selectors import remaining_lessons, subscriptions_by_student

    messages = []
    for lesson in selectors.lessons_with_people().filter(id__in=list(lesson_ids), status=Lesson.Status.DONE):
        # Marked rows, and rows a late cancel charged (their package or debt moved too).
        marked = [
            r
            for r in lesson.lesson_students.all()
            if r.attendance in (LessonStudent.Attendance.ATTENDED, LessonStudent.Attendance.MISSED)
            or r.cancel_outcome == CancelOutcome.CHARGED
        ]
        if not marked:
            continue
        ids = [r.student_id for r in marked]
        subs = subscriptions_by_student(lesson.teacher_id, ids)
        debts = _debts_by_student(lesson.teacher_id, ids)
        parents = selectors.parent_relations((lesson.teacher_id, sid) for sid in ids)
        teacher_user = lesson.teacher.user
        item = selectors.lesson_dict(lesson)
        for r in marked:
            sub = subs.get(r.student_id)
            left = remaining_lessons(sub) if sub is not None else None
            amount, count = debts.get(r.student_id, (0, 0))
            line = texts_money.balance_line(left, amount, count)
            result = texts.row_result(r.attendance, r.payment_status, r.paid_from_subscription) or ""
            name = selectors.display_name(r.student.user)
            recipients = [(r.student.user, None)] + [
                (p, name) for p in parents.get((lesson.teacher_id, r.student_id), [])
            ]
            for user, child in recipients:
                key = dedupe_key(EventType.LESSON_BALANCE, user.pk, lesson.id, lesson.start_at, r.student_id)
                messages.append(
                    Message(
                        event_type=EventType.LESSON_BALANCE,
                        recipient=user,
                        key=key,
                        text=texts_money.balance(item, user.timezone, result, line, child),
                        lesson_id=lesson.id,
                        lesson_start=lesson.start_at,
                    )
                )
            if left == 1 and sub is not None:
                teacher = selectors.teacher_name(lesson.teacher)
                for user, child, for_teacher in [*((u, c, False) for u, c in recipients), (teacher_user, None, True)]:
                    messages.append(
                        Message(
                            event_type=EventType.PACKAGE_ENDING,
                            recipient=user,
                            key=dedupe_key(EventType.PACKAGE_ENDING, user.pk, None, None, sub.pk),
                            text=texts_money.package_ending(teacher, name, for_teacher, child),
                        )
                    )
    return outbox_put(messages)


def notify_waitlist_promoted(*, lesson_id, student_ids) -> int:
    """Students who got a freed seat (and their parents) are told they are in."""
    lesson = selectors.lessons_with_people().filter(pk=lesson_id).first()
    if lesson is None or not student_ids:
        return 0
    wanted = set(student_ids)
    rows = [r for r in lesson.lesson_students.all() if r.student_id in wanted]
    parents = selectors.parent_relations((lesson.teacher_id, r.student_id) for r in rows)
    item = selectors.lesson_dict(lesson)
    messages = []
    for r in rows:
        name = selectors.display_name(r.student.user)
        for user, child in [(r.student.user, None)] + [
            (p, name) for p in parents.get((lesson.teacher_id, r.student_id), [])
        ]:
            messages.append(
                Message(
                    event_type=EventType.WAITLIST_PROMOTED,
                    recipient=user,
                    key=dedupe_key(EventType.WAITLIST_PROMOTED, user.pk, lesson.id, lesson.start_at, r.student_id),
                    text=texts_money.waitlist_seat(item, user.timezone, child),
                    lesson_id=lesson.id,
                    lesson_start=lesson.start_at,
                )
            )
    # The generic "new lesson" message queued for them a moment ago (lesson_students_added) says less: skip it.
    Outbox.objects.filter(
        event_type=EventType.LESSON_CREATED,
        lesson_id=lesson.id,
        recipient_id__in={m.recipient.pk for m in messages},
        status=Outbox.Status.PENDING,
    ).update(status=Outbox.Status.SKIPPED, last_error="superseded by waitlist_promoted")
    return outbox_put(messages)


def _local_day(now: datetime, tz: str) -> tuple[datetime, datetime] | None:
    """Today's [start, end) in `tz` when it is digest time there, else None."""
    local = texts.local(now, tz)
    if not DIGEST_HOUR <= local.hour < DIGEST_LAST_HOUR:
        return None
    start = datetime(local.year, local.month, local.day, tzinfo=local.tzinfo)
    return start, start + timedelta(days=1)


def digests_enqueue(*, now: datetime | None = None) -> int:
    """Each tutor's morning digest (their 08:00, their zone): today's lessons, who confirmed, who owes.
    Deduped per tutor per local day; five queries whatever the number of tutors."""
    from lessons.selectors.stats import DEBT_Q

    now = now or timezone.now()
    teachers = TeacherProfile.objects.select_related("user").filter(
        user__telegram_id__isnull=False, user__deleted_at__isnull=True
    )
    due = {}
    for t in teachers:
        day = _local_day(now, t.user.timezone)
        if day is not None:
            key = dedupe_key(EventType.MORNING_DIGEST, t.user.pk, None, None, day[0].date().isoformat())
            due[key] = (t, day)
    if not due:
        return 0
    for key in Outbox.objects.filter(dedupe_key__in=list(due)).values_list("dedupe_key", flat=True):
        due.pop(key, None)
    if not due:
        return 0
    ids = {t.pk for t, _ in due.values()}
    lo = min(d[0] for _, d in due.values())
    hi = max(d[1] for _, d in due.values())
    lessons_by_teacher: dict = {}
    lessons = (
        selectors.lessons_with_people()
        .filter(teacher_id__in=ids, start_at__gte=lo, start_at__lt=hi, status=Lesson.Status.PLANNED)
        .order_by("start_at")
    )
    for lesson in lessons:
        lessons_by_teacher.setdefault(lesson.teacher_id, []).append(lesson)
    debts: dict = {}
    rows = (
        LessonStudent.objects.filter(DEBT_Q, lesson__teacher_id__in=ids)
        .values("lesson__teacher_id", "student__user__first_name", "student__user__last_name", "student_id")
        .annotate(count=Count("id"), amount=Sum("price_rub"))
        .order_by("-amount")
    )
    for r in rows:
        name = f"{r['student__user__first_name']} {r['student__user__last_name']}".strip() or "Ученик"
        debts.setdefault(r["lesson__teacher_id"], []).append((name, r["amount"] or 0, r["count"]))
    messages = []
    for key, (t, (start, end)) in due.items():
        today = [
            (
                lesson.start_at,
                lesson.subject.name if lesson.subject else None,
                [
                    (selectors.display_name(r.student.user), r.confirmed_at is not None)
                    for r in lesson.lesson_students.all()
                    if r.attendance != LessonStudent.Attendance.CANCELLED
                ],
            )
            for lesson in lessons_by_teacher.get(t.pk, [])
            if start <= lesson.start_at < end
        ]
        messages.append(
            Message(
                event_type=EventType.MORNING_DIGEST,
                recipient=t.user,
                key=key,
                text=texts_money.morning_digest(start, t.user.timezone, today, debts.get(t.pk, [])[:10]),
                markup=texts.webapp_markup(texts.BTN_SCHEDULE),
            )
        )
    return outbox_put(messages)
