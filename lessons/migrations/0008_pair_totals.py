"""Running totals per (tutor, student): PostgreSQL statement-level triggers append a pair_stamps row for every
pair whose lesson rows a write changed, in the writing transaction (like view_stamps, migration 0007). Other
databases get the tables without triggers (the totals are then not used: lessons.roster.selectors.pair_totals)."""

from django.db import migrations, models


# As in 0007: keys are looked up by index with = ANY(ARRAY(…)), never joined from the statistics-less transition
# table (a join is planned as a scan of the whole big table).
def _in(column: str) -> str:
    return f"ANY(ARRAY(SELECT {column} FROM {{rows}}))"


AFFECTED_PAIRS = {
    "lesson_students": f"""
        SELECT DISTINCT l.teacher_id, r.student_id
        FROM (SELECT lesson_id, student_id FROM {{rows}}) r
        JOIN (SELECT id, teacher_id FROM lessons WHERE id = {_in("lesson_id")}) l ON l.id = r.lesson_id""",
    "lessons": f"""
        SELECT DISTINCT l.teacher_id, ls.student_id
        FROM (SELECT id, teacher_id FROM {{rows}}) l
        JOIN (SELECT lesson_id, student_id FROM lesson_students WHERE lesson_id = {_in("id")}) ls
            ON ls.lesson_id = l.id""",
    "subjects": f"""
        SELECT DISTINCT l.teacher_id, ls.student_id
        FROM lessons l JOIN lesson_students ls ON ls.lesson_id = l.id WHERE l.subject_id = {_in("id")}""",
}
# Inserted lessons have no students yet; their rows arrive through lesson_students.
EVENTS = {"lesson_students": ("ins", "upd", "del"), "lessons": ("upd", "del"), "subjects": ("upd", "del")}
REFERENCING = {
    "ins": ("INSERT", "NEW TABLE AS new_rows"),
    "upd": ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    "del": ("DELETE", "OLD TABLE AS old_rows"),
}


def _insert(table: str, rows: str) -> str:
    return f"INSERT INTO pair_stamps (teacher_id, student_id) {AFFECTED_PAIRS[table].format(rows=rows)};"


def _table_sql(table: str) -> str:
    both = "(SELECT * FROM new_rows UNION ALL SELECT * FROM old_rows) AS t"
    triggers = "".join(
        f"CREATE TRIGGER pair_stamps_{table}_{op} AFTER {REFERENCING[op][0]} ON {table} "
        f"REFERENCING {REFERENCING[op][1]}\n"
        f"    FOR EACH STATEMENT EXECUTE FUNCTION pair_stamps_{table}();\n"
        for op in EVENTS[table]
    )
    return f"""
CREATE OR REPLACE FUNCTION pair_stamps_{table}() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN {_insert(table, "new_rows")}
    ELSIF TG_OP = 'UPDATE' THEN {_insert(table, both)}
    ELSE {_insert(table, "old_rows")}
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
{triggers}"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in AFFECTED_PAIRS:
            schema_editor.execute(_table_sql(table))


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, ops in EVENTS.items():
            for op in ops:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS pair_stamps_{table}_{op} ON {table};")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS pair_stamps_{table}();")


class Migration(migrations.Migration):
    dependencies = [("lessons", "0007_view_stamps")]

    operations = [
        migrations.CreateModel(
            name="PairStamp",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("teacher_id", models.UUIDField()),
                ("student_id", models.UUIDField()),
            ],
            options={
                "db_table": "pair_stamps",
                "indexes": [models.Index(fields=["teacher_id", "student_id", "id"], name="pair_stamp_pair_idx")],
            },
        ),
        migrations.CreateModel(
            name="PairTotals",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("teacher_id", models.UUIDField()),
                ("student_id", models.UUIDField()),
                ("version", models.CharField(max_length=48)),
                ("flip_at", models.DateTimeField(null=True)),
                ("data", models.JSONField()),
            ],
            options={
                "db_table": "pair_totals",
                "constraints": [models.UniqueConstraint(fields=("teacher_id", "student_id"), name="uniq_pair_totals")],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
