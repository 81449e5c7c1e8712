"""The pricing function: an order of 200 lines for an account with 50 price rules (SQLite).

Workload: `kam migrate` into a fresh SQLite database; in a child process with KAM's settings,
200 products in 10 lines, a price list with 50 rules (by product, by line and for all products,
with quantity breaks, fixed prices and percents), three promotions (one expired), and an approved
agreement with an extra discount and line discounts for the account.

Both sides start from what a caller holds (a quote request, an order form): an account id and
200 (product id, quantity) pairs, and both end with priced lines and their total. Timed: REPEAT
calls of the whole path a caller takes: the account read by id, the products read by id with
what pricing needs (`catalog.selectors.products_for_pricing`, one query), then
`kam.catalog.pricing.price_lines` (which loads the account's agreement, rules and promotions
anew each call, as an order or a quote does) and the result's total. Reported as lines priced
per second; the SQL queries of one call are counted.

Baseline (the figure to watch, target ratio >= 0.1): the least any pricing must do from the
same input: read the 200 products' list prices from the database in one query (the ORM's
`values_list`, the plainest read KAM code makes) and multiply each by its quantity, rounded to
cents, then add the totals. Pricing cannot do less: it must read the prices, and everything
beyond that (the account's agreement, rules and promotions, the explanation of each line) is
the work being measured. The benchmark stops with an error when the two sides did not price
the same products at the same list prices and quantities.

Figures for information, not targets:

- `lines per CPU-second`: the same two sides in the CPU time of their process rather than wall
  time. On a busy machine (other processes sharing the CPUs) a call of several milliseconds is
  preempted far more often than one of one millisecond, which lowers the wall-clock ratio; the
  CPU ratio hardly moves, so it tells a slower `price_lines` from a busier machine;
- `lines/s, raw SQL baseline`: the same workload against the same baseline read through a bare
  DB-API cursor (no ORM at all): what the ORM's own cost is worth;
- `lines/s, in-memory baseline` (the figure reported before 2026-11-28): `price_lines` alone
  on products already loaded as model instances, against a loop multiplying the list prices of
  those in-memory instances (about 0.2 us a line, no database at all: the ratio mostly says
  what one query costs next to a multiplication, not how good pricing is);
- `lines/s, conditions loaded`: the conditions loaded once, then only the per-line work
  (`Conditions.price`), against the same in-memory loop, to tell loading and pricing apart.
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


LABELS = {
    "rate": "lines priced per second",
    "cpu": "lines per CPU-second",
    "raw": "lines/s, raw SQL baseline",
    "in_memory": "lines/s, in-memory baseline",
    "marginal": "lines/s, conditions loaded",
}


def _figure(report: dict[str, Any], key: str, timings: str, what: str) -> Figure:
    per_call = report[timings]
    median = statistics.median(per_call)
    note = f"{what}: {len(per_call)} calls of {LINES} lines, median {median * 1000:.2f} ms per call"
    queries = report.get("queries", {}).get(timings)
    if queries is not None:
        note += f", {queries} SQL queries per call"
    return Figure(LABELS[key], LINES / median, "lines/s", True, note)


def workload(ctx: Context) -> Measurement:
    data_dir = ctx.tmp / "kam"
    env = ctx.env(KAM_DATA_DIR=str(data_dir))
    run_process(kam_argv("migrate", "--verbosity", "0"), env=env).check()
    _run_child(ctx, data_dir, "generate")
    report = _run_child(ctx, data_dir, "workload")
    whole = "account + products_for_pricing + price_lines + total, from ids"
    alone = "price_lines alone, products already loaded as model instances"
    figures = {
        "rate": _figure(report, "rate", "from_ids", whole),
        "cpu": _figure(report, "cpu", "cpu", f"{whole}, CPU time of the process"),
        "raw": _figure(report, "raw", "from_ids", whole),
        "in_memory": _figure(report, "in_memory", "price_lines", alone),
        "marginal": _figure(report, "marginal", "per_line", "Conditions.price, loading left out"),
        "queries": Figure(
            "SQL queries per call",
            float(report["queries"]["from_ids"]),
            "queries",
            False,
            "from ids, whatever the number of lines",
        ),
    }
    return Measurement(figures=figures, facts={"data_dir": data_dir, "work": report["work"]})


def baseline(ctx: Context, measured: Measurement) -> Measurement:
    report = _run_child(ctx, measured.facts["data_dir"], "baseline")
    if report["work"] != measured.facts["work"]:
        raise RuntimeError(
            f"the baseline priced other lines than the workload: {report['work']} != "
            f"{measured.facts['work']}"
        )
    loop = "list price x quantity rounded, then the total"
    return Measurement(
        figures={
            "rate": _figure(report, "rate", "orm", f"one values_list query, {loop}"),
            "cpu": _figure(report, "cpu", "cpu", "the same, CPU time of the process"),
            "raw": _figure(report, "raw", "raw", f"one query on a DB-API cursor, {loop}"),
            "in_memory": _figure(report, "in_memory", "in_memory", f"in memory, {loop}"),
            "marginal": _figure(report, "marginal", "in_memory", f"in memory, {loop}"),
            "queries": Figure("SQL queries per call", 1.0, "queries", False, "one"),
        }
    )


BENCHMARK = Benchmark(
    name="pricing",
    title=f"pricing an order of {LINES} lines from ids, an account with {RULES} rules (SQLite)",
    baseline_title="one query for the list prices, then list price x quantity",
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


def _input() -> tuple[int, list[tuple[int, Any]]]:
    """What a caller holds: the account id and (product id, quantity) pairs, in SKU order."""
    import random
    from decimal import Decimal

    from kam.accounts.models import Account
    from kam.catalog.models import Product

    rng = random.Random(11)
    ids = Product.objects.order_by("sku").values_list("pk", flat=True)
    pairs = [(pk, Decimal(rng.choice([1, 2, 5, 10, 20, 60]))) for pk in ids]
    return Account.objects.get().pk, pairs


def _work(lines: list[tuple[int, Any, Any]]) -> str:
    """What both sides must agree on: the products, quantities and list prices priced."""
    from decimal import Decimal

    listed = sum((price * quantity for _pk, quantity, price in lines), Decimal("0"))
    return f"{len(lines)} lines, {len({pk for pk, _q, _p in lines})} products, {listed} at list"


def _timed(call: Any, cpu: list[float] | None = None) -> list[float]:
    """Wall seconds of REPEAT calls (after a warm-up); their CPU seconds go to `cpu`."""
    call()  # warm-up
    seconds = []
    for _ in range(REPEAT):
        began, began_cpu = time.perf_counter(), time.process_time()
        call()
        seconds.append(time.perf_counter() - began)
        if cpu is not None:
            cpu.append(time.process_time() - began_cpu)
    return seconds


def _measure_workload() -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from kam.accounts.models import Account
    from kam.catalog.pricing import Conditions, PriceRequest, PriceResult, price_lines
    from kam.catalog.selectors import products_by_id, products_for_pricing

    account_id, pairs = _input()

    def from_ids() -> PriceResult:
        account = Account.objects.get(pk=account_id)
        products = products_for_pricing(ids=[pk for pk, _quantity in pairs])
        result = price_lines(
            account=account,
            lines=[PriceRequest(products[pk], quantity) for pk, quantity in pairs],
        )
        assert result.total  # the total is part of the work
        return result

    with CaptureQueriesContext(connection) as captured:
        result = from_ids()
    assert len(result.lines) == LINES
    cpu: list[float] = []
    report: dict[str, Any] = {
        "work": _work([(line.product_id, line.quantity, line.list_price) for line in result.lines]),
        "queries": {"from_ids": len(captured.captured_queries)},
        "from_ids": _timed(from_ids, cpu),
        "cpu": cpu,
    }
    # For information: price_lines alone on model instances, and the per-line work alone.
    account = Account.objects.get(pk=account_id)
    products = products_by_id(ids=[pk for pk, _quantity in pairs])
    requests = [PriceRequest(products[pk], quantity) for pk, quantity in pairs]
    with CaptureQueriesContext(connection) as captured:
        price_lines(account=account, lines=requests)
    report["queries"]["price_lines"] = len(captured.captured_queries)
    report["price_lines"] = _timed(lambda: price_lines(account=account, lines=requests))
    conditions = Conditions.load(
        account=account, lines=requests, on=timezone.localdate(), channel=""
    )
    report["per_line"] = _timed(lambda: [conditions.price(request) for request in requests])
    return report


def _measure_baseline() -> dict[str, Any]:
    from decimal import ROUND_HALF_UP, Decimal

    from django.db import connection

    from kam.catalog.models import Product
    from kam.catalog.selectors import products_by_id

    _account_id, pairs = _input()
    cent = Decimal("0.01")
    ids = [pk for pk, _quantity in pairs]

    def priced(prices: dict[int, Decimal]) -> tuple[list[tuple[int, Decimal, Decimal]], Decimal]:
        lines = [
            (pk, quantity, (prices[pk] * quantity).quantize(cent, rounding=ROUND_HALF_UP))
            for pk, quantity in pairs
        ]
        return lines, sum((total for _pk, _quantity, total in lines), Decimal("0"))

    def orm() -> Any:
        return priced(dict(Product.objects.filter(pk__in=ids).values_list("pk", "list_price")))

    # SQLite hands DECIMAL columns back as numbers: through str, as Django's converter does.
    sql = "SELECT id, list_price FROM {} WHERE id IN ({})".format(
        Product._meta.db_table, ", ".join(["%s"] * len(ids))
    )

    def raw() -> Any:
        with connection.cursor() as cursor:
            cursor.execute(sql, ids)
            return priced({pk: Decimal(str(price)) for pk, price in cursor.fetchall()})

    products = products_by_id(ids=ids)
    in_memory_prices = [(products[pk].list_price, quantity) for pk, quantity in pairs]

    def in_memory() -> Any:
        totals = [
            (price * quantity).quantize(cent, rounding=ROUND_HALF_UP)
            for price, quantity in in_memory_prices
        ]
        return totals, sum(totals, Decimal("0"))

    prices = dict(Product.objects.filter(pk__in=ids).values_list("pk", "list_price"))
    assert orm()[1] == raw()[1] == in_memory()[1]
    cpu: list[float] = []
    return {
        "work": _work([(pk, quantity, prices[pk]) for pk, quantity in pairs]),
        "orm": _timed(orm, cpu),
        "cpu": cpu,
        "raw": _timed(raw),
        "in_memory": _timed(in_memory),
    }


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
