"""`kam import contacts` of a 100,000-row CSV, against a raw sqlite3 `executemany` of the rows.

The file has the shape most CRM exports have: first and last name, e-mail, phone, job title,
company, company website, country; 5 contacts per company (20,000 companies), generated
deterministically, every value valid, no duplicates (so every row is written).

Workload: `kam migrate`, `kam user create bench`, then `kam import contacts FILE --owner bench
--json` as a child process into a fresh KAM_DATA_DIR (SQLite): full validation (e-mail syntax,
phones to E.164 in the company's country, countries to ISO codes, the models' field checks),
duplicate detection (each company looked up by domain and normalised name among the accounts the
user may see, each contact by e-mail, phone and name), the accounts created, the contacts, their
match keys, audit entries, ledger rows and search index, committed in batches. Timed: the whole
command (start-up, the pass that counts rows, the file's hash included). The import runs
IMPORT_RUNS times (2), each into its own fresh database, and the median rate is reported. The same
import of a 20,000-row file shows that peak memory does not grow with the file.

Baseline: a copy of the database as migrate left it receives the same rows by plain `sqlite3`
in one transaction, under KAM's PRAGMAs, in a child process: the CSV parsed with `csv`, each
company INSERTed once (into the accounts table), the contacts by one `executemany` (into the
contacts table). No validation, no duplicate detection, no keys, no audit: the floor for getting
these rows into KAM's tables from Python. Twice: into bare tables (the search index's triggers
dropped first: the strictest floor, the one the `rows/s` ratio is against) and into the tables
as migrated (each INSERT also fires the search triggers, as any plain write to KAM's tables
does; the importer instead indexes each batch in one pass). The bare-table baseline is the
median of BASELINE_RUNS (3) runs, each on a fresh copy of the migrated database: on a shared
machine one executemany run swings by a factor of two, the median much less.

`KAM_BENCH_IMPORT_ROWS=N` scales the large file (default 100,000; the small one stays 20,000 or
N, whichever is smaller), `KAM_BENCH_IMPORT_RUNS` and `KAM_BENCH_IMPORT_BASELINE_RUNS` the counts.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import statistics
import sys
import time
from contextlib import closing
from pathlib import Path

from benchmarks.harness import (
    Benchmark,
    Context,
    Figure,
    Measurement,
    copy_sqlite,
    kam_argv,
    run_process,
)

ROWS = int(os.environ.get("KAM_BENCH_IMPORT_ROWS", "100000"))
SMALL_ROWS = min(20_000, ROWS)
IMPORT_RUNS = max(1, int(os.environ.get("KAM_BENCH_IMPORT_RUNS", "2")))
BASELINE_RUNS = max(1, int(os.environ.get("KAM_BENCH_IMPORT_BASELINE_RUNS", "3")))
PER_COMPANY = 5
MIB = 1024 * 1024
CPU = "cpu_seconds"
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON")
HEADER = ["First Name", "Last Name", "Email", "Phone", "Title", "Company", "Website", "Country"]

# fmt: off
FIRST = ["Anna", "Boris", "Dmitry", "Elena", "Igor", "Irina", "Maxim", "Oleg", "Pavel", "Peter",
         "Sarah", "James", "Laura", "Marco", "Sofia", "Jan", "Eva", "Olga", "Nina", "Tom"]
LAST = ["Ivanov", "Smirnova", "Kuznetsov", "Popova", "Schmidt", "Rossi", "Novak", "Dubois",
        "Berg", "Larsen", "Miller", "Meyer", "Weber", "Fischer", "Moreau", "Bianchi"]
WORDS = ["Alpha", "Beta", "Nord", "Sud", "Tech", "Trade", "Logistics", "Systems", "Industrie",
         "Global", "Prime", "Vector", "Delta", "Orion", "Atlas", "Nova", "Terra", "Metro"]
# fmt: on
FORMS = ["GmbH", "LLC", "Ltd", "AG", "S.A.", "OOO", "Inc."]
TITLES = ["CEO", "CFO", "Buyer", "Head of Procurement", "Engineer", "Office Manager"]
# country name in the file, phone prefix (local numbers then have 7 digits)
COUNTRIES = [
    ("Germany", "+49 30 "),
    ("Russia", "+7 495 "),
    ("France", "+33 1 4"),
    ("United Kingdom", "+44 20 7"),
    ("Italy", "+39 06 "),
]


def write_csv(path: Path, rows: int) -> None:
    """`rows` contacts, PER_COMPANY per company, all valid and distinct; deterministic."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            company = i // PER_COMPANY
            words = f"{WORDS[company % 18]} {WORDS[(company // 18) % 18]} {company}"
            domain = words.lower().replace(" ", "-") + ".example"
            country, prefix = COUNTRIES[company % len(COUNTRIES)]
            first, last = FIRST[i % 20], LAST[(i // 20) % 16]
            writer.writerow(
                [
                    first,
                    last,
                    f"{first.lower()}.{last.lower()}.{i}@{domain}",
                    f"{prefix}{1_000_000 + i % 9_000_000}",
                    TITLES[i % len(TITLES)],
                    f"{words} {FORMS[company % len(FORMS)]}",
                    f"https://www.{domain}",
                    country,
                ]
            )


def _import(
    ctx: Context, name: str, rows: int, source: Path
) -> tuple[dict[str, object], float, int, float]:
    """Migrate a fresh data dir, create the user, import `source` (a file of `rows` rows); return
    the command's JSON summary, its wall time, its peak RSS and its CPU time. The database as
    migrated is kept as `pristine-{name}` for the baselines."""
    data_dir = ctx.tmp / name
    env = ctx.env(KAM_DATA_DIR=str(data_dir))
    run_process(kam_argv("migrate", "--verbosity", "0"), env=env).check()
    run_process(
        kam_argv("user", "create", "bench", "--role", "account_manager", "--password", "x" * 12),
        env=env,
    ).check()
    # The baselines start from the same database: the schema and the owner.
    copy_sqlite(data_dir / "kam.sqlite3", ctx.tmp / f"pristine-{name}" / "kam.sqlite3")
    done = run_process(
        kam_argv("import", "contacts", str(source), "--owner", "bench", "--json", "-v", "0"),
        env=env,
    ).check()
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    if summary["created"] != rows or summary["errors"]:
        raise RuntimeError(f"the import did not create every row: {summary}")
    return summary, done.seconds, done.max_rss, done.cpu_seconds


def workload(ctx: Context) -> Measurement:
    large, small = ctx.tmp / "large.csv", ctx.tmp / "small.csv"
    write_csv(large, ROWS)
    write_csv(small, SMALL_ROWS)
    runs = [
        _import(ctx, "large" if n == 0 else f"large-{n}", ROWS, large) for n in range(IMPORT_RUNS)
    ]
    _small, small_seconds, small_rss, _cpu = _import(ctx, "small", SMALL_ROWS, small)
    summary = runs[0][0]
    seconds = statistics.median(run[1] for run in runs)
    rss = max(run[2] for run in runs)
    cpu = statistics.median(run[3] for run in runs)
    note = (
        f"`kam import contacts` of {ROWS:,} rows: {summary['created']:,} contacts and "
        f"{summary['accounts_created']:,} accounts created; median of {len(runs)} imports, each "
        f"into a fresh database: {seconds:.1f} s wall "
        f"({', '.join(f'{ROWS / run[1]:,.0f}' for run in runs)} rows/s)"
    )
    return Measurement(
        figures={
            "rate": Figure("rows/s", ROWS / seconds, "rows/s", note=note),
            "rate_triggers": Figure(
                "rows/s, search triggers in baseline",
                ROWS / seconds,
                "rows/s",
                note="the same run, against the baseline into the tables as migrated",
            ),
            "cpu_rate": Figure(
                "rows per CPU-second",
                ROWS / cpu,
                "rows/s",
                note=f"the same imports: {ROWS:,} rows / the median CPU time (user + system) of "
                f"the `kam import` process, start-up included ({cpu:.1f} s; "
                f"{', '.join(f'{run[3]:.1f}' for run in runs)} s); steadier than the wall "
                "clock on a busy machine",
            ),
            "rss": Figure(
                f"peak RSS, {ROWS:,} rows",
                rss / MIB,
                "MiB",
                higher_is_better=False,
                note="the `kam import` process (the largest of the imports)",
            ),
            "rss_small": Figure(
                f"peak RSS, {SMALL_ROWS:,} rows",
                small_rss / MIB,
                "MiB",
                higher_is_better=False,
                note=f"the same import of a {SMALL_ROWS:,}-row file ({small_seconds:.1f} s): "
                "memory does not grow with the file",
            ),
        },
        facts={"csv": ctx.tmp / "large.csv", "small_csv": ctx.tmp / "small.csv"},
    )


def _raw(ctx: Context, name: str, database: str, bare: bool) -> tuple[dict[str, float], int]:
    """One baseline run into a fresh copy (`database`) of the database as migrated."""
    copy_sqlite(ctx.tmp / f"pristine-{name}" / "kam.sqlite3", ctx.tmp / database / "kam.sqlite3")
    raw = run_process(
        [
            sys.executable,
            "-c",
            "import sys; from benchmarks.contact_import import raw_insert; "
            "raw_insert(sys.argv[1], sys.argv[2], sys.argv[3] == 'bare')",
            str(ctx.tmp / f"{name}.csv"),
            str(ctx.tmp / database / "kam.sqlite3"),
            "bare" if bare else "triggers",
        ],
        env=ctx.env(),
    ).check()
    return json.loads(raw.stdout), raw.max_rss


def baseline(ctx: Context, measured: Measurement) -> Measurement:
    bare_runs = [_raw(ctx, "large", f"raw-large-{n}", bare=True) for n in range(BASELINE_RUNS)]
    triggers, _rss = _raw(ctx, "large", "raw-large-triggers", bare=False)
    _small, small_rss = _raw(ctx, "small", "raw-small", bare=True)
    rss = max(run_rss for _report, run_rss in bare_runs)

    bare_reports = [report for report, _rss in bare_runs]
    cpu = statistics.median(r["cpu_seconds"] for r in bare_reports)

    def rate(label: str, reports: list[dict[str, float]], what: str) -> Figure:
        report = reports[0]
        if len(reports) > 1:
            rates = ", ".join(f"{r['rows'] / r['seconds']:,.0f}" for r in reports)
            seconds = statistics.median(r["seconds"] for r in reports)
            runs = f"; median of {len(reports)} runs, each on fresh tables ({rates} rows/s)"
        else:
            seconds, runs = report["seconds"], ""
        return Figure(
            label,
            report["rows"] / seconds,
            "rows/s",
            note=f"{report['rows']:,.0f} contacts and {report['accounts']:,.0f} accounts into "
            f"{what} by executemany + commit in {seconds:.2f} s{runs}",
        )

    return Measurement(
        figures={
            "rate": rate("rows/s", bare_reports, "bare tables"),
            "cpu_rate": Figure(
                "rows per CPU-second",
                bare_reports[0]["rows"] / cpu,
                "rows/s",
                note=f"the bare-table runs: rows / the median CPU time of the timed part "
                f"({cpu:.2f} s; {', '.join(f'{r[CPU]:.2f}' for r in bare_reports)} s)",
            ),
            "rate_triggers": rate(
                "rows/s, search triggers in baseline", [triggers], "the tables as migrated"
            ),
            "rss": Figure(f"peak RSS, {ROWS:,} rows", rss / MIB, "MiB", higher_is_better=False),
            "rss_small": Figure(
                f"peak RSS, {SMALL_ROWS:,} rows", small_rss / MIB, "MiB", higher_is_better=False
            ),
        }
    )


def raw_insert(source: str, target: str, bare: bool) -> None:
    """Parse `source` and INSERT its companies and contacts into `target` (without the search
    triggers when `bare`); print the rows and the time."""
    with closing(sqlite3.connect(target, isolation_level=None)) as db:
        for pragma in PRAGMAS:
            db.execute(pragma)
        if bare:
            triggers = db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name IN ('accounts_account', 'accounts_contact')"
            ).fetchall()
            for (trigger,) in triggers:
                db.execute(f'DROP TRIGGER "{trigger}"')
        owner = db.execute("SELECT id FROM users_user WHERE username = 'bench'").fetchone()[0]
        now = "2026-01-01 00:00:00"
        started, cpu_started = time.perf_counter(), time.process_time()
        with open(source, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))[1:]
        db.execute("BEGIN IMMEDIATE")
        accounts: dict[str, int] = {}
        for *_person, company, website, _country in rows:
            if company not in accounts:
                cursor = db.execute(
                    "INSERT INTO accounts_account (name, legal_name, country, tax_number, "
                    "registration_number, industry, size_band, website, domain, phones, emails, "
                    "kind, tier, status, owner_id, source, currency, custom, notes, name_key, "
                    "version, created_at, updated_at) VALUES (?, '', '', '', '', '', '', ?, '', "
                    "'[]', '[]', 'prospect', 'standard', 'lead', ?, '', 'EUR', '{}', '', '', 1, "
                    "?, ?)",
                    (company, website, owner, now, now),
                )
                accounts[company] = int(cursor.lastrowid or 0)
        db.executemany(
            "INSERT INTO accounts_contact (first_name, last_name, job_title, emails, phones, "
            "account_id, middle_name, buying_role, preferred_channel, do_not_contact, notes, "
            "custom, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, '', '', '', 0, "
            "'', '{}', 1, ?, ?)",
            [
                (
                    first,
                    last,
                    title,
                    json.dumps([email]),
                    json.dumps([phone]),
                    accounts[co],
                    now,
                    now,
                )
                for first, last, email, phone, title, co, _website, _country in rows
            ],
        )
        db.execute("COMMIT")
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
    print(
        json.dumps(
            {
                "rows": len(rows),
                "accounts": len(accounts),
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
            }
        )
    )


BENCHMARK = Benchmark(
    name="contact_import",
    title=f"`kam import contacts` of a {ROWS:,}-row CSV (contacts with their companies)",
    baseline_title="raw sqlite3: the same CSV parsed, its companies and contacts INSERTed",
    workload=workload,
    baseline=baseline,
)
