"""The private ICS feed of every tutor, student and parent (a calendar app subscribes to its URL).

* Token: derived from a per-(user, role) nonce with a server key (salted HMAC of SECRET_KEY), so the Mini App
  can show the same URL again; the database keeps only SHA-256(token) for the lookup. Rotating replaces the
  nonce: the old URL answers 404 at once. A deleted or deactivated account's feed answers 404.
* Content: lessons from 30 days back to 180 days ahead, in the reader's shape — a tutor sees their students,
  a student only their own participation and their tutor, a parent their children's lessons with the tutors
  they are related through. Cancelled lessons stay as STATUS:CANCELLED so calendars remove them visibly.
* Stable UIDs, DTSTAMP/LAST-MODIFIED = the lesson's last change and SEQUENCE = seconds between creation and
  the last change (it grows with every change), so the body is deterministic and its hash is a strong ETag.
* Queries: a fixed number per role whatever the number of lessons (select_related + one prefetch).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from icalendar import Calendar, Event

from accounts.models import CalendarFeed, ParentStudentRelation, User
from accounts.selectors import profile_of
from tutorcal.errors import DomainError

from ..models import Lesson, LessonStudent

PAST_DAYS = 30
FUTURE_DAYS = 180
PRODID = "-//Tutor Calendar//tutorcal//RU"
UID_DOMAIN = "tutorcal"
DEFAULT_TITLE = "Занятие"


def _token(feed_user_id, role: str, nonce: str) -> str:
    mac = salted_hmac("tutorcal.calendar-feed", f"{feed_user_id}:{role}:{nonce}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_token(*, user: User, role: str) -> str:
    """The user's feed token for `role`, created on first use."""
    feed = CalendarFeed.objects.filter(user=user, role=role).first()
    if feed is None:
        nonce = secrets.token_urlsafe(24)
        feed, _ = CalendarFeed.objects.get_or_create(
            user=user, role=role, defaults={"nonce": nonce, "token_hash": token_hash(_token(user.id, role, nonce))}
        )
    return _token(user.id, role, feed.nonce)


def feed_url(*, user: User, role: str, base_url: str | None = None) -> str:
    """The absolute feed URL outside a request (the bot): PUBLIC_API_URL, else WEBAPP_URL, as the host."""
    base = (base_url or settings.PUBLIC_API_URL or settings.WEBAPP_URL).rstrip("/")
    return f"{base}/api/calendar/{feed_token(user=user, role=role)}.ics"


def feed_rotate(*, user: User, role: str) -> str:
    nonce = secrets.token_urlsafe(24)
    token = _token(user.id, role, nonce)
    CalendarFeed.objects.update_or_create(
        user=user,
        role=role,
        defaults={"nonce": nonce, "token_hash": token_hash(token), "rotated_at": timezone.now()},
    )
    return token


@dataclass
class FeedOwner:
    user: User
    role: str
    profile: object


def feed_owner(token: str) -> FeedOwner:
    """Whose feed `token` opens, or 404 FEED_NOT_FOUND (unknown, rotated, deleted or inactive account)."""
    if not token or len(token) > 100:
        raise DomainError("FEED_NOT_FOUND")
    feed = (
        CalendarFeed.objects.select_related(
            "user", "user__teacher_profile", "user__student_profile", "user__parent_profile"
        )
        .filter(token_hash=token_hash(token))
        .first()
    )
    if feed is None or feed.user.deleted_at is not None or not feed.user.is_active:
        raise DomainError("FEED_NOT_FOUND")
    # The lookup is by hash; re-deriving from the nonce and comparing in constant time also proves the token
    # belongs to the current nonce (defence in depth if a stale hash row were ever left behind).
    if not secrets.compare_digest(_token(feed.user.id, feed.role, feed.nonce), token):
        raise DomainError("FEED_NOT_FOUND")
    profile = profile_of(feed.user, feed.role)
    if profile is None:
        raise DomainError("FEED_NOT_FOUND")
    return FeedOwner(feed.user, feed.role, profile)


# ---------------------------------------------------------------------------------------------- content


@dataclass
class FeedItem:
    uid: str
    lesson: Lesson
    summary: str
    description: str
    cancelled: bool


def _name(user: User) -> str:
    return user.full_name or user.username or "Ученик"


def _window(now: datetime) -> tuple[datetime, datetime]:
    return now - timedelta(days=PAST_DAYS), now + timedelta(days=FUTURE_DAYS)


def _lesson_text(lesson: Lesson) -> list[str]:
    lines = []
    if lesson.meeting_url:
        lines.append(f"Ссылка на занятие: {lesson.meeting_url}")
    return lines


def teacher_items(profile, now: datetime) -> list[FeedItem]:
    start, end = _window(now)
    rows = LessonStudent.objects.select_related("student__user").order_by("created_at")
    lessons = (
        Lesson.objects.filter(teacher_id=profile.id, start_at__gte=start, start_at__lte=end)
        .select_related("subject")
        .prefetch_related(Prefetch("lesson_students", queryset=rows))
        .order_by("start_at", "id")
    )
    items = []
    for lesson in lessons:
        names = [_name(row.student.user) for row in lesson.lesson_students.all()]
        subject = lesson.subject.name if lesson.subject else DEFAULT_TITLE
        who = ", ".join(names[:3]) + (f" и ещё {len(names) - 3}" if len(names) > 3 else "")
        summary = f"{subject} — {who}" if who else subject
        description = [f"Ученики: {', '.join(names)}"] if names else []
        items.append(
            FeedItem(
                uid=f"{lesson.id}@{UID_DOMAIN}",
                lesson=lesson,
                summary=summary,
                description="\n".join(description + _lesson_text(lesson)),
                cancelled=lesson.status == Lesson.Status.CANCELLED,
            )
        )
    return items


def _row_items(rows, *, for_parent: bool) -> list[FeedItem]:
    items = []
    for row in rows:
        lesson = row.lesson
        subject = lesson.subject.name if lesson.subject else DEFAULT_TITLE
        tutor = lesson.teacher.display_name
        summary = f"{subject} — {tutor}"
        uid = f"{lesson.id}@{UID_DOMAIN}"
        if for_parent:  # two children on one group lesson are two events
            summary = f"{_name(row.student.user)}: {summary}"
            uid = f"{lesson.id}-{row.student_id}@{UID_DOMAIN}"
        items.append(
            FeedItem(
                uid=uid,
                lesson=lesson,
                summary=summary,
                description="\n".join([f"Преподаватель: {tutor}", *_lesson_text(lesson)]),
                cancelled=lesson.status == Lesson.Status.CANCELLED
                or row.attendance == LessonStudent.Attendance.CANCELLED,
            )
        )
    return items


def _rows(now: datetime):
    start, end = _window(now)
    return (
        LessonStudent.objects.filter(lesson__start_at__gte=start, lesson__start_at__lte=end)
        .select_related("lesson__subject", "lesson__teacher")
        .order_by("lesson__start_at", "lesson_id", "student_id")
    )


def student_items(profile, now: datetime) -> list[FeedItem]:
    return _row_items(_rows(now).filter(student_id=profile.id), for_parent=False)


def parent_items(profile, now: datetime) -> list[FeedItem]:
    pairs = list(ParentStudentRelation.objects.filter(parent_id=profile.id).values_list("student_id", "teacher_id"))
    if not pairs:
        return []
    match = Q()
    for student_id, teacher_id in pairs:
        match |= Q(student_id=student_id, lesson__teacher_id=teacher_id)
    return _row_items(_rows(now).filter(match).select_related("student__user"), for_parent=True)


ITEMS = {"teacher": teacher_items, "student": student_items, "parent": parent_items}


def render(owner: FeedOwner, *, now: datetime | None = None) -> tuple[bytes, datetime | None]:
    """(ICS body, the newest change among its lessons)."""
    now = now or timezone.now()
    items = ITEMS[owner.role](owner.profile, now)
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("X-WR-CALNAME", "Tutor Calendar")
    calendar.add("X-WR-TIMEZONE", owner.user.timezone or "Europe/Moscow")
    calendar.add("REFRESH-INTERVAL", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", "PT1H")
    newest = None
    for item in items:
        lesson = item.lesson
        changed = max(lesson.updated_at, lesson.created_at)
        newest = changed if newest is None or changed > newest else newest
        event = Event()
        event.add("UID", item.uid)
        event.add("DTSTAMP", changed)
        event.add("CREATED", lesson.created_at)
        event.add("LAST-MODIFIED", changed)
        event.add("SEQUENCE", max(0, int((changed - lesson.created_at).total_seconds())))
        event.add("DTSTART", lesson.start_at)
        event.add("DTEND", lesson.start_at + timedelta(minutes=lesson.duration_minutes))
        event.add("SUMMARY", item.summary)
        event.add("STATUS", "CANCELLED" if item.cancelled else "CONFIRMED")
        if item.description:
            event.add("DESCRIPTION", item.description)
        if lesson.meeting_url:
            event.add("LOCATION", lesson.meeting_url)
            event.add("URL", lesson.meeting_url)
        calendar.add_component(event)
    return calendar.to_ical(), newest
