"""Demo contracts for the demo's accounts: frameworks and NDAs for key accounts, supply and
service contracts for other customers, each with its status history and obligations of both
sides; some obligations overdue, some contracts renewing automatically with their notice due.

Call after the sales demo (contracts link to won deals):

    from kam.demo.contracts_data import add_contracts
    add_contracts(result, size=options["size"], seed=options["seed"])

Rows go in with bulk inserts; status moves are written as the services would have (history
rows), so the contract pages, panels and timeline show something real.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from kam.accounts.models import Account, Contact
from kam.contracts import choices
from kam.contracts.models import Contract, ContractStatusChange, Obligation
from kam.demo.generator import DemoResult
from kam.sales.models import Deal
from kam.users.models import Department, User

# Share of the standard customers that get a supply or service contract.
STANDARD_SHARE = {"small": 0.4, "large": 0.02}
MAX_CONTRACTS = 20_000
OURS = [
    ("Deliver the agreed monthly volume", "Logistics"),
    ("Hold a safety stock for the client", "Logistics"),
    ("Invoice by the 5th of each month", "Finance"),
    ("Quarterly business review", None),
    ("Replace defective goods within 10 days", "Service"),
]
THEIRS = [
    "Pay invoices within 30 days",
    "Send the annual volume forecast",
    "Give access to the sites for audits",
    "Recommend us to two companies of the group",
]
TITLES: dict[str, str] = {
    choices.ContractKind.FRAMEWORK: "Framework agreement",
    choices.ContractKind.NDA: "Non-disclosure agreement",
    choices.ContractKind.SUPPLY: "Supply contract",
    choices.ContractKind.SERVICE: "Service agreement",
}
_PATH: dict[str, list[str]] = {
    choices.ContractStatus.DRAFT: [],
    choices.ContractStatus.NEGOTIATION: ["negotiation"],
    choices.ContractStatus.APPROVAL: ["negotiation", "approval"],
    choices.ContractStatus.ACTIVE: ["negotiation", "approval", "signed", "active"],
    choices.ContractStatus.EXPIRED: ["negotiation", "approval", "signed", "active", "expired"],
}


def _plan(rng: random.Random, size: str) -> list[tuple[Account, str]]:
    accounts = Account.objects.filter(deleted_at__isnull=True, kind="customer").order_by("pk")
    plan: list[tuple[Account, str]] = []
    for account in accounts.iterator():
        if account.tier in ("key", "strategic"):
            plan.append((account, choices.ContractKind.FRAMEWORK))
            plan.append((account, choices.ContractKind.NDA))
        elif rng.random() < STANDARD_SHARE.get(size, 0.3):
            plan.append((account, rng.choice([choices.ContractKind.SUPPLY] * 3 + ["service"])))
        if len(plan) >= MAX_CONTRACTS:
            break
    return plan


def _status(rng: random.Random, index: int) -> str:
    # The first ones take each status in turn, so that every status shows whatever the odds.
    cycle = list(_PATH)
    if index < len(cycle):
        return cycle[index]
    return rng.choices(cycle, weights=[1, 1, 1, 8, 1])[0]


def _contract(
    rng: random.Random, account: Account, kind: str, number: str, today: date, status: str
) -> Contract:
    start = (
        today - timedelta(days=rng.randint(30, 700))
        if status in ("active", "expired")
        else (today + timedelta(days=rng.randint(10, 60)))
    )
    term = 12 if kind != choices.ContractKind.NDA else 36
    end = start + relativedelta(months=term) - timedelta(days=1)
    if status == "active" and end < today:  # still in force: its latest renewal
        end = today + timedelta(days=rng.randint(5, 300))
    if status == "expired":
        end = today - timedelta(days=rng.randint(1, 90))
    auto = (
        kind in (choices.ContractKind.FRAMEWORK, choices.ContractKind.SUPPLY) and rng.random() < 0.6
    )
    notice = rng.choice([30, 60, 90]) if status in ("active", "approval") else None
    referral = kind == choices.ContractKind.FRAMEWORK and rng.random() < 0.5
    return Contract(
        number=number,
        kind=kind,
        title=f"{TITLES.get(kind, 'Contract')} {start.year}",
        account=account,
        owner_id=account.owner_id,
        status=status,
        start_date=start,
        end_date=end,
        signed_on=start - timedelta(days=rng.randint(1, 20))
        if status in ("active", "expired")
        else None,
        value=Decimal("0.00")
        if kind == choices.ContractKind.NDA
        else Decimal(rng.randrange(5_000, 900_000, 500)),
        currency="EUR",
        is_auto_renewal=auto,
        renewal_term_months=12 if auto else None,
        notice_period_days=notice,
        notice_date=end - timedelta(days=notice) if notice else None,
        has_referral_clause=referral,
        referral_terms="Two recommendations a year to companies of the client's group"
        if referral
        else "",
    )


def _history(contract: Contract, now: datetime) -> list[ContractStatusChange]:
    path = _PATH.get(contract.status, [])
    moments = [now - timedelta(days=3 * (len(path) - i)) for i in range(len(path) + 1)]
    rows = [
        ContractStatusChange(
            contract=contract,
            event=choices.ChangeEvent.CREATED,
            to_status="draft",
            changed_at=moments[0],
            changed_by_id=contract.owner_id,
        )
    ]
    previous = "draft"
    for moment, status in zip(moments[1:], path, strict=True):
        rows.append(
            ContractStatusChange(
                contract=contract,
                from_status=previous,
                to_status=status,
                changed_at=moment,
                changed_by_id=None if status == "expired" else contract.owner_id,
                reason="The end date passed." if status == "expired" else "",
            )
        )
        previous = status
    return rows


def _obligations(
    rng: random.Random,
    contract: Contract,
    today: date,
    departments: dict[str, int],
    contacts: dict[int, int],
    now: datetime,
) -> list[Obligation]:
    rows = []
    for what, department in rng.sample(OURS, 2):
        due = today + timedelta(days=rng.randint(-40, 120))
        done = contract.status == "expired" or (due < today and rng.random() < 0.6)
        rows.append(
            Obligation(
                contract=contract,
                side=choices.Side.OURS,
                description=what,
                due_date=due,
                department_id=departments.get(department or ""),
                assignee_id=None if department else contract.owner_id,
                status="done" if done else "open",
                closed_at=now - timedelta(days=rng.randint(0, 30)) if done else None,
                closed_by_id=contract.owner_id if done else None,
            )
        )
    due = today + timedelta(days=rng.randint(-20, 90))
    rows.append(
        Obligation(
            contract=contract,
            side=choices.Side.CLIENT,
            description=rng.choice(THEIRS),
            due_date=due,
            contact_id=contacts.get(contract.account_id),
        )
    )
    return rows


@transaction.atomic
def generate_contracts(*, rng: random.Random, size: str) -> dict[str, int]:
    """Insert demo contracts, their history and obligations; returns rows per table."""
    now = timezone.now().replace(microsecond=0)
    today = timezone.localdate()
    departments = dict(Department.objects.values_list("name", "pk"))
    contacts: dict[int, int] = {}
    for account_id, contact_id in Contact.objects.order_by("account", "pk").values_list(
        "account", "pk"
    ):
        contacts.setdefault(account_id, contact_id)
    won = dict(
        Deal.objects.filter(status="won").order_by("account", "pk").values_list("account", "pk")
    )
    signer = User.objects.filter(role="sales_head", is_active=True).order_by("pk").first()
    contracts = []
    for index, (account, kind) in enumerate(_plan(rng, size)):
        status = _status(rng, index)
        contract = _contract(rng, account, kind, f"C-{today.year}-{index + 1:04d}", today, status)
        contract.deal_id = won.get(account.pk) if kind != "nda" else None
        contract.our_signatory = signer if status in ("active", "expired") else None
        contracts.append(contract)
    Contract.objects.bulk_create(contracts, batch_size=1000)
    if (
        contracts and not contracts[0].pk
    ):  # databases that do not return ids: read them back by number
        ids = dict(Contract.objects.values_list("number", "pk"))
        for contract in contracts:
            contract.pk = ids[contract.number]
    history = [row for contract in contracts for row in _history(contract, now)]
    obligations = [
        row
        for contract in contracts
        if contract.kind != choices.ContractKind.NDA
        for row in _obligations(rng, contract, today, departments, contacts, now)
    ]
    ContractStatusChange.objects.bulk_create(history, batch_size=2000)
    Obligation.objects.bulk_create(obligations, batch_size=2000)
    return {
        Contract._meta.db_table: len(contracts),
        ContractStatusChange._meta.db_table: len(history),
        Obligation._meta.db_table: len(obligations),
    }


def add_contracts(result: DemoResult, *, size: str, seed: int) -> int:
    """The demo's contracts after the sales demo, counted into its result; returns how many
    contracts."""
    if not Account.objects.exists():
        return 0
    tables: dict[str, Any] = generate_contracts(rng=random.Random(seed * 15485863 + 7), size=size)
    for table, count in tables.items():
        result.tables[table] = result.tables.get(table, 0) + count
        result.rows += count
    return int(tables[Contract._meta.db_table])
