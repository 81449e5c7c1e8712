"""`kam orders_rebuild_stats`: recompute every account's repeat-order figures from its orders."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kam.orders.services import account_stats_rebuild


class Command(BaseCommand):
    help = "Recompute every account's repeat-order count and rate from its orders."

    def handle(self, *args: Any, **options: Any) -> None:
        done = account_stats_rebuild()
        self.stdout.write(f"Repeat figures rebuilt for {done} accounts.")
