"""Demo deals for the demo's accounts: every stage of the default cycle, with histories.

Each deal walked the cycle stage by stage over the past months (one StageChange per move, with
the time spent in the stage before), so the board, the stage history, the forecast and the
account timeline show something real. Deals at or past "needs identified" have needs (the stage
requires them); deals at or past "presented" have objections, resolved once handled. Some deals
are won, some lost with a reason and a competitor. Rows go in with bulk inserts.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from kam.accounts.models import Account
from kam.demo.generator import DemoResult, insert_rows
from kam.sales.models import Deal, Need, Objection, Stage, StageChange
from kam.sales.services import default_pipeline

DEALS_PER_ACCOUNT = {"small": 0.7, "large": 0.05}

TOPICS = [
    "Fleet fuel cards",
    "Annual supply contract",
    "Spare parts framework",
    "Packaging materials",
    "Office equipment renewal",
    "Logistics outsourcing",
    "Service agreement",
    "Pilot order",
    "Regional distribution",
    "Key-account agreement",
]
NEEDS = [
    ("Lower total cost of ownership", "high"),
    ("Delivery within 48 hours", "high"),
    ("Monthly invoicing", "medium"),
    ("A single contact for all sites", "medium"),
    ("Training for the staff", "low"),
    ("Certificates of conformity", "medium"),
]
OBJECTIONS = [
    ("price", "Your price is 12% above the current supplier's.", "Volume discount from 50 units."),
    ("timing", "The budget is frozen until next quarter.", "Deferred payment agreed."),
    ("competitor", "We already work with a competitor.", "A pilot on one site, side by side."),
    ("quality", "We had defects with a similar product.", "Quality certificates and a sample."),
    ("trust", "We have never heard of your company.", "References from two clients nearby."),
]
LOST = [
    ("Price too high", "Rival Trading"),
    ("No budget this year", ""),
    ("Chose a competitor", "Nordic Supply"),
]
CURRENCIES = ["EUR"] * 6 + ["USD", "RUB"]


def generate_sales(
    *, rng: random.Random, size: str, now: datetime, insert: Callable[..., None]
) -> int:
    """Insert demo deals for the accounts in the database; returns the number of deals.

    `insert(model, rows)` writes rows (the demo generator's bulk insert, which also counts them).
    """
    stages = list(default_pipeline().stages.order_by("position"))
    open_stages = [s for s in stages if s.is_open]
    won = next(s for s in stages if s.outcome == "won")
    lost = next(s for s in stages if s.outcome == "lost")
    accounts = list(
        Account.objects.filter(deleted_at__isnull=True).order_by("pk").values_list("pk", "owner_id")
    )
    share = DEALS_PER_ACCOUNT.get(size, 0.5)
    chosen = [a for a in accounts if rng.random() < share]
    # The first deals end in each stage in turn, so that every stage has some whatever the odds.
    ends = [*open_stages, won, lost]
    plans = [
        _plan(rng, now, account, open_stages, won, lost, ends[n] if n < len(ends) else None)
        for n, account in enumerate(chosen)
    ]
    before = Deal.all_objects.aggregate(top=Max("pk"))["top"] or 0
    insert(Deal, (plan["deal"] for plan in plans))
    pks = list(Deal.all_objects.filter(pk__gt=before).order_by("pk").values_list("pk", flat=True))
    insert(StageChange, _with_deal(pks, plans, "changes"))
    insert(Need, _with_deal(pks, plans, "needs"))
    insert(Objection, _with_deal(pks, plans, "objections"))
    return len(pks)


def _with_deal(pks: list[int], plans: list[dict[str, Any]], key: str) -> Iterator[dict[str, Any]]:
    for pk, plan in zip(pks, plans, strict=True):
        for row in plan[key]:
            yield {**row, "deal_id": pk}


def _plan(
    rng: random.Random,
    now: datetime,
    account: tuple[int, int],
    open_stages: list[Stage],
    won: Stage,
    lost: Stage,
    end: Stage | None,
) -> dict[str, Any]:
    """One deal: where it ended (`end`, or by chance), how it walked there, its needs and
    objections."""
    account_id, owner_id = account
    roll = rng.random()
    if end is not None:
        roll = 0.0 if end == won else 0.2 if end == lost else 1.0
    if roll < 0.15:
        path = [*open_stages, won]
    elif roll < 0.28:
        path = [*open_stages[: rng.randint(2, len(open_stages))], lost]
    elif end is not None:
        path = open_stages[: open_stages.index(end) + 1]
    else:
        path = open_stages[: rng.randint(1, len(open_stages))]
    final = path[-1]
    started = now - timedelta(days=rng.randint(20, 300), hours=rng.randint(0, 23))
    changes: list[dict[str, Any]] = []
    moment = started
    previous: Stage | None = None
    for stage in path:
        spent = None
        if previous is not None:
            last: datetime = changes[-1]["changed_at"]
            spent = int((moment - last).total_seconds())
        changes.append(
            {
                "from_stage_id": previous.pk if previous else None,
                "to_stage_id": stage.pk,
                "changed_at": moment,
                "changed_by_id": owner_id,
                "seconds_in_from_stage": spent,
            }
        )
        previous = stage
        moment = min(moment + timedelta(days=rng.randint(2, 25), hours=rng.randint(0, 8)), now)
    entered: datetime = changes[-1]["changed_at"]
    reason, competitor = rng.choice(LOST) if final.outcome == "lost" else ("", "")
    amount = Decimal(rng.randrange(20, 2000) * 250)
    deal = {
        "account_id": account_id,
        "title": f"{rng.choice(TOPICS)} {now.year - rng.randint(0, 1)}",
        "pipeline_id": final.pipeline_id,
        "stage_id": final.pk,
        "status": final.outcome,
        "amount": amount,
        "currency": rng.choice(CURRENCIES),
        "probability": final.probability,
        "expected_close_date": (entered + timedelta(days=rng.randint(10, 150))).date(),
        "owner_id": owner_id,
        "next_step": "Call to agree the next meeting" if final.is_open else "",
        "next_step_date": (now + timedelta(days=rng.randint(1, 21))).date()
        if final.is_open
        else None,
        "lost_reason": reason,
        "lost_to": competitor,
        "stage_entered_at": entered,
        "closed_at": entered if not final.is_open else None,
        "created_at": started,
    }
    names = [s.name for s in path]
    has_needs = "Needs identified" in names
    has_objections = "Presented" in names
    handled = "Objections handled" in names
    return {
        "deal": deal,
        "changes": changes,
        "needs": _needs(rng, started) if has_needs else [],
        "objections": _objections(rng, started, handled) if has_objections else [],
    }


def _needs(rng: random.Random, when: datetime) -> list[dict[str, Any]]:
    return [
        {"description": text, "priority": priority, "created_at": when}
        for text, priority in rng.sample(NEEDS, rng.randint(1, 3))
    ]


def _objections(rng: random.Random, when: datetime, handled: bool) -> list[dict[str, Any]]:
    rows = []
    for kind, text, answer in rng.sample(OBJECTIONS, rng.randint(1, 2)):
        resolved = handled or rng.random() < 0.3
        rows.append(
            {
                "kind": kind,
                "description": text,
                "answer": answer if resolved else "",
                "is_resolved": resolved,
                "resolved_at": when if resolved else None,
                "created_at": when,
            }
        )
    return rows


@transaction.atomic
def add_sales(result: DemoResult, *, size: str, seed: int) -> int:
    """The demo's deals after `generate()`, counted into its result (rows and tables)."""
    now = timezone.now().replace(microsecond=0)

    def insert(model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> None:
        written = insert_rows(model, rows, now=now)
        table = model._meta.db_table
        result.tables[table] = result.tables.get(table, 0) + written
        result.rows += written

    return generate_sales(rng=random.Random(seed * 7919 + 4), size=size, now=now, insert=insert)
