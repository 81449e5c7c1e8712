from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import factory

from kam.accounts.tests.factories import AccountFactory
from kam.contracts import choices
from kam.contracts.models import Contract, Obligation


class ContractFactory(factory.django.DjangoModelFactory):
    """A contract written straight to the table (tests of reads); services make the rest."""

    class Meta:
        model = Contract
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"T-{n:05d}")
    kind = choices.ContractKind.SUPPLY
    title = factory.Sequence(lambda n: f"Supply contract {n}")
    account = factory.SubFactory(AccountFactory)
    owner = factory.LazyAttribute(lambda c: c.account.owner)
    start_date = datetime.date(2026, 1, 1)
    end_date = datetime.date(2026, 12, 31)
    value = Decimal("50000.00")
    currency = "EUR"


class ObligationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Obligation

    contract = factory.SubFactory(ContractFactory)
    side = choices.Side.OURS
    description = factory.Sequence(lambda n: f"Deliver batch {n}")
    due_date = datetime.date(2026, 6, 30)


def contract_data(account: Any, **extra: Any) -> dict[str, Any]:
    return {
        "kind": choices.ContractKind.SUPPLY,
        "title": "Annual supply",
        "account": account,
        "start_date": datetime.date(2026, 1, 1),
        "end_date": datetime.date(2026, 12, 31),
        "value": Decimal("120000.00"),
        "currency": "EUR",
        **extra,
    }
