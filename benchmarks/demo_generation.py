"""`kam demo --size large` generation rate, against a raw sqlite3 `executemany` of the same rows.

Workload: `kam migrate`, then `kam demo --size large --seed 1 --json` as a child process into a
fresh KAM_DATA_DIR (SQLite). Only the demo command is timed (wall clock, process start included);
its rows are what the generator reports, its peak RSS comes from wait4.

Baseline: a copy of the database as migrate left it receives the very rows the demo wrote (read
back from the demo's database, same tables, same columns, primary keys left to the database),
by plain `sqlite3` `executemany` in one transaction, with the same PRAGMAs as KAM's SQLite
settings, in a child process of its own, and indexed for search the way the demo is: the
demo writes inside `kam.accounts.search.bulk_indexing()` (the search triggers set aside, the
new rows indexed in one pass at the end), so the baseline too drops the accounts' and
contacts' search triggers, inserts, fills the word and trigram indexes in one INSERT ... SELECT
each from the same source views, and puts the triggers back. (Into the tables as migrated,
every INSERT would fire the triggers row by row: a baseline several times slower than the
demo's own way of writing, and a meaningless ratio.) Timed: all of it and the commit.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from contextlib import closing
from dataclasses import replace

from benchmarks.harness import (
    Benchmark,
    Context,
    Figure,
    Measurement,
    copy_sqlite,
    kam_argv,
    run_process,
)

SIZE, SEED = "large", 1
MIB = 1024 * 1024
# KAM's SQLite settings (kam/config/settings/base.py), so the baseline writes the same way.
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON")
SEARCH_TRIGGERS = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
    "AND tbl_name IN ('accounts_account', 'accounts_contact') AND name LIKE 'accounts%search%'"
)
# The search index of every row, in one pass (what bulk_indexing() does for the rows it saw).
INDEX_ALL = (
    "INSERT INTO accounts_account_fts(rowid, names, notes, ids) "
    "SELECT id, names, notes, ids FROM accounts_account_search_src",
    "INSERT INTO accounts_account_trgm(rowid, names, ids) "
    "SELECT rowid, names, ids FROM accounts_account_fts",
    "INSERT INTO accounts_contact_fts(rowid, names, title, account, emails, notes, phones) "
    "SELECT id, names, title, account, emails, notes, phones FROM accounts_contact_search_src",
    "INSERT INTO accounts_contact_trgm(rowid, phones) "
    "SELECT rowid, phones FROM accounts_contact_fts",
)


def workload(ctx: Context) -> Measurement:
    data_dir = ctx.tmp / "demo"
    env = ctx.env(KAM_DATA_DIR=str(data_dir))
    run_process(kam_argv("migrate", "--verbosity", "0"), env=env).check()
    # The baseline starts from the same empty schema.
    copy_sqlite(data_dir / "kam.sqlite3", ctx.tmp / "raw" / "kam.sqlite3")
    demo = run_process(
        kam_argv("demo", "--size", SIZE, "--seed", str(SEED), "--json"), env=env
    ).check()
    report = json.loads(demo.stdout.strip().splitlines()[-1])
    rows = report["rows"]
    startup = demo.seconds - report["seconds"]
    return Measurement(
        figures={
            "rate": Figure(
                "rows/s",
                rows / demo.seconds,
                "rows/s",
                note=f"`kam demo --size {SIZE} --seed {SEED}`: {rows:,} rows in "
                f"{demo.seconds:.2f} s wall ({report['seconds']:.2f} s in generate(), "
                f"{startup:.2f} s starting up)",
            ),
            "rate_generate": Figure(
                "rows/s in generate()",
                rows / report["seconds"],
                "rows/s",
                note="the same rows over the time the command spent in generate() alone, "
                "without starting Python and Django",
            ),
            "rss": Figure(
                "peak RSS",
                demo.max_rss / MIB,
                "MiB",
                higher_is_better=False,
                note="the `kam demo` process",
            ),
        },
        facts={"db": data_dir / "kam.sqlite3", "rows": rows, "tables": report["tables"]},
    )


def baseline(ctx: Context, measured: Measurement) -> Measurement:
    target = ctx.tmp / "raw" / "kam.sqlite3"
    raw = run_process(
        [
            sys.executable,
            "-c",
            "import sys; from benchmarks.demo_generation import raw_insert; "
            "raw_insert(sys.argv[1], sys.argv[2], sys.argv[3:])",
            str(measured.facts["db"]),
            str(target),
            *measured.facts["tables"],
        ],
        env=ctx.env(),
    ).check()
    report = json.loads(raw.stdout)
    if report["rows"] != measured.facts["rows"]:
        raise RuntimeError(
            f"the demo reported {measured.facts['rows']:,} rows but its tables "
            f"{', '.join(measured.facts['tables'])} hold {report['rows']:,} new rows"
        )
    rate = Figure(
        "rows/s",
        report["rows"] / report["seconds"],
        "rows/s",
        note=f"{report['rows']:,} rows by executemany, search triggers set aside and the index "
        f"built in one pass (as the demo does), commit: {report['seconds']:.2f} s",
    )
    return Measurement(
        figures={
            "rate": rate,
            "rate_generate": replace(rate, note=""),  # the same floor for both demo rates
            "rss": Figure(
                "peak RSS",
                raw.max_rss / MIB,
                "MiB",
                higher_is_better=False,
                note="a bare python3 + sqlite3 process holding the same rows",
            ),
        }
    )


def raw_insert(source: str, target: str, tables: list[str]) -> None:
    """Copy the rows `tables` gained in `source` into `target` (the same schema), and time it.

    Runs in the baseline's child process; prints {"rows": ..., "seconds": ...}.
    """
    batches: list[tuple[str, list[tuple[object, ...]]]] = []
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        for table in tables:
            info = dst.execute(f'PRAGMA table_info("{table}")').fetchall()
            # The database numbers the rows, as it does for the demo's inserts: an INTEGER
            # PRIMARY KEY (an auto field); a key that is a foreign key (one-to-one) is copied.
            keys = [c for c in info if c[5]]
            auto = len(keys) == 1 and str(keys[0][2]).lower() == "integer"
            columns = [c[1] for c in info if not (auto and c[5])]
            already = dst.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
            names = ", ".join(f'"{c}"' for c in columns)
            rows = src.execute(
                f'SELECT {names} FROM "{table}" ORDER BY rowid LIMIT -1 OFFSET ?', (already,)
            ).fetchall()
            marks = ", ".join("?" * len(columns))
            batches.append((f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows))
    with closing(sqlite3.connect(target, isolation_level=None)) as dst:
        for pragma in PRAGMAS:
            dst.execute(pragma)
        started = time.perf_counter()
        dst.execute("BEGIN IMMEDIATE")
        triggers = dst.execute(SEARCH_TRIGGERS).fetchall()
        for name, _sql in triggers:
            dst.execute(f'DROP TRIGGER "{name}"')
        for sql, rows in batches:
            dst.executemany(sql, rows)
        for sql in INDEX_ALL:
            dst.execute(sql)
        for _name, sql in triggers:
            dst.execute(sql)
        dst.execute("COMMIT")
        seconds = time.perf_counter() - started
    print(json.dumps({"rows": sum(len(rows) for _, rows in batches), "seconds": seconds}))


BENCHMARK = Benchmark(
    name="demo_generation",
    title=f"`kam demo --size {SIZE} --seed {SEED}` into a fresh SQLite database (after migrate)",
    baseline_title="raw sqlite3 executemany of the same rows into the same empty schema, "
    "search triggers set aside and the index built in one pass, as the demo writes",
    workload=workload,
    baseline=baseline,
)
