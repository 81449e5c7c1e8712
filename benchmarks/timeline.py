"""The account timeline's first page with 5,000,000 activities in the database (SQLite).

Workload: `kam migrate` into a fresh SQLite database; in a child process with KAM's settings,
50,000 accounts (one busy key account among them with 20,000 activities) and ROWS activities
(default 5,000,000; `KAM_BENCH_TIMELINE_ROWS=N` or `python -m benchmarks.timeline --rows N`)
bulk-inserted with `executemany`, then `ANALYZE`. Timed: REPEAT calls of the activities
timeline source as registered in `core.registry` (what the account page calls, through
`core.access`), for the busy account and for accounts of ordinary size, as the account's owner
(an account manager) and as the head of sales; the SQL queries of one call are counted.

Baseline: in the same process and database, the plainest read of the same page: raw `sqlite3`
`SELECT ... WHERE account_id = ? AND deleted_at IS NULL ORDER BY occurred_at DESC, id DESC
LIMIT 20` on the same connection settings, timed the same way.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.harness import Benchmark, Context, Figure, Measurement, kam_argv, run_process

ROWS = int(os.environ.get("KAM_BENCH_TIMELINE_ROWS", "5000000"))
ACCOUNTS = 50_000
BUSY = 20_000  # activities of the busy account
REPEAT = 200
LIMIT = 20


def _run_child(ctx: Context, data_dir: Path, mode: str) -> dict[str, Any]:
    done = run_process(
        [sys.executable, "-m", "benchmarks.timeline", "--child", mode, "--rows", str(ROWS)],
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
            f"{what}: {len(timings)} calls on {report['rows']:,} activities, "
            f"{report['queries'].get(key, '-')} SQL queries per call, "
            f"mean {statistics.fmean(timings):.2f} ms, max {max(timings):.2f} ms"
        )
        if "generate_seconds" in report:
            note += f"; data generated in {report['generate_seconds']:.0f} s"
        figures[f"{key}_p95"] = Figure(
            f"p95 first page, {key}", _percentile(timings, 95), "ms", False, note
        )
    return figures


def workload(ctx: Context) -> Measurement:
    data_dir = ctx.tmp / "kam"
    env = ctx.env(KAM_DATA_DIR=str(data_dir))
    run_process(kam_argv("migrate", "--verbosity", "0"), env=env).check()
    _run_child(ctx, data_dir, "generate")
    report = _run_child(ctx, data_dir, "workload")
    figures = _figures(report, "timeline source")
    figures["queries"] = Figure(
        "SQL queries per page",
        float(max(report["queries"].values())),
        "queries",
        False,
        "the most any timeline call issued",
    )
    return Measurement(figures=figures, facts={"data_dir": data_dir})


def baseline(ctx: Context, measured: Measurement) -> Measurement:
    report = _run_child(ctx, measured.facts["data_dir"], "baseline")
    figures = _figures(report, "raw sqlite3 indexed read")
    figures["queries"] = Figure("SQL queries per page", 1.0, "queries", False, "one SELECT")
    return Measurement(figures=figures)


BENCHMARK = Benchmark(
    name="timeline",
    title=f"account timeline first page with {ROWS:,} activities (SQLite)",
    baseline_title="the same page read with one raw sqlite3 SELECT on the timeline index",
    workload=workload,
    baseline=baseline,
)


# --- the child process ---------------------------------------------------------------------


def _generate(rows: int) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from kam.accounts.models import Account
    from kam.core.roles import Role
    from kam.demo.generator import insert_rows
    from kam.users.models import User

    started = time.perf_counter()
    now = timezone.now().replace(microsecond=0)
    rng = random.Random(5)
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
            (
                {"name": f"Account {n}", "owner_id": owner, "tier": "key" if n == 0 else "standard"}
                for n in range(ACCOUNTS)
            ),
            now=now,
        )
    first = Account.objects.order_by("pk").values_list("pk", flat=True)[0]
    columns = (
        "created_at, updated_at, version, kind, subject, body, status, occurred_at, owner_id, "
        "account_id, direction, outcome, location, agenda, priority"
    )
    sql = (
        f"INSERT INTO activities_activity ({columns}) "  # noqa: S608 - constant names
        "VALUES (%s, %s, 1, %s, %s, '', 'done', %s, %s, %s, '', '', '', '', 'normal')"
    )
    kinds = ["call", "email", "meeting", "note", "chat"]
    start = datetime.now(UTC) - timedelta(days=365 * 3)
    span = 365 * 3 * 86400

    def batch(offset: int, size: int) -> list[tuple[Any, ...]]:
        out = []
        for i in range(offset, offset + size):
            account = first if i < BUSY else first + rng.randrange(1, ACCOUNTS)
            when = (start + timedelta(seconds=rng.randrange(span))).strftime("%Y-%m-%d %H:%M:%S")
            out.append((when, when, kinds[i % 5], f"Activity {i}", when, owner, account))
        return out

    with connection.cursor() as cursor:
        for offset in range(0, rows, 50_000):
            with transaction.atomic():
                cursor.executemany(sql, batch(offset, min(50_000, rows - offset)))
        cursor.execute("ANALYZE")
    return {"rows": rows, "generate_seconds": time.perf_counter() - started}


def _targets() -> dict[str, int]:
    from kam.accounts.models import Account

    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True)[:2])
    return {"busy account": ids[0], "ordinary account": ids[1]}


def _measure_workload(rows: int) -> dict[str, Any]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from kam.accounts.models import Account
    from kam.core import registry
    from kam.users.models import User

    source = registry.timeline_sources()["activities"]
    timings: dict[str, list[float]] = {}
    queries: dict[str, int] = {}
    for username in ("am", "head"):
        user = User.objects.get(username=username)
        for label, pk in _targets().items():
            account = Account.objects.get(pk=pk)
            key = f"{label}, {'manager' if username == 'am' else 'head of sales'}"
            source(user, account, None, LIMIT)  # warm-up (also caches the user's team)
            with CaptureQueriesContext(connection) as captured:
                page = source(user, account, None, LIMIT)
            assert page, key
            queries[key] = len(captured.captured_queries)
            runs = []
            for _ in range(REPEAT):
                began = time.perf_counter()
                source(user, account, None, LIMIT)
                runs.append((time.perf_counter() - began) * 1000)
            timings[key] = runs
            reset_queries()
    return {"rows": rows, "timings": timings, "queries": queries}


def _measure_baseline(rows: int) -> dict[str, Any]:
    import sqlite3

    from django.conf import settings

    db = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
    db.execute("PRAGMA journal_mode=WAL")
    sql = (
        "SELECT id, kind, subject, occurred_at, owner_id, outcome, body FROM activities_activity "
        "WHERE account_id = ? AND deleted_at IS NULL AND occurred_at <= ? "
        "ORDER BY occurred_at DESC, id DESC LIMIT ?"
    )
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    timings: dict[str, list[float]] = {}
    for who in ("manager", "head of sales"):
        for label, pk in _targets().items():
            db.execute(sql, (pk, now, LIMIT)).fetchall()
            runs = []
            for _ in range(REPEAT):
                began = time.perf_counter()
                page = db.execute(sql, (pk, now, LIMIT)).fetchall()
                runs.append((time.perf_counter() - began) * 1000)
            assert page
            timings[f"{label}, {who}"] = runs
    return {"rows": rows, "timings": timings, "queries": {}}


def main(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.timeline")
    parser.add_argument("--child", choices=["generate", "workload", "baseline"])
    parser.add_argument("--rows", type=int, default=ROWS)
    args = parser.parse_args(argv)
    if args.child is None:  # run this benchmark alone, with the row count given
        os.environ["KAM_BENCH_TIMELINE_ROWS"] = str(args.rows)
        import importlib

        from benchmarks import harness

        module = importlib.import_module("benchmarks.timeline")  # reads the row count anew
        print(harness.render([harness.run(module.BENCHMARK)]))
        return
    import django

    django.setup()
    run = {"generate": _generate, "workload": _measure_workload, "baseline": _measure_baseline}
    print(json.dumps(run[args.child](args.rows)))


if __name__ == "__main__":
    main(sys.argv[1:])
