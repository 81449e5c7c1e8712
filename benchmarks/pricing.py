"""The pricing function: an order of 200 lines for an account with 50 price rules (SQLite).

Workload: `kam migrate` into a fresh SQLite database; in a child process with KAM's settings,
200 products in 10 lines, a price list with 50 rules (by product, by line and for all products,
with quantity breaks, fixed prices and percents), three promotions (one expired), and an approved
agreement with an extra discount and line discounts for the account. Timed: REPEAT calls of
`kam.catalog.pricing.price_lines` for the 200 lines (each call loads the account's agreement,
rules and promotions anew, as an order or a quote does); reported as lines priced per second,
and the SQL queries of one call are counted. A second figure leaves the loading out (the
conditions loaded once, then only the per-line work), to tell the two costs apart.

Baseline: in the same process, over the same 200 products already in memory, a bare loop that
only multiplies each list price by its quantity and rounds to cents: the floor any pricing
costs. The ratio (workload / baseline lines per second) is the figure to watch (target >= 0.1).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import Benchmark, Context, Figure, Measurement, kam_argv, run_process

LINES = 200
RULES = 50
REPEAT = 50


def _run_child(ctx: Context, data_dir: Path, mode: str) -> dict[str, Any]:
    done = run_process(
        [sys.executable, "-m", "benchmarks.pricing", "--child", mode],
        env=ctx.env(KAM_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="kam.config.settings.local"),
    ).check()
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _figure(report: dict[str, Any], what: str, key: str = "seconds") -> Figure:
    per_call = report[key]
    rate = LINES / statistics.median(per_call)
    note = (
        f"{what}: {len(per_call)} calls of {LINES} lines, median "
        f"{statistics.median(per_call) * 1000:.2f} ms per call"
    )
    if report.get("queries") is not None:
        note += f", {report['queries']} SQL queries per call"
    label = "lines priced per second" if key == "seconds" else "lines/s, conditions loaded"
    return Figure(label, rate, "lines/s", True, note)


def workload(ctx: Context) -> Measurement:
    data_dir = ctx.tmp / "kam"
    env = ctx.env(KAM_DATA_DIR=str(data_dir))
    run_process(kam_argv("migrate", "--verbosity", "0"), env=env).check()
    _run_child(ctx, data_dir, "generate")
    report = _run_child(ctx, data_dir, "workload")
    figures = {
        "rate": _figure(report, "price_lines"),
        "marginal": _figure(report, "Conditions.price per line, loading left out", "lines"),
    }
    figures["queries"] = Figure(
        "SQL queries per call", float(report["queries"]), "queries", False, "whatever the lines"
    )
    return Measurement(figures=figures, facts={"data_dir": data_dir})


def baseline(ctx: Context, measured: Measurement) -> Measurement:
    report = _run_child(ctx, measured.facts["data_dir"], "baseline")
    return Measurement(
        figures={
            "rate": _figure(report, "bare loop: list price x quantity, rounded"),
            "marginal": _figure(report, "the same bare loop", "seconds"),
            "queries": Figure("SQL queries per call", 0.0, "queries", False, "none"),
        }
    )


BENCHMARK = Benchmark(
    name="pricing",
    title=f"price_lines: an order of {LINES} lines, an account with {RULES} rules (SQLite)",
    baseline_title="a bare loop multiplying the list prices by the quantities",
    workload=workload,
    baseline=baseline,
)


# --- the child process ---------------------------------------------------------------------


def _generate() -> dict[str, Any]:
    import datetime
    import random
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from kam.accounts.models import Account
    from kam.catalog.choices import AgreementStatus, RuleScope
    from kam.catalog.models import (
        Agreement,
        AgreementLineDiscount,
        PriceList,
        PriceRule,
        Product,
        ProductLine,
        Promotion,
    )
    from kam.core.roles import Role
    from kam.users.models import User

    rng = random.Random(7)
    today = timezone.localdate()
    with transaction.atomic():
        owner = User.objects.create(username="am", role=Role.ACCOUNT_MANAGER)
        account = Account.objects.create(name="Bench key account", owner=owner, tier="key")
        lines = [ProductLine.objects.create(name=f"Line {n}") for n in range(10)]
        products = Product.objects.bulk_create(
            Product(
                sku=f"SKU-{n:04d}",
                name=f"Product {n}",
                line=lines[n % 10],
                list_price=Decimal(rng.randrange(100, 100_000)) / 100,
                vat_rate=Decimal("20"),
            )
            for n in range(LINES)
        )
        price_list = PriceList.objects.create(name="Bench", currency="EUR")
        rules = []
        for n in range(RULES):
            scope = [RuleScope.PRODUCT, RuleScope.PRODUCT, RuleScope.LINE, RuleScope.ALL][n % 4]
            fixed = n % 3 == 0 and scope == RuleScope.PRODUCT
            product = products[rng.randrange(LINES)] if scope == RuleScope.PRODUCT else None
            rules.append(
                PriceRule(
                    price_list=price_list,
                    scope=scope,
                    product=product,
                    line=lines[n % 10] if scope == RuleScope.LINE else None,
                    min_quantity=Decimal([1, 5, 10, 50][rng.randrange(4)]),
                    fixed_price=(product.list_price * Decimal("0.9")).quantize(Decimal("0.01"))
                    if fixed and product
                    else None,
                    discount_percent=None if fixed else Decimal(rng.randrange(1, 25)),
                )
            )
        PriceRule.objects.bulk_create(rules)
        for n, (start, end) in enumerate([(-30, 30), (-60, -1), (-5, 5)]):  # the second is expired
            promotion = Promotion.objects.create(
                name=f"Promotion {n}",
                starts_on=today + datetime.timedelta(days=start),
                ends_on=today + datetime.timedelta(days=end),
                discount_percent=Decimal(5 + n),
            )
            promotion.lines.set(lines[n * 3 : n * 3 + 2])
        agreement = Agreement.objects.create(
            account=account,
            title="Bench agreement",
            status=AgreementStatus.APPROVED,
            valid_from=today - datetime.timedelta(days=100),
            price_list=price_list,
            extra_discount_percent=Decimal("2"),
        )
        for line in lines[:3]:
            AgreementLineDiscount.objects.create(
                agreement=agreement, line=line, discount_percent=Decimal("4")
            )
    return {"products": LINES, "rules": RULES}


def _requests() -> list[Any]:
    import random
    from decimal import Decimal

    from kam.catalog.models import Product
    from kam.catalog.pricing import PriceRequest

    rng = random.Random(11)
    return [
        PriceRequest(product, Decimal(rng.choice([1, 2, 5, 10, 20, 60])))
        for product in Product.objects.order_by("sku")
    ]


def _measure_workload() -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from kam.accounts.models import Account
    from kam.catalog.pricing import Conditions, price_lines

    requests = _requests()
    account = Account.objects.get()
    result = price_lines(account=account, lines=requests)  # warm-up
    assert len(result.lines) == LINES
    with CaptureQueriesContext(connection) as captured:
        price_lines(account=account, lines=requests)
    seconds = []
    for _ in range(REPEAT):
        began = time.perf_counter()
        price_lines(account=account, lines=requests)
        seconds.append(time.perf_counter() - began)
    # The cost per line alone: the conditions loaded once, then only the per-line work.
    conditions = Conditions.load(
        account=account, lines=requests, on=timezone.localdate(), channel=""
    )
    lines = []
    for _ in range(REPEAT):
        began = time.perf_counter()
        for request in requests:
            conditions.price(request)
        lines.append(time.perf_counter() - began)
    return {"seconds": seconds, "lines": lines, "queries": len(captured.captured_queries)}


def _measure_baseline() -> dict[str, Any]:
    from decimal import ROUND_HALF_UP, Decimal

    requests = _requests()
    cent = Decimal("0.01")
    seconds = []
    for _ in range(REPEAT):
        began = time.perf_counter()
        total = [
            (r.product.list_price * r.quantity).quantize(cent, rounding=ROUND_HALF_UP)
            for r in requests
        ]
        seconds.append(time.perf_counter() - began)
    assert len(total) == LINES
    return {"seconds": seconds, "queries": None}


def main(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.pricing")
    parser.add_argument("--child", choices=["generate", "workload", "baseline"])
    args = parser.parse_args(argv)
    if args.child is None:
        from benchmarks import harness

        print(harness.render([harness.run(BENCHMARK)]))
        return
    import django

    django.setup()
    run = {"generate": _generate, "workload": _measure_workload, "baseline": _measure_baseline}
    print(json.dumps(run[args.child]()))


if __name__ == "__main__":
    main(sys.argv[1:])
