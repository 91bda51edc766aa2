"""manage.py purge_archived: hard-deletes expired archives and accounts, idempotent and concurrency-safe."""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import ParentStudentRelation, TeacherStudentLink, User
from lessons.models import Lesson
from lessons.tests.factories import LessonFactory


def _purge() -> str:
    out = StringIO()
    call_command("purge_archived", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_purges_links_archived_more_than_seven_days_ago_with_their_parent_relations(
    tutor, student, parent, make_student
):
    recent = make_student("Свежий", teacher=tutor)
    TeacherStudentLink.objects.filter(student=student.profile).update(archived_at=timezone.now() - timedelta(days=8))
    TeacherStudentLink.objects.filter(student=recent.profile).update(archived_at=timezone.now() - timedelta(days=6))
    kept_lesson = LessonFactory(
        teacher=tutor.profile, students=[student.profile], days=-10, status="done", attendance="attended"
    )
    assert "links=1" in _purge()
    assert not TeacherStudentLink.objects.filter(student=student.profile).exists()
    assert not ParentStudentRelation.objects.filter(student=student.profile).exists()
    assert TeacherStudentLink.objects.filter(student=recent.profile).exists()
    assert Lesson.objects.filter(id=kept_lesson.id).exists()  # history stays with the teacher
    assert "links=0 users=0" in _purge()  # repeatable


@pytest.mark.django_db
def test_it_purges_users_soft_deleted_more_than_seven_days_ago(tutor, student, stranger_student):
    User.objects.filter(pk=student.user.pk).update(deleted_at=timezone.now() - timedelta(days=8))
    User.objects.filter(pk=stranger_student.user.pk).update(deleted_at=timezone.now() - timedelta(days=2))
    assert "users=1" in _purge()
    assert not User.objects.filter(pk=student.user.pk).exists()
    assert User.objects.filter(pk=stranger_student.user.pk).exists()
    assert not TeacherStudentLink.objects.filter(teacher=tutor.profile).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_purges_delete_each_row_once_without_errors(make_teacher, make_student):
    teacher = make_teacher("Пурга")
    old = timezone.now() - timedelta(days=9)
    for i in range(40):
        make_student(f"S{i}", teacher=teacher)
    TeacherStudentLink.objects.filter(teacher=teacher.profile).update(archived_at=old)
    errors, results = [], []

    def run():
        try:
            from lessons.roster.services.links import links_purge_archived

            results.append(links_purge_archived())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(results) == 40
    assert not TeacherStudentLink.objects.filter(teacher=teacher.profile).exists()
