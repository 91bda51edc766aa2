"""Issue 17 §5: a tutor of a student who redeemed the student's P_ code became that student's "parent" and read the
other tutors' lessons, notes, prices and debts. Such relations (the parent's user is also a tutor of that student,
archived links included) are removed; the service now refuses them (409 TUTOR_CANNOT_BE_PARENT)."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def remove_tutor_parent_relations(apps, schema_editor):
    ParentStudentRelation = apps.get_model("accounts", "ParentStudentRelation")
    TeacherStudentLink = apps.get_model("accounts", "TeacherStudentLink")
    tutor_of_child = TeacherStudentLink.objects.filter(
        student_id=OuterRef("student_id"), teacher__user_id=OuterRef("parent__user_id")
    )
    ParentStudentRelation.objects.filter(Exists(tutor_of_child)).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_idempotency_keys")]

    operations = [migrations.RunPython(remove_tutor_parent_relations, migrations.RunPython.noop)]
