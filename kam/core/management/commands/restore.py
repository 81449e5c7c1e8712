from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kam.core.backup import BackupError, read_manifest, restore_backup


class Command(BaseCommand):
    help = (
        "Replace the database and uploaded files by those of a `kam backup` archive. "
        "Stop the web and worker processes first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument(
            "--no-migrate", action="store_true", help="do not run migrations after restoring"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        archive = options["archive"]
        try:
            manifest = read_manifest(archive)
            if not options["yes"]:
                answer = input(
                    f"Replace ALL current data by the backup of {manifest['created_at']} "
                    f"({manifest['engine']})? Type 'yes': "
                )
                if answer.strip().lower() != "yes":
                    raise CommandError("Restore cancelled; nothing changed.")
            restore_backup(archive_path=archive, migrate=not options["no_migrate"])
        except BackupError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Restored the backup of {manifest['created_at']} from {archive}.")
