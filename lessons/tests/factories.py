"""factory_boy builders for lessons' models (ORM only, no HTTP).

    LessonFactory(teacher=tutor.profile, students=[student.profile], days=-1, status="done",
                  attendance="attended", rows={student.profile.id: {"payment_status": "paid"}})

`days` = start offset from now (default tomorrow); `students` get one row each with the lesson's price and
the given attendance / payment_status / payment_type, overridden per student by `rows`."""

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import StudentProfileFactory, TeacherProfileFactory
from lessons.models import Lesson, LessonStudent, Subject


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject

    teacher = factory.SubFactory(TeacherProfileFactory)
    name = "Математика"
    code = factory.LazyAttribute(lambda o: o.name.lower()[:50])
    color_hex = "#4CAF50"


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson
        skip_postgeneration_save = True

    class Params:
        days = 1
        duration = 60
        price = 1000

    teacher = factory.SubFactory(TeacherProfileFactory)
    subject = None
    start_at = factory.LazyAttribute(lambda o: timezone.now() + timedelta(days=o.days))
    duration_minutes = factory.SelfAttribute("duration")
    price_rub = factory.SelfAttribute("price")
    status = Lesson.Status.PLANNED
    cancelled_by = None

    @factory.post_generation
    def students(lesson, create, extracted, **kwargs):
        """students=[profiles]; row defaults via students__attendance=… or the shorthands below."""
        if not create or not extracted:
            return
        rows = kwargs.pop("rows", None) or {}
        defaults = {
            "price_rub": lesson.price_rub,
            "attendance": kwargs.pop("attendance", LessonStudent.Attendance.UNKNOWN),
            "payment_status": kwargs.pop("payment_status", LessonStudent.PaymentStatus.UNPAID),
            "payment_type": kwargs.pop("payment_type", LessonStudent.PaymentType.FIXED),
            **kwargs,
        }
        LessonStudent.objects.bulk_create(
            [LessonStudent(lesson=lesson, student=s, **{**defaults, **rows.get(s.id, {})}) for s in extracted]
        )

    @classmethod
    def create(cls, **kwargs):
        # Row shorthands at the top level (attendance=…, payment_status=…, payment_type=…, rows=…) go to the
        # `students` hook, so call sites read like the lesson they describe.
        for key in ("attendance", "payment_status", "payment_type", "rows"):
            if key in kwargs:
                kwargs[f"students__{key}"] = kwargs.pop(key)
        return super().create(**kwargs)


class LessonStudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonStudent

    lesson = factory.SubFactory(LessonFactory)
    student = factory.SubFactory(StudentProfileFactory)
    price_rub = factory.SelfAttribute("lesson.price_rub")
