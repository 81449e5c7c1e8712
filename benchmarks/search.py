"""Full-text search latency at 200,000 accounts and 1,000,000 contacts, against an indexed lookup.

Workload: `kam migrate` and `kam demo --size large --seed 1` into a fresh SQLite database (or the
database named by KAM_BENCH_SEARCH_DB, reused as it is, to save the ten minutes of a tuning
loop), then, in a child process with KAM's settings, `kam.accounts.search.search()` for a
fixed set of realistic queries drawn from the data (exact names, prefixes, one-letter typos,
contact names, e-mails and their fragments, phone fragments, tax numbers), each run REPEAT
times after one warm-up, for a user who sees everything (the head of sales) and for an account
manager who sees his slice (`am`). Timed: each search() call, wall clock, Django included.

Baseline: in the same process and database, for each query the plainest indexed read there
is: the accounts whose normalised name starts with the query's (a B-tree range on
`accounts_account.name_key`, eight rows, through the ORM), timed the same way.
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import Benchmark, Context, Figure, Measurement, kam_argv, run_process

SIZE, SEED = "large", 1
REPEAT = 5
LIMIT = 8
USERS = {"all": "sales_head", "am": "am"}


def _database(ctx: Context) -> Path:
    reuse = os.environ.get("KAM_BENCH_SEARCH_DB")
    if reuse:
        return Path(reuse).resolve()
    data_dir = ctx.tmp / "kam"
    env = ctx.env(KAM_DATA_DIR=str(data_dir))
    run_process(kam_argv("migrate", "--verbosity", "0"), env=env).check()
    run_process(kam_argv("demo", "--size", SIZE, "--seed", str(SEED), "--json"), env=env).check()
    return data_dir / "kam.sqlite3"


def _measure(ctx: Context, db: Path, mode: str) -> dict[str, Any]:
    done = run_process(
        [
            sys.executable,
            "-c",
            "import sys; from benchmarks.search import measure; measure(sys.argv[1])",
            mode,
        ],
        env=ctx.env(
            KAM_DATA_DIR=str(db.parent), DJANGO_SETTINGS_MODULE="kam.config.settings.local"
        ),
    ).check()
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _figures(report: dict[str, Any], what: str) -> dict[str, Figure]:
    figures = {}
    for key, timings in report["timings"].items():
        for p in (50, 95):
            value = _percentile(timings, p)
            note = (
                f"{what}: {len(timings)} calls ({report['queries']} queries x {REPEAT}) as "
                f"{USERS[key]} (sees {report['visible'][key]:,} accounts), "
                f"mean {statistics.fmean(timings):.1f} ms, max {max(timings):.1f} ms"
            )
            if p == 95 and what == "search":
                note += f"; slowest: {report['slowest'][key]}"
            figures[f"{key}_p{p}"] = Figure(
                f"p{p} latency, {USERS[key]}",
                value,
                "ms",
                higher_is_better=False,
                note=note if p == 95 else "",
            )
    return figures


def _percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def workload(ctx: Context) -> Measurement:
    db = _database(ctx)
    report = _measure(ctx, db, "search")
    return Measurement(figures=_figures(report, "search"), facts={"db": db})


def baseline(ctx: Context, measured: Measurement) -> Measurement:
    report = _measure(ctx, measured.facts["db"], "baseline")
    return Measurement(figures=_figures(report, "indexed name_key range"))


# --- the child process ---------------------------------------------------------------------


def _typo(word: str, rng: random.Random) -> str:
    """One edit at the third letter or later: a swap, a missing or a doubled letter."""
    if len(word) < 5:
        return word + word[-1]
    at = rng.randrange(2, len(word) - 1)
    edit = rng.choice(["swap", "drop", "double"])
    if edit == "swap":
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    if edit == "drop":
        return word[:at] + word[at + 1 :]
    return word[:at] + word[at] + word[at:]


def queries() -> list[str]:
    """Realistic queries, drawn deterministically from the demo data."""
    from kam.accounts.models import Account, Contact

    rng = random.Random(7)
    last = Account.all_objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    picks = sorted(rng.sample(range(1, last + 1), 60))
    accounts = list(
        Account.objects.filter(pk__in=picks).values("name", "country", "tax_number", "phones")
    )
    contacts = list(
        Contact.objects.filter(account_id__in=picks).values(
            "first_name", "last_name", "emails", "phones"
        )[:60]
    )
    found: list[str] = []
    found += [a["name"] for a in accounts[:10]]  # exact names
    found += [a["name"].split()[0][: rng.randint(3, 6)] for a in accounts[10:18]]  # typing
    found += [_typo(a["name"].split()[0].lower(), rng) for a in accounts[18:26]]  # typos
    found += [f"{c['first_name']} {c['last_name']}" for c in contacts[:6]]  # people
    found += [_typo(c["last_name"], rng) for c in contacts[6:10]]
    found += [c["emails"][0] for c in contacts[10:16] if c["emails"]]  # e-mails
    found += [c["emails"][0].split("@")[0] + "@" for c in contacts[16:19] if c["emails"]]
    found += [re.sub(r"\D", "", c["phones"][0])[-7:] for c in contacts[19:24] if c["phones"]]
    found += [
        c["phones"][0][:3] + " " + c["phones"][0][3:6] + " " + c["phones"][0][6:9]
        for c in contacts[24:28]
        if c["phones"]
    ]  # the start of a number as people type it: "+49 151 123"
    found += [
        (a["country"] + a["tax_number"]) if a["country"] == "DE" else a["tax_number"]
        for a in accounts[26:34]
        if a["tax_number"]
    ]
    return found


def measure(mode: str) -> None:
    """Run in the child: time `search()` (or the baseline) per query and user; print JSON."""
    import django

    django.setup()
    from kam.accounts.models import Account
    from kam.accounts.search import search
    from kam.accounts.validation import name_key
    from kam.users.models import User

    def indexed(user: Any, query: str, limit: int) -> list[Any]:
        key = name_key(query)
        rows = Account.all_objects.filter(name_key__gte=key, name_key__lt=key + "\uffff")
        return list(rows.order_by().values("pk", "name")[:limit])

    run = search if mode == "search" else indexed
    found = queries()
    timings: dict[str, list[float]] = {}
    visible: dict[str, int] = {}
    slowest: dict[str, str] = {}
    for key, username in USERS.items():
        slow: list[tuple[float, str]] = []
        user = User.objects.get(username=username)
        visible[key] = Account.objects.visible_to(user).count()
        timings[key] = []
        for query in found:
            run(user, query, LIMIT)  # warm-up: the first call reads the pages from disk
            for _ in range(REPEAT):
                started = time.perf_counter()
                run(user, query, LIMIT)
                elapsed = (time.perf_counter() - started) * 1000
                timings[key].append(elapsed)
                slow.append((elapsed, query))
        top = sorted(set(slow), reverse=True)[:3]
        slowest[key] = ", ".join(f"{q!r} {ms:.0f} ms" for ms, q in top)
    print(
        json.dumps(
            {"timings": timings, "visible": visible, "queries": len(found), "slowest": slowest}
        )
    )


BENCHMARK = Benchmark(
    name="search",
    title=f"kam.accounts.search.search() on `kam demo --size {SIZE}` (200k accounts, 1M "
    "contacts), SQLite",
    baseline_title="an indexed prefix range on accounts_account.name_key, through the ORM",
    workload=workload,
    baseline=baseline,
)
