"""Parent links only from the family (issue 17 §5). A tutor never sees a student's permanent parent code (P_…);
a tutor of a student can never become that student's parent — not with the P_ code, not with another tutor's
PARENT_ invitation (409 TUTOR_CANNOT_BE_PARENT); relations made that way before are removed by a migration."""

import importlib

import pytest
from django.apps import apps

from accounts.models import Invitation, ParentProfile, ParentStudentRelation, TeacherStudentLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def co_tutor(make_teacher, student):
    """A second tutor of the same student."""
    other = make_teacher("Олег", "Второй")
    TeacherStudentLink.objects.create(teacher=other.profile, student=student.profile)
    return other


def test_no_tutor_screen_shows_the_students_parent_code(api, tutor, student, parent):
    client = api(tutor)
    code = student.profile.parent_invite_code
    sid = student.profile.id
    paths = [
        "/api/teachers/me/students",
        f"/api/teachers/me/students/{sid}",
        f"/api/teachers/me/students/{sid}/parents",
        f"/api/teachers/me/students/{sid}/stats",
        f"/api/teachers/me/students/{sid}/debt",
        "/api/teachers/me",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert code not in response.content.decode(), path


def test_a_co_tutor_redeeming_the_parent_code_is_409_and_becomes_no_parent(api, student, co_tutor):
    response = api(co_tutor).post(
        "/api/auth/join-web", {"referralCode": student.profile.parent_invite_code}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["message"] == "TUTOR_CANNOT_BE_PARENT"
    assert not ParentProfile.objects.filter(user=co_tutor.user).exists()
    assert not ParentStudentRelation.objects.filter(parent__user=co_tutor.user).exists()


def test_a_co_tutor_accepting_a_parent_invitation_is_409_and_leaves_it_unused(api, tutor, student, co_tutor, init_data):
    invitation = api(tutor).post(f"/api/teachers/me/students/{student.profile.id}/parents/invitations")
    assert invitation.status_code == 201
    token = Invitation.objects.get(type=Invitation.Type.PARENT).token
    response = api().post(
        "/api/auth/accept-invitation",
        {"invitationToken": token, "initData": init_data(id=co_tutor.user.telegram_id)},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["message"] == "TUTOR_CANNOT_BE_PARENT"
    assert Invitation.objects.get(token=token).used_at is None
    assert not ParentStudentRelation.objects.filter(parent__user=co_tutor.user).exists()


def test_the_family_still_joins_with_the_students_code(api, tutor, student, co_tutor, init_data):
    response = api().post(
        "/api/auth/join",
        {"initData": init_data(id=4242, first_name="Мама"), "referralCode": student.profile.parent_invite_code},
        format="json",
    )
    assert response.status_code == 200, response.json()
    teachers = set(
        ParentStudentRelation.objects.filter(parent__user__telegram_id=4242).values_list("teacher", flat=True)
    )
    assert teachers == {tutor.profile.id, co_tutor.profile.id}


def test_the_migration_removes_relations_that_made_a_tutor_a_parent(student, tutor, parent, co_tutor):
    snooper = ParentProfile.objects.create(user=co_tutor.user)
    ParentStudentRelation.objects.create(parent=snooper, student=student.profile, teacher=tutor.profile)
    migration = importlib.import_module("accounts.migrations.0007_remove_tutor_parent_relations")
    migration.remove_tutor_parent_relations(apps, None)
    assert not ParentStudentRelation.objects.filter(parent=snooper).exists()
    assert ParentStudentRelation.objects.filter(parent=parent.profile, student=student.profile).exists()
