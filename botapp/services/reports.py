"""The tutor's lesson report -> the lesson's students who keep `enableLessonReports` on, and their parents
whose relation with that tutor allows notifications (the setting was stored but never read before)."""

from __future__ import annotations

from accounts.models import StudentNotificationSettings

from .. import selectors, texts
from ..models import EventType
from .notify import _audiences
from .outbox import Message, dedupe_key, outbox_put


def notify_lesson_report(*, lesson_id) -> int:
    lesson = selectors.lessons_with_people().filter(id=lesson_id).first()
    if lesson is None or not lesson.lesson_report:
        return 0
    student_users = {row.student.user_id for row in lesson.lesson_students.all()}
    # Students without a settings row have the default (reports on).
    muted = set(
        StudentNotificationSettings.objects.filter(
            student__user_id__in=student_users, enable_lesson_reports=False
        ).values_list("student__user_id", flat=True)
    )
    messages = []
    for aud in _audiences([lesson], student_ids=None, future_only=False):
        is_parent = aud.user.pk not in student_users
        if not is_parent and aud.user.pk in muted:
            continue
        item = aud.lessons[0]
        child = aud.child if is_parent else None
        extra = [aud.child_id] if is_parent else []
        messages.append(
            Message(
                event_type=EventType.LESSON_REPORT,
                recipient=aud.user,
                key=dedupe_key(EventType.LESSON_REPORT, aud.user.pk, item["id"], None, *extra),
                text=texts.lesson_report(item, lesson.lesson_report, aud.user.timezone, child),
                markup=texts.webapp_markup(texts.BTN_SCHEDULE),
                lesson_id=item["id"],
                lesson_start=item["start"],
            )
        )
    return outbox_put(messages)
