"""The order list and the account's orders panel with 2,000,000 order lines (SQLite).

Workload: `kam migrate` into a fresh SQLite database; in a child process with KAM's settings,
20,000 accounts (one busy key account with 20,000 orders among them), 500 products and
LINES order lines (default 2,000,000; `KAM_BENCH_ORDER_LINES=N` or
`python -m benchmarks.orders --lines N`) in orders of four lines, a share of them overdue,
bulk-inserted with `kam.core.bulk.insert_rows`, then `ANALYZE`. Timed: REPEAT calls of what the
API's order list does for one page (the visible, filtered queryset of `orders.selectors`, its
count, 50 rows serialized as the API's list does), plain and filtered on `overdue=true`, and of the
account panel's selector for the busy account, as the account's owner (an account manager) and
as the head of sales; the SQL queries of one call are counted.

Baseline: in the same process and database, the plainest read of the same list page: raw
`sqlite3` `SELECT ... FROM orders_order JOIN accounts_account ... ORDER BY created_at DESC, id DESC
LIMIT 50` and its `COUNT(*)`, on the same connection settings, timed the same way.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.harness import Benchmark, Context, Figure, Measurement, kam_argv, run_process

LINES = int(os.environ.get("KAM_BENCH_ORDER_LINES", "2000000"))
ACCOUNTS = 20_000
PRODUCTS = 500
LINES_PER_ORDER = 4
BUSY = 20_000  # orders of the busy account (fewer when LINES is small)
REPEAT = 30
PAGE = 50


def _run_child(ctx: Context, data_dir: Path, mode: str) -> dict[str, Any]:
    done = run_process(
        [sys.executable, "-m", "benchmarks.orders", "--child", mode, "--lines", str(LINES)],
        env=ctx.env(KAM_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="kam.config.settings.local"),
    ).check()
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _figures(report: dict[str, Any], what: str) -> dict[str, Figure]:
    figures: dict[str, Figure] = {}
    for key, timings in report["timings"].items():
        note = (
            f"{what}: {len(timings)} calls on {report['lines']:,} order lines, "
            f"{report['queries'].get(key, '-')} SQL queries per call, "
            f"mean {statistics.fmean(timings):.2f} ms, max {max(timings):.2f} ms"
        )
        if "generate_seconds" in report:
            note += f"; data generated in {report['generate_seconds']:.0f} s"
        figures[f"{key}_p95"] = Figure(f"p95 {key}", _percentile(timings, 95), "ms", False, note)
    return figures


def workload(ctx: Context) -> Measurement:
    data_dir = ctx.tmp / "kam"
    env = ctx.env(KAM_DATA_DIR=str(data_dir))
    run_process(kam_argv("migrate", "--verbosity", "0"), env=env).check()
    _run_child(ctx, data_dir, "generate")
    report = _run_child(ctx, data_dir, "workload")
    figures = _figures(report, "orders")
    figures["queries"] = Figure(
        "SQL queries per call",
        float(max(report["queries"].values())),
        "queries",
        False,
        "the most any list or panel call issued: "
        + ", ".join(f"{k} {v}" for k, v in report["queries"].items()),
    )
    return Measurement(figures=figures, facts={"data_dir": data_dir})


def baseline(ctx: Context, measured: Measurement) -> Measurement:
    report = _run_child(ctx, measured.facts["data_dir"], "baseline")
    figures = _figures(report, "raw sqlite3 indexed read")
    figures["queries"] = Figure("SQL queries per call", 2.0, "queries", False, "two SELECTs")
    return Measurement(figures=figures)


BENCHMARK = Benchmark(
    name="orders",
    title=f"order list and account orders panel with {LINES:,} order lines (SQLite)",
    baseline_title="the same list page read with two raw sqlite3 SELECTs",
    workload=workload,
    baseline=baseline,
)


# --- the child process ---------------------------------------------------------------------


def _generate(lines: int) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from kam.accounts.models import Account
    from kam.catalog.models import Product
    from kam.core.bulk import insert_rows
    from kam.core.roles import Role
    from kam.orders.models import Order, OrderLine
    from kam.users.models import User

    started = time.perf_counter()
    now = timezone.now().replace(microsecond=0)
    rng = random.Random(7)
    with transaction.atomic():
        insert_rows(
            User,
            [
                {"username": "am", "role": Role.ACCOUNT_MANAGER, "password": "!"},
                {"username": "head", "role": Role.SALES_HEAD, "password": "!"},
            ],
            now=now,
        )
        owner = User.objects.get(username="am").pk
        insert_rows(
            Account,
            ({"name": f"Account {n}", "owner_id": owner} for n in range(ACCOUNTS)),
            now=now,
        )
        insert_rows(
            Product,
            (
                {"sku": f"P{n:05d}", "name": f"Product {n}", "list_price": Decimal(5 + n % 90)}
                for n in range(PRODUCTS)
            ),
            now=now,
        )
    first_account = Account.objects.order_by("pk").values_list("pk", flat=True)[0]
    first_product = Product.objects.order_by("pk").values_list("pk", flat=True)[0]
    orders = max(lines // LINES_PER_ORDER, 1)
    busy = min(BUSY, orders // 10)
    start = datetime.now(UTC) - timedelta(days=730)
    today = timezone.localdate()

    def order_rows(offset: int, size: int) -> Any:
        for i in range(offset, offset + size):
            created = start + timedelta(seconds=rng.randrange(730 * 86400))
            promised = created.date() + timedelta(days=14)
            open_ = promised >= today - timedelta(days=30) or i % 97 == 0
            yield {
                "number": f"O-{created.year}-{i:07d}",
                "account_id": first_account
                if i < busy
                else first_account + rng.randrange(1, ACCOUNTS),
                "owner_id": owner,
                "created_by_id": owner,
                "status": "confirmed" if open_ else "closed",
                "promised_date": promised,
                "total_net": Decimal("400.00"),
                "total_tax": Decimal("80.00"),
                "is_on_time": None if open_ else i % 7 != 0,
                "open_promised_date": promised if open_ else None,
                "created_at": created,
            }

    def line_rows(pks: list[tuple[int, str, date | None]]) -> Any:
        for pk, status, promised in pks:
            for position in range(1, LINES_PER_ORDER + 1):
                complete = status == "closed"
                yield {
                    "order_id": pk,
                    "position": position,
                    "product_id": first_product + rng.randrange(PRODUCTS),
                    "quantity": Decimal("10"),
                    "unit_price": Decimal("10.00"),
                    "total_net": Decimal("100.00"),
                    "total_tax": Decimal("20.00"),
                    "promised_date": promised,
                    "delivered_quantity": Decimal("10") if complete else Decimal("0"),
                    "completed_on": promised if complete else None,
                }

    batch = 50_000
    for offset in range(0, orders, batch):
        size = min(batch, orders - offset)
        with transaction.atomic():
            top = Order.all_objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            insert_rows(Order, order_rows(offset, size), now=now)
            pks = list(
                Order.all_objects.filter(pk__gt=top)
                .order_by("pk")
                .values_list("pk", "status", "promised_date")
            )
            insert_rows(OrderLine, line_rows(pks), now=now)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"lines": orders * LINES_PER_ORDER, "generate_seconds": time.perf_counter() - started}


def _list_page(user: Any, params: dict[str, str]) -> int:
    from django.http import QueryDict
    from rest_framework.test import APIRequestFactory

    from kam.orders.api.serializers import OrderListOutputSerializer
    from kam.orders.filters import OrderFilterSet
    from kam.orders.selectors import order_list

    query = QueryDict(mutable=True)
    query.update(params)
    filtered = OrderFilterSet(query, queryset=order_list(user=user)).qs
    count = filtered.count()
    request = APIRequestFactory().get("/api/v1/orders/")
    request.user = user
    data = OrderListOutputSerializer(list(filtered[:PAGE]), many=True, context={"request": request})
    assert len(data.data) <= PAGE
    return count


def _measure_workload(lines: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kam.accounts.models import Account
    from kam.orders.selectors import account_orders
    from kam.users.models import User

    busy = Account.objects.order_by("pk").first()
    calls = {
        "list": lambda user: _list_page(user, {}),
        "list overdue": lambda user: _list_page(user, {"overdue": "true"}),
        "account panel": lambda user: account_orders(user=user, account=busy),
    }
    timings: dict[str, list[float]] = {}
    queries: dict[str, int] = {}
    for username in ("am", "head"):
        user = User.objects.get(username=username)
        for label, call in calls.items():
            key = f"{label}, {'manager' if username == 'am' else 'head of sales'}"
            call(user)  # warm-up
            with CaptureQueriesContext(connection) as captured:
                call(user)
            queries[key] = len(captured.captured_queries)
            runs = []
            for _ in range(REPEAT):
                began = time.perf_counter()
                call(user)
                runs.append((time.perf_counter() - began) * 1000)
            timings[key] = runs
    return {"lines": lines, "timings": timings, "queries": queries}


def _measure_baseline(lines: int) -> dict[str, Any]:
    import sqlite3

    from django.conf import settings

    db = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
    db.execute("PRAGMA journal_mode=WAL")
    page_sql = (
        "SELECT o.id, o.number, o.status, o.total_net, a.name FROM orders_order o "
        "JOIN accounts_account a ON a.id = o.account_id WHERE o.deleted_at IS NULL "
        "ORDER BY o.created_at DESC, o.id DESC LIMIT ?"
    )
    timings: dict[str, list[float]] = {}
    for who in ("manager", "head of sales"):
        runs = []
        for _ in range(REPEAT):
            began = time.perf_counter()
            page = db.execute(page_sql, (PAGE,)).fetchall()
            assert len(page) <= PAGE
            db.execute("SELECT COUNT(*) FROM orders_order WHERE deleted_at IS NULL").fetchone()
            runs.append((time.perf_counter() - began) * 1000)
        for label in ("list", "list overdue", "account panel"):
            timings[f"{label}, {who}"] = runs
    return {"lines": lines, "timings": timings, "queries": {}}


def main(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.orders")
    parser.add_argument("--child", choices=["generate", "workload", "baseline"])
    parser.add_argument("--lines", type=int, default=LINES)
    args = parser.parse_args(argv)
    if args.child is None:  # run this benchmark alone, with the line count given
        os.environ["KAM_BENCH_ORDER_LINES"] = str(args.lines)
        import importlib

        from benchmarks import harness

        module = importlib.import_module("benchmarks.orders")  # reads the line count anew
        print(harness.render([harness.run(module.BENCHMARK)]))
        return
    import django

    django.setup()
    run = {"generate": _generate, "workload": _measure_workload, "baseline": _measure_baseline}
    print(json.dumps(run[args.child](args.lines)))


if __name__ == "__main__":
    main(sys.argv[1:])
