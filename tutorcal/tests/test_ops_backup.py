"""manage.py backup / restore: timestamped backups with manifests, rotation, verification, refusal rules, and a
full round trip (seed → backup → drop → restore → every table's rows identical)."""

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accounts.models import User
from lessons.models import Lesson, LessonStudent
from subscriptions.models import Subscription
from tutorcal.management import backups

pytestmark = pytest.mark.django_db(transaction=True)
LESSONS = Lesson._meta.db_table


@pytest.fixture
def seeded(tutor, student, parent, stranger_tutor):
    lesson = Lesson.objects.create(
        teacher=tutor.profile, start_at=timezone.now() + timedelta(days=1), duration_minutes=60, price_rub=1500
    )
    LessonStudent.objects.create(lesson=lesson, student=student.profile, price_rub=1500)
    Subscription.objects.create(teacher=tutor.profile, student=student.profile, type="lessons", total_lessons=8)
    return lesson


@pytest.fixture
def backup_dir(tmp_path, settings):
    settings.BACKUP_DIR = tmp_path / "backups"
    return settings.BACKUP_DIR


def run_backup(*args) -> Path:
    from io import StringIO

    out = StringIO()
    call_command("backup", *args, stdout=out, stderr=StringIO())
    return Path(out.getvalue().strip().splitlines()[-1])


def all_rows() -> dict[str, list[str]]:
    """Every row of every table as text, sorted: equality means identical content."""
    if connection.vendor == "postgresql":
        tables = connection.introspection.table_names()
        with connection.cursor() as cursor:
            result = {}
            for table in tables:
                cursor.execute(f'SELECT t::text FROM "{table}" t')
                result[table] = sorted(row[0] for row in cursor.fetchall())
            return result
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names()
        result = {}
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')
            result[table] = sorted(repr(row) for row in cursor.fetchall())
        return result


def drop_everything():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            for table in connection.introspection.table_names():
                cursor.execute(f'DROP TABLE "{table}"')
            cursor.execute("PRAGMA foreign_keys = ON")
    assert connection.introspection.table_names() == []


def test_backup_writes_a_private_timestamped_file_with_a_manifest_of_row_counts(seeded, backup_dir):
    path = run_backup()

    assert path.parent == backup_dir
    assert backups.NAME_RE.match(path.name)
    assert path.suffix == (".dump" if settings.IS_POSTGRES else ".sqlite3")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    manifest = json.loads(path.with_name(path.name + ".json").read_text())
    assert manifest["engine"] == ("postgresql" if settings.IS_POSTGRES else "sqlite")
    assert manifest["tables"][LESSONS] == 1
    assert manifest["tables"][User._meta.db_table] == 4
    assert manifest["bytes"] == path.stat().st_size
    assert not [p for p in backup_dir.iterdir() if p.name.startswith(".partial")]


def test_backup_then_drop_then_restore_gives_back_every_row_of_every_table(seeded, backup_dir):
    before = all_rows()
    assert before[LessonStudent._meta.db_table] and before[Subscription._meta.db_table]
    path = run_backup()

    drop_everything()
    call_command("restore", str(path), "--yes", stdout=io.StringIO())

    assert all_rows() == before
    assert Lesson.objects.get().lesson_students.get().price_rub == 1500


@pytest.mark.postgres
def test_postgres_round_trip_uses_pg_dump_custom_format_and_keeps_sequences_working(seeded, backup_dir):
    path = run_backup()
    assert path.read_bytes()[:5] == b"PGDMP"
    before = all_rows()

    drop_everything()
    call_command("restore", str(path), "--yes", stdout=io.StringIO())

    assert all_rows() == before
    # Sequences came back too: a new row gets a fresh id instead of colliding.
    lesson = Lesson.objects.create(teacher=seeded.teacher, start_at=timezone.now(), duration_minutes=30)
    assert lesson.pk != seeded.pk


def test_restore_needs_an_explicit_yes(seeded, backup_dir):
    path = run_backup()
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(path))


def test_restore_refuses_a_database_that_holds_data_unless_forced(seeded, backup_dir):
    path = run_backup()
    Lesson.objects.create(teacher=seeded.teacher, start_at=timezone.now(), duration_minutes=45)

    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(path), "--yes")
    assert Lesson.objects.count() == 2

    call_command("restore", str(path), "--yes", "--force", stdout=io.StringIO(), stderr=io.StringIO())
    assert Lesson.objects.count() == 1
    saved = [p for p in backup_dir.iterdir() if "pre-restore" in p.name and not p.name.endswith(".json")]
    assert len(saved) == 1, "the replaced content is saved before a forced restore"
    assert json.loads(saved[0].with_name(saved[0].name + ".json").read_text())["tables"][LESSONS] == 2


def test_restore_into_a_freshly_migrated_database_needs_no_force(seeded, backup_dir):
    path = run_backup()
    before = all_rows()
    call_command("flush", "--noinput")  # a migrated database with no data
    assert backups.tables_with_data() == []

    call_command("restore", str(path), "--yes", stdout=io.StringIO())
    assert all_rows() == before


def test_verify_restores_into_a_scratch_database_and_compares_row_counts(seeded, backup_dir):
    from io import StringIO

    err = StringIO()
    call_command("backup", "--verify", stdout=StringIO(), stderr=err)
    assert "identical row counts" in err.getvalue()
    if settings.IS_POSTGRES:
        with connection.cursor() as cursor:
            prefix = connection.settings_dict["NAME"][:40].replace("_", "\\_")
            cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", [prefix + "\\_verify\\_%"])
            assert cursor.fetchone()[0] == 0, "the scratch database is dropped"


def test_verify_fails_when_the_file_was_damaged(seeded, backup_dir):
    path = run_backup()
    with path.open("r+b") as fh:
        fh.seek(200)
        fh.write(b"\x00garbage\x00")
    with pytest.raises(CommandError, match="checksum"):
        call_command("backup", "--verify-only", str(path))


def test_verify_fails_when_the_restored_counts_differ_from_the_manifest(seeded, backup_dir):
    path = run_backup()
    manifest_file = path.with_name(path.name + ".json")
    manifest = json.loads(manifest_file.read_text())
    manifest["tables"][LESSONS] = 7
    manifest_file.write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match=f"{LESSONS}: expected 7, found 1"):
        call_command("backup", "--verify-only", str(path))


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, db):
    bogus = tmp_path / "notes.dump"
    bogus.write_text("hello")
    with pytest.raises(CommandError, match="neither"):
        call_command("restore", str(bogus), "--yes")


def test_rotation_deletes_only_backups_older_than_keep_days(tmp_path):
    now = datetime(2025, 3, 10, 3, 0, tzinfo=UTC)
    names = {
        "tutorcal-20250301T030000Z.dump": True,  # 9 days old
        "tutorcal-20250302T030000Z-pre-restore.dump": True,
        "tutorcal-20250305T030000Z.dump": False,  # 5 days old
        "tutorcal-20250310T030000Z.sqlite3": False,
        "something-else-20200101.dump": False,  # not ours: never touched
    }
    for name in names:
        (tmp_path / name).write_text("x")
        (tmp_path / f"{name}.json").write_text("{}")

    removed = backups.backup_rotate(directory=tmp_path, keep_days=7, now=now)

    assert sorted(p.name for p in removed) == sorted(n for n, old in names.items() if old)
    remaining = {p.name for p in tmp_path.iterdir()}
    for name, old in names.items():
        assert (name in remaining) is not old
        assert (f"{name}.json" in remaining) is (not old or not backups.NAME_RE.match(name))
    assert backups.backup_rotate(directory=tmp_path, keep_days=0, now=now + timedelta(days=999)) == []


def test_backup_command_rotates_after_a_successful_backup(seeded, backup_dir):
    backup_dir.mkdir(parents=True)
    old = backup_dir / "tutorcal-20000101T000000Z.dump"
    old.write_text("x")
    path = run_backup("--keep-days", "3")
    assert path.exists() and not old.exists()
