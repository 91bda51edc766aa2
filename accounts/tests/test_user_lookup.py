"""The signed-in request's user lookup (accounts.selectors.user_with_profiles) gives exactly what the ORM's
select_related query gives, in one query."""

import uuid

import pytest

from accounts.models import User
from accounts.selectors import profile_of, user_with_profiles, users_with_profiles
from accounts.tests.factories import ParentProfileFactory, StudentProfileFactory, TeacherProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ("teacher", "student", "parent")


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_the_lookup_matches_the_orm_for_a_user_with_every_profile(django_assert_num_queries):
    user = UserFactory(first_name="Анна", email="anna@example.com")
    TeacherProfileFactory(user=user)
    StudentProfileFactory(user=user, custom_fields={"класс": 9, "tags": ["a"]})
    ParentProfileFactory(user=user)
    expected = users_with_profiles().get(pk=user.pk)
    with django_assert_num_queries(1):
        found = user_with_profiles(user.pk)
        profiles = {role: profile_of(found, role) for role in ROLES}  # no query: they came with the user
    assert _fields(found) == _fields(expected)
    for role in ROLES:
        assert _fields(profiles[role]) == _fields(profile_of(expected, role))
        assert profiles[role].user is found
    assert profiles["student"].custom_fields == {"класс": 9, "tags": ["a"]}


def test_the_lookup_says_a_missing_profile_does_not_exist_without_a_query(django_assert_num_queries):
    user = UserFactory()
    TeacherProfileFactory(user=user)
    found = user_with_profiles(user.pk)
    with django_assert_num_queries(0):
        assert profile_of(found, "student") is None and profile_of(found, "parent") is None
        with pytest.raises(User.student_profile.RelatedObjectDoesNotExist):
            _ = found.student_profile
    assert profile_of(found, "teacher") is not None


def test_an_unknown_user_is_none():
    assert user_with_profiles(uuid.uuid4()) is None
