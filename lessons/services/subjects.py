"""Subject writes: create (with a unique transliterated code), update, archive-or-delete, restore."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import TeacherProfile
from lessons.models import Lesson, Subject
from tutorcal.errors import DomainError

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ы": "y", "э": "e", "ю": "yu",
    "я": "ya",
}  # fmt: skip


def subject_code_from_name(name: str) -> str:
    """Reference §2.2: lower-case, transliterate Cyrillic (ъ/ь → '_'), non [a-z0-9] → '_', collapse, trim, 50."""
    text = "".join(_TRANSLIT.get(ch, ch) for ch in name.lower())
    text = re.sub(r"[^a-z0-9]", "_", text)
    text = re.sub(r"_+", "_", text).strip("_")
    return text[:50]


def _unique_code(*, teacher: TeacherProfile, base: str) -> str:
    base = base or "subject"
    taken = set(Subject.objects.filter(teacher_id=teacher.id, code__startswith=base).values_list("code", flat=True))
    if base not in taken:
        return base
    n = 2
    while True:
        suffix = f"_{n}"
        candidate = base[: 50 - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


def subject_create(*, teacher: TeacherProfile, name: str, color_hex: str, code: str | None = None) -> Subject:
    with transaction.atomic():
        if Subject.objects.filter(teacher_id=teacher.id, name=name).exists():
            raise DomainError("SUBJECT_NAME_EXISTS")
        if code:
            if Subject.objects.filter(teacher_id=teacher.id, code=code).exists():
                raise DomainError("SUBJECT_CODE_EXISTS")
        else:
            code = _unique_code(teacher=teacher, base=subject_code_from_name(name))
        try:
            with transaction.atomic():
                return Subject.objects.create(teacher=teacher, name=name, code=code, color_hex=color_hex)
        except IntegrityError:  # a concurrent double submit lost the race
            raise DomainError("SUBJECT_NAME_EXISTS") from None


def _subject_of(*, teacher: TeacherProfile, subject_id) -> Subject:
    subject = Subject.objects.select_for_update().filter(id=subject_id, teacher_id=teacher.id).first()
    if subject is None:
        raise DomainError("SUBJECT_NOT_FOUND")
    return subject


def subject_update(*, teacher: TeacherProfile, subject_id, data: dict) -> Subject:
    """Only `name` and `color_hex` are writable (no mass assignment, §7.4)."""
    with transaction.atomic():
        subject = _subject_of(teacher=teacher, subject_id=subject_id)
        name = data.get("name")
        if name is not None and name != subject.name:
            if Subject.objects.filter(teacher_id=teacher.id, name=name).exclude(id=subject.id).exists():
                raise DomainError("SUBJECT_NAME_EXISTS")
            subject.name = name
        if data.get("color_hex") is not None:
            subject.color_hex = data["color_hex"]
        try:
            with transaction.atomic():
                subject.save()
        except IntegrityError:
            raise DomainError("SUBJECT_NAME_EXISTS") from None
        return subject


def subject_delete(*, teacher: TeacherProfile, subject_id) -> dict:
    """Archive when any lesson references the subject, otherwise delete it (series lose the reference)."""
    with transaction.atomic():
        subject = _subject_of(teacher=teacher, subject_id=subject_id)
        count = Lesson.objects.filter(subject_id=subject.id).count()
        if count:
            if subject.archived_at is None:
                subject.archived_at = timezone.now()
                subject.save(update_fields=["archived_at", "updated_at"])
            return {"success": True, "action": "archived", "lessonsCount": count}
        subject.delete()
        return {"success": True, "action": "deleted"}


def subject_restore(*, teacher: TeacherProfile, subject_id) -> Subject:
    with transaction.atomic():
        subject = _subject_of(teacher=teacher, subject_id=subject_id)
        if subject.archived_at is None:
            raise DomainError("SUBJECT_NOT_ARCHIVED")
        subject.archived_at = None
        subject.save(update_fields=["archived_at", "updated_at"])
        return subject
