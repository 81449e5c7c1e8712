"""The kanban board of one pipeline with 50,000 open deals, against the same board at 5,000.

Workload: `kam migrate` and `kam demo --size small --seed 1` into a fresh SQLite database, then
open deals bulk-inserted into the default pipeline (spread over its open stages, on the demo's
accounts) up to 5,000 (a copy of the database is kept) and on to 50,000. In a child process with
KAM's settings, `GET /deals/board/` through Django's test client as the head of sales (who sees
every deal), REPEAT times after one warm-up. Timed: each request, wall clock, Django included;
counted: the SQL queries of one request.

Baseline: the same requests on the copy with 5,000 open deals. The board pages its columns
(CARDS_PER_COLUMN cards each from the board index, a count capped at COUNT_CAP), so both the
query count and the time should stay flat: the ratios should be about 1.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    Benchmark,
    Context,
    Figure,
    Measurement,
    copy_sqlite,
    kam_argv,
    run_process,
)

SMALL, LARGE = 5_000, 50_000
REPEAT = 30


def _child(ctx: Context, data_dir: Path, *args: str) -> dict[str, Any]:
    done = run_process(
        [
            sys.executable,
            "-c",
            "import sys; from benchmarks.board import main; main(sys.argv[1:])",
            *args,
        ],
        env=ctx.env(KAM_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="kam.config.settings.local"),
    ).check()
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _figures(report: dict[str, Any]) -> dict[str, Figure]:
    timings = report["timings"]
    note = (
        f"{report['open_deals']:,} open deals; {len(timings)} requests, "
        f"median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms"
    )
    return {
        "p95": Figure("p95 board page", _p95(timings), "ms", higher_is_better=False, note=note),
        "queries": Figure("queries per page", report["queries"], "queries", higher_is_better=False),
    }


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def workload(ctx: Context) -> Measurement:
    data_dir = ctx.tmp / "kam"
    env = ctx.env(KAM_DATA_DIR=str(data_dir))
    run_process(kam_argv("migrate", "--verbosity", "0"), env=env).check()
    run_process(kam_argv("demo", "--size", "small", "--seed", "1", "--json"), env=env).check()
    _child(ctx, data_dir, "fill", str(SMALL))
    small_dir = ctx.tmp / "small"
    copy_sqlite(data_dir / "kam.sqlite3", small_dir / "kam.sqlite3")
    _child(ctx, data_dir, "fill", str(LARGE))
    report = _child(ctx, data_dir, "measure")
    return Measurement(figures=_figures(report), facts={"small": small_dir})


def baseline(ctx: Context, measured: Measurement) -> Measurement:
    return Measurement(figures=_figures(_child(ctx, measured.facts["small"], "measure")))


BENCHMARK = Benchmark(
    name="board",
    title=f"GET /deals/board/ (head of sales) with {LARGE:,} open deals in the pipeline",
    baseline_title=f"the same board with {SMALL:,} open deals",
    workload=workload,
    baseline=baseline,
)


# --- the child process ---------------------------------------------------------------------


def main(args: list[str]) -> None:
    import django

    django.setup()
    if args[0] == "fill":
        _fill(int(args[1]))
        print(json.dumps({"ok": True}))
    else:
        print(json.dumps(_measure()))


def _open_deals() -> int:
    from kam.sales.models import Deal

    return int(Deal.objects.filter(status="open").count())


def _fill(target: int) -> None:
    """Open deals up to `target`, spread over the open stages and the demo's accounts."""
    from django.db import connection, transaction
    from django.utils import timezone

    from kam.accounts.models import Account
    from kam.demo.generator import insert_rows
    from kam.sales.models import Deal
    from kam.sales.services import default_pipeline

    stages = [s for s in default_pipeline().stages.order_by("position") if s.is_open]
    accounts = list(Account.objects.values_list("pk", "owner_id"))
    now = timezone.now().replace(microsecond=0)
    start = _open_deals()

    def rows() -> Any:
        for n in range(start, target):
            stage = stages[n % len(stages)]
            account, owner = accounts[n % len(accounts)]
            yield {
                "account_id": account,
                "owner_id": owner,
                "title": f"Bench deal {n}",
                "pipeline_id": stage.pipeline_id,
                "stage_id": stage.pk,
                "probability": stage.probability,
                "next_step": "Call",
                "next_step_date": now.date(),
                "stage_entered_at": now - timezone.timedelta(minutes=n),
            }

    with transaction.atomic():
        insert_rows(Deal, rows(), now=now)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _measure() -> dict[str, Any]:
    import time

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kam.users.models import User

    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username="sales_head"))
    client.get("/deals/board/")  # warm-up
    timings = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get("/deals/board/")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as captured:
        client.get("/deals/board/")
    return {"timings": timings, "queries": len(captured), "open_deals": _open_deals()}
