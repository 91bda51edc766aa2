"""manage.py backup: a timestamped backup of the database into BACKUP_DIR, with rotation and verification."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tutorcal.management import backups


class Command(BaseCommand):
    help = (
        "Back up the database into BACKUP_DIR as tutorcal-<UTC stamp>.dump (PostgreSQL, pg_dump custom format) "
        "or .sqlite3 (SQLite online backup), with a manifest of row counts. Prints the file path last."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", dest="directory", default=None, help="target directory (default BACKUP_DIR)")
        parser.add_argument(
            "--keep-days",
            type=int,
            default=None,
            help="delete backups older than this many days after a successful backup (0 = keep all; "
            "default BACKUP_KEEP_DAYS)",
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="restore the new backup into a scratch database and compare every table's row count",
        )
        parser.add_argument(
            "--verify-only",
            metavar="PATH",
            default=None,
            help="verify an existing backup file instead of taking a new one",
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args, directory, keep_days, verify, verify_only, database, **options):
        try:
            if verify_only:
                self._verify(Path(verify_only), database)
                return
            target_dir = Path(directory) if directory else Path(settings.BACKUP_DIR)
            made = backups.backup_create(directory=target_dir, alias=database)
            manifest = made.manifest
            self.stderr.write(
                f"backup written: {made.path} ({manifest['bytes']} bytes, {len(manifest['tables'])} tables, "
                f"{manifest['rows']} rows)"
            )
            if verify:
                self._verify(made.path, database)
            days = settings.BACKUP_KEEP_DAYS if keep_days is None else keep_days
            for old in backups.backup_rotate(directory=target_dir, keep_days=days, keep=[made.path]):
                self.stderr.write(f"rotated out: {old.name}")
            self.stdout.write(str(made.path))
        except backups.BackupError as exc:
            raise CommandError(str(exc))

    def _verify(self, path: Path, database: str) -> None:
        if not path.is_file():
            raise CommandError(f"{path}: no such backup file")
        counts = backups.backup_verify(path=path, alias=database)
        self.stderr.write(f"verified: {path.name} restores with identical row counts in {len(counts)} tables")
