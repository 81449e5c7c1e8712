from __future__ import annotations

import json
import random
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from kam.accounts.duplicates import rebuild_match_keys
from kam.demo import activities_data, catalog_data
from kam.demo.contracts_data import add_contracts
from kam.demo.generator import SIZES, DemoResult, generate, print_logins
from kam.demo.orders_data import generate_demo_orders
from kam.demo.outreach_data import add_outreach
from kam.demo.sales_data import add_sales
from kam.orders.models import Delivery, DeliveryLine, Order, OrderLine


class Command(BaseCommand):
    help = "Load deterministic demo data (into an empty database)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--json",
            action="store_true",
            help="print one JSON object (size, seed, rows, users, tables, seconds) instead of "
            "the summary and the logins; for scripts and `make bench`",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if get_user_model().objects.exists():
            raise CommandError(
                "the database already has users; demo data goes into an empty database "
                "(set KAM_DATA_DIR to a new folder, or DATABASE_URL to an empty database)"
            )
        started = time.perf_counter()
        result = generate(size=options["size"], seed=options["seed"])
        add_sales(result, size=options["size"], seed=options["seed"])
        # Activities point at deals: after the sales demo.
        activity_tables = activities_data.generate(
            rng=random.Random(options["seed"] * 104729 + 6), size=options["size"]
        )
        _count(result, activity_tables)
        # The commercial side: the catalog and its conditions, contracts, then two years of
        # orders priced from that catalog.
        _count(
            result,
            catalog_data.generate(
                rng=random.Random(options["seed"] * 15485863 + 8), size=options["size"]
            ),
        )
        add_contracts(result, size=options["size"], seed=options["seed"])
        generate_demo_orders(seed=options["seed"])
        _count(
            result,
            {
                m._meta.db_table: m.objects.count()
                for m in (Order, OrderLine, Delivery, DeliveryLine)
            },
        )
        # Campaigns sent over the past months and an exhibition with its leads.
        add_outreach(result, seed=options["seed"])
        # The duplicate index over the demo base, so the planted duplicates show in the review.
        rebuild_match_keys()
        # Fresh statistics: without them SQLite picks the trash index and scans whole tables.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        elapsed = max(time.perf_counter() - started, 1e-9)
        if options["json"]:
            summary = {
                "size": options["size"],
                "seed": options["seed"],
                "rows": result.rows,
                "users": result.users,
                "tables": result.tables,
                "seconds": round(elapsed, 6),
            }
            self.stdout.write(json.dumps(summary, sort_keys=True))
            return
        self.stdout.write(
            f"Demo data ({options['size']}, seed {options['seed']}): {result.rows} rows, "
            f"{result.users} users in {elapsed:.1f}s ({result.rows / elapsed:,.0f} rows/s)."
        )
        print_logins(self.stdout)


def _count(result: DemoResult, tables: dict[str, int]) -> None:
    for table, count in tables.items():
        result.tables[table] = result.tables.get(table, 0) + count
        result.rows += count
