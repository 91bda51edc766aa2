"""View stamps: PostgreSQL statement-level triggers record, in the writing transaction, which profiles' cached
views a write changed. Other databases get the table without triggers (the view cache is then off: see
lessons.selectors.stamps)."""

from django.db import migrations, models


# table -> the profiles whose cached views show its rows; {rows} is the transition table (old or new rows).
# Transition tables have no statistics: a join from them is planned as a scan of the whole big table (17 ms for a
# series' 156 rows); `= ANY(ARRAY(subquery))` is an index lookup of the keys (1 ms).
def _in(column: str) -> str:
    return f"ANY(ARRAY(SELECT {column} FROM {{rows}}))"


AFFECTED = {
    "lessons": f"SELECT teacher_id FROM {{rows}} UNION SELECT student_id FROM lesson_students WHERE lesson_id = {_in('id')}",
    # Every student of the lesson: a student's calendar shows how many others are in it.
    "lesson_students": f"""
        SELECT teacher_id FROM lessons WHERE id = {_in("lesson_id")}
        UNION SELECT student_id FROM {{rows}}
        UNION SELECT student_id FROM lesson_students WHERE lesson_id = {_in("lesson_id")}""",
    "lesson_waitlist": f"SELECT teacher_id FROM lessons WHERE id = {_in('lesson_id')} UNION SELECT student_id FROM {{rows}}",
    "subjects": f"""
        SELECT teacher_id FROM {{rows}}
        UNION SELECT ls.student_id FROM lessons l JOIN lesson_students ls ON ls.lesson_id = l.id
            WHERE l.subject_id = {_in("id")}""",
    "teacher_student_links": "SELECT teacher_id FROM {rows} UNION SELECT student_id FROM {rows}",
    "subscriptions": "SELECT teacher_id FROM {rows} UNION SELECT student_id FROM {rows}",
    "makeup_credits": "SELECT teacher_id FROM {rows} UNION SELECT student_id FROM {rows}",
    "student_profiles": f"""
        SELECT id FROM {{rows}}
        UNION SELECT teacher_id FROM teacher_student_links WHERE student_id = {_in("id")}""",
}

# A user's names are shown on the other side: the student's on the tutors' calendars and lists, the tutor's on
# the students' calendars. Row-level, and only when a shown column changes (users are updated at every login).
USERS_FUNCTION = """
CREATE OR REPLACE FUNCTION view_stamps_users() RETURNS trigger AS $$
BEGIN
    INSERT INTO view_stamps (profile_id)
    SELECT DISTINCT p FROM (
        SELECT t.id AS p FROM teacher_profiles t WHERE t.user_id = NEW.id
        UNION SELECT s.id FROM student_profiles s WHERE s.user_id = NEW.id
        UNION SELECT k.teacher_id FROM teacher_student_links k JOIN student_profiles s ON s.id = k.student_id
            WHERE s.user_id = NEW.id
        UNION SELECT l.teacher_id FROM lessons l JOIN lesson_students ls ON ls.lesson_id = l.id
            JOIN student_profiles s ON s.id = ls.student_id WHERE s.user_id = NEW.id
        UNION SELECT ls.student_id FROM lesson_students ls JOIN lessons l ON l.id = ls.lesson_id
            JOIN teacher_profiles t ON t.id = l.teacher_id WHERE t.user_id = NEW.id
    ) affected;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER view_stamps_users AFTER UPDATE ON users FOR EACH ROW
    WHEN (OLD.first_name IS DISTINCT FROM NEW.first_name OR OLD.last_name IS DISTINCT FROM NEW.last_name
          OR OLD.username IS DISTINCT FROM NEW.username)
    EXECUTE FUNCTION view_stamps_users();
"""


def _insert(table: str, rows: str) -> str:
    return f"INSERT INTO view_stamps (profile_id) SELECT DISTINCT p FROM ({AFFECTED[table].format(rows=rows)}) AS a(p);"


def _table_sql(table: str) -> str:
    both = "(SELECT * FROM new_rows UNION ALL SELECT * FROM old_rows) AS t"
    return f"""
CREATE OR REPLACE FUNCTION view_stamps_{table}() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN {_insert(table, "new_rows")}
    ELSIF TG_OP = 'UPDATE' THEN {_insert(table, both)}
    ELSE {_insert(table, "old_rows")}
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER view_stamps_{table}_ins AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION view_stamps_{table}();
CREATE TRIGGER view_stamps_{table}_upd AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION view_stamps_{table}();
CREATE TRIGGER view_stamps_{table}_del AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION view_stamps_{table}();
"""


def _drop_sql(table: str) -> str:
    return "".join(f"DROP TRIGGER IF EXISTS view_stamps_{table}_{op} ON {table};" for op in ("ins", "upd", "del")) + (
        f"DROP FUNCTION IF EXISTS view_stamps_{table}();"
    )


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in AFFECTED:
        schema_editor.execute(_table_sql(table))
    schema_editor.execute(USERS_FUNCTION)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in AFFECTED:
        schema_editor.execute(_drop_sql(table))
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS view_stamps_users ON users; DROP FUNCTION IF EXISTS view_stamps_users();"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_teacher_cancel_policy"),
        ("subscriptions", "0002_makeup_credits"),
        ("lessons", "0006_capacity_waitlist"),
    ]

    operations = [
        migrations.CreateModel(
            name="ViewStamp",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("profile_id", models.UUIDField()),
            ],
            options={
                "db_table": "view_stamps",
                "indexes": [models.Index(fields=["profile_id", "id"], name="view_stamp_profile_idx")],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
