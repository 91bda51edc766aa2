"""Reads for the realtime app: who a socket is, who its contacts are, who may see a lesson, presence state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef

from accounts.models import ParentStudentRelation, TeacherStudentLink, User
from accounts.selectors import profile_of, users_with_profiles
from accounts.tokens import session_is_live
from lessons.models import Lesson, LessonStudent

from . import presence
from .tickets import Ticket

ROLES = ("teacher", "student", "parent")
Key = tuple[str, str]


def group_name(role: str, profile_id) -> str:
    """The channel-layer group every socket of one profile joins."""
    return f"rt.{role}.{profile_id}"


@dataclass
class Identity:
    user_id: str
    role: str
    profile_id: str
    name: str
    contacts: dict[Key, str] = field(default_factory=dict)  # (role, profileId) -> display name
    session: str | None = None  # the login session (JWT sid); logout closes its sockets

    @property
    def key(self) -> Key:
        return (self.role, self.profile_id)


def display_name(user: User) -> str:
    return user.full_name or user.username or "—"


def socket_identity(ticket: Ticket | None) -> Identity | None:
    """The live user (not soft-deleted, active) with the ticket's role profile, plus their contacts."""
    if ticket is None or ticket.role not in ROLES:
        return None
    if ticket.session and not session_is_live(ticket.session):
        return None  # issued just before a logout
    try:
        user = users_with_profiles().get(pk=uuid.UUID(ticket.user_id), is_active=True, deleted_at__isnull=True)
    except (User.DoesNotExist, ValueError, TypeError):
        return None
    profile = profile_of(user, ticket.role)
    if profile is None or str(profile.id) != ticket.profile_id:
        return None
    name = profile.display_name if ticket.role == "teacher" and profile.display_name else display_name(user)
    return Identity(
        user_id=str(user.pk),
        role=ticket.role,
        profile_id=str(profile.id),
        name=name,
        contacts=contacts_of(ticket.role, str(profile.id)),
        session=ticket.session,
    )


def user_is_live(user_id: str, session: str | None = None) -> bool:
    """The user is still active and not deleted, and their login session was not ended by a logout."""
    if session and not session_is_live(session):
        return False
    return User.objects.filter(pk=user_id, is_active=True, deleted_at__isnull=True).exists()


def session_group(session: str) -> str:
    """The channel-layer group of every socket opened under one login session."""
    return f"rt.session.{session}"


def contacts_of(role: str, profile_id: str) -> dict[Key, str]:
    """Whose presence this profile sees (one query): a tutor sees their active students, a student their
    tutors. Parents follow lessons only, they have no presence contacts."""
    links = TeacherStudentLink.objects.filter(archived_at__isnull=True)
    if role == "teacher":
        rows = links.filter(teacher_id=profile_id, student__user__deleted_at__isnull=True).values_list(
            "student_id", "student__user__first_name", "student__user__last_name", "student__user__username"
        )
        return {
            ("student", str(pk)): " ".join(p for p in (first, last) if p) or u or "—" for pk, first, last, u in rows
        }
    if role == "student":
        rows = links.filter(student_id=profile_id, teacher__user__deleted_at__isnull=True).values_list(
            "teacher_id", "teacher__display_name", "teacher__user__first_name"
        )
        return {("teacher", str(pk)): d or f or "Учитель" for pk, d, f in rows}
    return {}


@dataclass(frozen=True)
class Audience:
    lesson_id: str
    teacher_id: str
    student_ids: tuple[str, ...]
    parent_ids: tuple[str, ...]

    def keys(self) -> list[Key]:
        return (
            [("teacher", self.teacher_id)]
            + [("student", s) for s in self.student_ids]
            + [("parent", p) for p in self.parent_ids]
        )

    def allows(self, role: str, profile_id: str) -> bool:
        return (role, profile_id) in set(self.keys())


def lesson_audience(lesson_id) -> Audience | None:
    """Everyone who may see one lesson (three queries): its tutor, its students, their parents via that tutor."""
    try:
        lesson_id = uuid.UUID(str(lesson_id))
    except (ValueError, TypeError, AttributeError):
        return None
    teacher_id = Lesson.objects.filter(pk=lesson_id).values_list("teacher_id", flat=True).first()
    if teacher_id is None:
        return None
    rows = LessonStudent.objects.filter(lesson_id=lesson_id).values_list("student_id", flat=True)
    student_ids = [str(s) for s in rows]
    active_link = TeacherStudentLink.objects.filter(
        teacher_id=OuterRef("teacher_id"), student_id=OuterRef("student_id"), archived_at__isnull=True
    )
    parent_ids = (
        ParentStudentRelation.objects.filter(Exists(active_link), teacher_id=teacher_id, student_id__in=student_ids)
        .values_list("parent_id", flat=True)
        .distinct()
        if student_ids
        else []
    )
    return Audience(str(lesson_id), str(teacher_id), tuple(student_ids), tuple(str(p) for p in parent_ids))


def visible_viewers(role: str, profile_id: str, viewers: list[dict]) -> list[dict]:
    """What one recipient may see of a lesson's viewers: a tutor sees everyone on their lesson; a student or a
    parent sees the tutor and themselves, never other students or parents."""
    if role == "teacher":
        return viewers
    return [v for v in viewers if v["role"] == "teacher" or (v["role"] == role and v["profileId"] == profile_id)]


def presence_state(identity: Identity) -> dict:
    """The presence snapshot a socket gets on connect and `GET /api/realtime/presence` returns:
    {contacts: [{role, profileId, name, online}], viewing: [{lessonId, viewers: [{role, profileId, name}]}]}.
    One round trip to the presence store per calendar, at most one query for lesson access."""
    online = presence.online_keys(identity.contacts)
    contacts = [
        {"role": role, "profileId": pid, "name": name, "online": (role, pid) in online}
        for (role, pid), name in sorted(identity.contacts.items(), key=lambda kv: (kv[1], kv[0][1]))
    ]
    return {"contacts": contacts, "viewing": viewing_state(identity)}


def viewing_state(identity: Identity) -> list[dict]:
    role, pid = identity.role, identity.profile_id
    if role == "teacher":
        by_lesson = presence.viewers(pid)
    else:
        if role == "student":
            teacher_ids = [p for r, p in identity.contacts if r == "teacher"]
            own_rows = LessonStudent.objects.filter(student_id=pid)
        else:
            relations = ParentStudentRelation.objects.filter(parent_id=pid).values_list("teacher_id", "student_id")
            pairs = list(relations)
            teacher_ids = sorted({str(t) for t, _ in pairs})
            own_rows = LessonStudent.objects.filter(student_id__in=[s for _, s in pairs])
        by_lesson = {}
        for teacher_id in teacher_ids:
            by_lesson.update(presence.viewers(teacher_id))
        if by_lesson:
            visible = own_rows.filter(lesson_id__in=list(by_lesson)).values_list("lesson_id", flat=True)
            allowed = {str(i) for i in visible}
            by_lesson = {k: v for k, v in by_lesson.items() if k in allowed}
    out = []
    for lesson_id, viewers in sorted(by_lesson.items()):
        visible = visible_viewers(role, pid, viewers)
        if visible:
            out.append({"lessonId": lesson_id, "viewers": visible})
    return out
