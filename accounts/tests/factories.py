"""factory_boy builders for accounts' models (users, profiles, links, parent relations). The named personas
(tutor, student, parent, strangers) stay fixtures in the root conftest.py; these build the extra people a test
or a bench script needs."""

import factory

from accounts.models import (
    ParentProfile,
    ParentStudentRelation,
    StudentProfile,
    TeacherProfile,
    TeacherStudentLink,
    User,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    telegram_id = factory.Sequence(lambda n: 5_000_000 + n)
    first_name = factory.Sequence(lambda n: f"User{n}")
    last_name = ""
    username = factory.Sequence(lambda n: f"user{n}")
    timezone = "Europe/Moscow"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, **kwargs)


class TeacherProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeacherProfile

    user = factory.SubFactory(UserFactory)
    display_name = factory.LazyAttribute(lambda o: o.user.full_name or "Учитель")


class StudentProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudentProfile

    user = factory.SubFactory(UserFactory)


class ParentProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ParentProfile

    user = factory.SubFactory(UserFactory)


class TeacherStudentLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeacherStudentLink

    teacher = factory.SubFactory(TeacherProfileFactory)
    student = factory.SubFactory(StudentProfileFactory)


class ParentStudentRelationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ParentStudentRelation

    parent = factory.SubFactory(ParentProfileFactory)
    student = factory.SubFactory(StudentProfileFactory)
    teacher = factory.SubFactory(TeacherProfileFactory)
