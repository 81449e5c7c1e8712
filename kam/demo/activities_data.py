"""A year of activities for the demo accounts: calls, meetings, e-mails, chats, letters, faxes,
notes, presentations and tasks, some planned ahead, some tasks overdue.

Reads the accounts, contacts and deals already written and bulk-inserts with `insert_rows` (no
model instances, no signals), then links a contact to each client interaction and rebuilds the
accounts' contact statistics. Strategic accounts are worked most, standard ones least, so the
cadence list has both kinds of account on it. Deterministic for a given `rng` and data.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from kam.accounts.models import Account, Contact
from kam.activities.choices import PLANNABLE
from kam.activities.models import Activity
from kam.activities.services import contact_stats_rebuild
from kam.demo.generator import insert_rows
from kam.sales.models import Deal

# Activities a year per account, by tier (a Poisson-like spread around these).
PER_YEAR = {"strategic": 40, "key": 18, "standard": 3}
SIZE_FACTOR = {"small": 1.0, "large": 0.5}
# (kind, weight) of what happened.
MIX = [
    ("call", 30),
    ("email", 30),
    ("meeting", 10),
    ("chat", 6),
    ("note", 8),
    ("letter", 3),
    ("fax", 1),
    ("presentation", 3),
    ("task", 9),
]
SUBJECTS = {
    "call": ["Follow-up call", "Call about the delivery", "Price question", "Appointment by phone"],
    "email": ["Offer sent", "Re: order confirmation", "Catalogue and price list", "Re: invoice"],
    "meeting": ["Quarterly review", "Needs analysis", "Negotiation", "Visit at the client's"],
    "chat": ["Quick question on stock", "Delivery status", "Chat about the promotion"],
    "note": ["Decision maker changes in spring", "Budget approved", "Competitor is active"],
    "letter": ["Contract amendment", "Letter of thanks"],
    "fax": ["Signed specification"],
    "presentation": ["New product line", "Presentation of the range"],
    "task": ["Send the quote", "Prepare the contract", "Check the delivery", "Call back"],
}
OUTCOMES = ["Interested", "Asked for a quote", "Call again next month", "Order placed", ""]
PLACES = ["Client HQ", "Our office", "Video call", "Trade fair stand"]


def _kinds(rng: random.Random, count: int) -> list[str]:
    kinds, weights = zip(*MIX, strict=True)
    return rng.choices(kinds, weights=weights, k=count)


def _row(
    rng: random.Random,
    kind: str,
    account: tuple[int, int, str],
    when: datetime,
    now: datetime,
    deal: int | None,
) -> dict[str, Any]:
    account_id, owner_id, _tier = account
    row: dict[str, Any] = {
        "kind": kind,
        "account_id": account_id,
        "owner_id": owner_id,
        "deal_id": deal,
        "subject": rng.choice(SUBJECTS[kind]),
        "status": "done",
        "occurred_at": when,
        "created_at": min(when, now),
        "completed_at": when if when <= now else None,
    }
    ahead = when > now
    if kind == "call":
        row.update(direction=rng.choice(["inbound", "outbound"]), outcome=rng.choice(OUTCOMES))
        row["duration_seconds"] = None if ahead else rng.randint(60, 1800)
    elif kind in ("meeting", "presentation"):
        row.update(location=rng.choice(PLACES), ends_at=when + timedelta(hours=1))
        row["agenda"] = "1. Results so far\n2. Needs\n3. Next steps"
        row["outcome"] = "" if ahead else rng.choice(OUTCOMES)
    elif kind in ("email", "letter", "fax"):
        row["direction"] = rng.choice(["inbound", "outbound"])
    if kind == "task":
        row.update(
            due_at=when, assignee_id=owner_id, priority=rng.choice(["low", "normal", "high"])
        )
        # Past tasks are mostly done; a few are overdue (already announced, bar the last days).
        open_task = ahead or rng.random() < 0.1
        row["status"] = "planned" if open_task else "done"
        row["completed_at"] = None if open_task else when
        if open_task and not ahead and when < now - timedelta(days=2):
            row["overdue_notified_at"] = when + timedelta(hours=1)
    elif ahead:
        row.update(status="planned", completed_at=None, remind_at=when - timedelta(hours=1))
    return row


def _plan(rng: random.Random, tier: str, factor: float) -> list[int]:
    """Day offsets from now (negative: past) of one account's activities: a year back, and
    for worked accounts a few in the next four weeks."""
    count = max(0, round(rng.gauss(PER_YEAR[tier], PER_YEAR[tier] / 3) * factor))
    days = [-rng.randint(0, 364) for _ in range(count)]
    if tier != "standard" or rng.random() < 0.2:
        days += [rng.randint(1, 28) for _ in range(rng.randint(1, 3))]
    return days


def generate(*, rng: random.Random, size: str) -> dict[str, int]:
    """Insert a year of activities for every live account; returns rows written per table."""
    if size not in SIZE_FACTOR:
        raise ValueError(f"unknown size {size!r}")
    now = timezone.now().replace(microsecond=0)
    accounts = list(Account.objects.order_by("pk").values_list("pk", "owner_id", "tier"))
    deals: dict[int, list[int]] = defaultdict(list)
    for deal_id, account_id in Deal.objects.order_by("pk").values_list("pk", "account_id"):
        deals[account_id].append(deal_id)
    links: list[int] = []  # per inserted activity: its account, to pick a contact later

    def rows() -> Iterator[dict[str, Any]]:
        for account in accounts:
            offsets = _plan(rng, account[2], SIZE_FACTOR[size])
            for offset, kind in zip(sorted(offsets), _kinds(rng, len(offsets)), strict=True):
                when = (
                    now
                    + timedelta(days=offset, minutes=rng.randint(8 * 60, 18 * 60))
                    - (timedelta(hours=now.hour, minutes=now.minute))
                )
                if when > now and kind not in PLANNABLE:
                    kind = rng.choice(["call", "meeting", "task"])  # only these are planned
                choices_ = deals.get(account[0])
                deal = rng.choice(choices_) if choices_ and rng.random() < 0.4 else None
                links.append(account[0] if kind not in ("note", "task") else 0)
                yield _row(rng, kind, account, when, now, deal)

    written = insert_rows(Activity, rows(), now=now)
    contacts_written = _link_contacts(rng, links, now=now)
    stats = contact_stats_rebuild()
    return {
        "activities_activity": written,
        "activities_activity_contacts": contacts_written,
        "activities_accountcontactstats": stats,
    }


def _link_contacts(rng: random.Random, links: list[int], *, now: datetime) -> int:
    """One contact of the account on each client interaction (by position: the activities'
    primary keys are the last `len(links)` ones, in the order they were written)."""
    if not links:
        return 0
    contacts: dict[int, list[int]] = defaultdict(list)
    for contact_id, account_id in Contact.objects.order_by("pk").values_list("pk", "account_id"):
        contacts[account_id].append(contact_id)
    pks = sorted(Activity._base_manager.order_by("-pk").values_list("pk", flat=True)[: len(links)])
    through = Activity.contacts.through
    rows = (
        {"activity_id": pk, "contact_id": rng.choice(contacts[account_id])}
        for pk, account_id in zip(pks, links, strict=True)
        if account_id and contacts.get(account_id)
    )
    return insert_rows(through, rows, now=now)
