"""`kam rebuild_contact_stats`: recompute every account's last contact and repeat-contact count."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kam.activities.services import contact_stats_rebuild


class Command(BaseCommand):
    help = (
        "Recompute every account's last contact and repeat-contact count from its activities "
        "(after bulk loads or restores from the trash)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        written = contact_stats_rebuild()
        self.stdout.write(f"{written} accounts have contact statistics.")
