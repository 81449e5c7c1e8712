from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kam.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Back up the database and uploaded files into one .tar.gz archive "
        "(default: KAM_DATA_DIR/backups/kam-<UTC time>.tar.gz). Safe while KAM runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", type=Path, default=None, help="archive to write")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            info = create_backup(output=options["output"])
        except BackupError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"{info.path} ({info.engine} database, {info.media_files} uploaded files, "
            f"{info.path.stat().st_size:,} bytes)"
        )
