from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import factory

from kam.accounts.tests.factories import AccountFactory
from kam.sales.models import Deal, Pipeline, Stage


def default_stages() -> dict[str, Stage]:
    """The default pipeline's stages by name (installed by the data migration)."""
    from kam.sales.services import default_pipeline

    return {stage.name: stage for stage in default_pipeline().stages.all()}


def _first_stage() -> Stage:
    return default_stages()["Lead"]


class DealFactory(factory.django.DjangoModelFactory):
    """A deal written straight to the table (tests of reads); services make the rest."""

    class Meta:
        model = Deal
        skip_postgeneration_save = True

    account = factory.SubFactory(AccountFactory)
    title = factory.Sequence(lambda n: f"Deal {n}")
    owner = factory.LazyAttribute(lambda d: d.account.owner)
    stage = factory.LazyFunction(_first_stage)
    pipeline = factory.LazyAttribute(lambda d: d.stage.pipeline)
    status = factory.LazyAttribute(lambda d: d.stage.outcome)
    probability = factory.LazyAttribute(lambda d: d.stage.probability)
    amount = Decimal("1000.00")
    currency = "EUR"
    next_step = "Call back"
    next_step_date = datetime.date(2026, 12, 1)


def stage(name: str) -> Stage:
    return default_stages()[name]


def pipeline() -> Pipeline:
    from kam.sales.services import default_pipeline

    return default_pipeline()


def deal_data(account: Any, **extra: Any) -> dict[str, Any]:
    return {
        "account": account,
        "title": "Fleet renewal",
        "amount": Decimal("12000.00"),
        "currency": "EUR",
        "next_step": "Send the offer",
        "next_step_date": datetime.date(2026, 12, 10),
        **extra,
    }
