"""manage.py restore PATH --yes: replace the database with a backup made by `manage.py backup`."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tutorcal.management import backups


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the configured database. Needs --yes; refuses a "
        "database that holds data unless --force (which first saves a pre-restore backup into BACKUP_DIR)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="a tutorcal-*.dump or tutorcal-*.sqlite3 file")
        parser.add_argument("--yes", action="store_true", help="confirm: the database content is replaced")
        parser.add_argument("--force", action="store_true", help="restore even though the database holds data")
        parser.add_argument(
            "--no-safety-backup",
            action="store_true",
            help="with --force: do not save the current content before replacing it",
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args, path, yes, force, no_safety_backup, database, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"{source}: no such backup file")
        if not yes:
            raise CommandError("restore replaces the whole database content; run again with --yes to confirm")
        try:
            backups.file_engine(source)
            occupied = backups.tables_with_data(database)
            if occupied:
                if not force:
                    shown = ", ".join(occupied[:5]) + ("…" if len(occupied) > 5 else "")
                    raise CommandError(
                        f"the database is not empty ({len(occupied)} tables hold rows: {shown}); "
                        "restore into an empty database, or pass --force to replace it"
                    )
                if not no_safety_backup:
                    saved = backups.backup_create(
                        directory=Path(settings.BACKUP_DIR), alias=database, label="pre-restore"
                    )
                    self.stderr.write(f"current content saved first: {saved.path}")
            counts = backups.restore(path=source, alias=database)
        except backups.BackupError as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"restored {source.name}: {len(counts)} tables, {sum(counts.values())} rows")
