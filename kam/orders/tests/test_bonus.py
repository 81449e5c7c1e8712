"""Bonus accrual and settlement against a hand computation (docs/orders.md, "Bonuses")."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory
from kam.catalog.choices import AgreementStatus
from kam.catalog.models import Agreement, VolumeTarget
from kam.catalog.tests.factories import AgreementFactory, BonusTierFactory, VolumeTargetFactory
from kam.core.errors import NotFoundError, PermissionDeniedError
from kam.orders import bonus, services
from kam.orders.choices import OrderStatus
from kam.orders.errors import BonusError
from kam.orders.models import BonusSettlement, Order
from kam.orders.tasks import settle_bonuses_task
from kam.orders.tests.factories import ProductFactory, make_order
from kam.users.models import Notification

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 7, 15, 9, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 7, 15)
D = datetime.date


@pytest.fixture(autouse=True)
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def group(org: Any) -> dict[str, Any]:
    """A group: `top` holds the agreement (EUR, 2026); `child` inherits it; `own` has an
    agreement of its own; `grandchild` under `child` inherits it too."""
    top = AccountFactory(owner=org.owner, name="Top")
    child = AccountFactory(owner=org.peer, name="Child", parent=top)
    grandchild = AccountFactory(owner=org.peer, name="Grandchild", parent=child)
    own = AccountFactory(owner=org.owner, name="Own", parent=top)
    agreement = AgreementFactory(account=top, title="Frame 2026", currency="EUR")
    AgreementFactory(account=own, title="Own deal", currency="EUR")
    target = VolumeTargetFactory(
        agreement=agreement,
        period_start=D(2026, 1, 1),
        period_end=D(2026, 6, 30),
        target_amount=Decimal("5000.00"),
    )
    BonusTierFactory(target=target, threshold_amount=Decimal("1000.00"), bonus_percent=1)
    BonusTierFactory(target=target, threshold_amount=Decimal("3000.00"), bonus_percent="2.5")
    return {
        "top": top,
        "child": child,
        "grandchild": grandchild,
        "own": own,
        "agreement": agreement,
        "target": target,
    }


def _order(org: Any, account: Account, quantity: str, price: str = "100.00", cur: str = "EUR"):
    product = ProductFactory(list_price=Decimal(price), currency=cur, vat_rate=Decimal("20"))
    order = make_order(user=org.sales_head, account=account, products=[(product, quantity)])
    return services.order_transition(
        user=org.sales_head, order=order, to=OrderStatus.CONFIRMED
    ).order


def _deliver(org: Any, order: Order, day: datetime.date, quantity: str) -> None:
    line = order.lines.get()
    order.refresh_from_db()
    services.delivery_create(
        user=org.sales_head, order=order, delivered_on=day, lines=[(line.pk, Decimal(quantity))]
    )


def _hand_computed_deliveries(org: Any, group: dict[str, Any]) -> None:
    """Top: 10 x 100.00, 4 delivered the day before the period (out), 6 on 2 Jan (600.00).
    Child: 15 x 100.00 delivered on the period's last day (1500.00, in).
    Grandchild: 5 x 100.00, 2 on the last day (200.00, in), 3 the day after (out).
    Top: 3 x 100.00 delivered in March, then the order cancelled (out).
    Top: 4 x 50.00 USD delivered in February (left out: USD 200.00).
    Own (its own agreement): 10 x 100.00 in May (out)."""
    first = _order(org, group["top"], "10")
    _deliver(org, first, D(2025, 12, 31), "4")
    _deliver(org, first, D(2026, 1, 2), "6")
    _deliver(org, _order(org, group["child"], "15"), D(2026, 6, 30), "15")
    split = _order(org, group["grandchild"], "5")
    _deliver(org, split, D(2026, 6, 30), "2")
    _deliver(org, split, D(2026, 7, 1), "3")
    cancelled = _order(org, group["top"], "5")
    _deliver(org, cancelled, D(2026, 3, 1), "3")
    cancelled.refresh_from_db()
    services.order_transition(
        user=org.sales_head, order=cancelled, to=OrderStatus.CANCELLED, reason="Client stopped"
    )
    _deliver(org, _order(org, group["top"], "4", price="50.00", cur="USD"), D(2026, 2, 1), "4")
    _deliver(org, _order(org, group["own"], "10"), D(2026, 5, 1), "10")


def test_accrual_against_a_hand_computation(org: Any, group: dict[str, Any]) -> None:
    # given the deliveries of the docstring above
    _hand_computed_deliveries(org, group)

    # when the child's page asks on the period's last day
    agreement, (accrual,) = bonus.account_bonus(account=group["child"], on=D(2026, 6, 30))

    # then 600 + 1500 + 200 = 2300.00 EUR: tier 1 % (23.00), 700.00 missing to 2.5 %
    assert agreement == group["agreement"]
    assert accrual.currency == "EUR"
    assert accrual.achieved_amount == Decimal("2300.00")
    assert accrual.earned_amount == Decimal("23.00")
    assert accrual.current_tier.bonus_percent == Decimal("1.00")
    assert accrual.next_tier.bonus_percent == Decimal("2.50")
    assert accrual.missing_to_next == Decimal("700.00")
    assert accrual.excluded == {"USD": Decimal("200.00")}
    assert set(accrual.account_ids) == {
        group["top"].pk,
        group["child"].pk,
        group["grandchild"].pk,
    }
    assert accrual.settlement is None


def test_accrual_counts_only_until_the_day_asked(org: Any, group: dict[str, Any]) -> None:
    _hand_computed_deliveries(org, group)

    _, (accrual,) = bonus.account_bonus(account=group["top"], on=D(2026, 6, 29))

    assert accrual.achieved_amount == Decimal("600.00")
    assert accrual.current_tier is None
    assert accrual.earned_amount == Decimal("0.00")
    assert accrual.missing_to_next == Decimal("400.00")


def test_an_account_with_its_own_agreement_accrues_only_its_own(
    org: Any, group: dict[str, Any]
) -> None:
    _hand_computed_deliveries(org, group)
    own_agreement = Agreement.objects.get(account=group["own"])
    target = VolumeTargetFactory(
        agreement=own_agreement, period_start=D(2026, 1, 1), period_end=D(2026, 12, 31)
    )
    BonusTierFactory(target=target, threshold_amount=Decimal("500.00"), bonus_percent=2)

    agreement, (accrual,) = bonus.account_bonus(account=group["own"], on=TODAY)

    assert agreement == own_agreement
    assert accrual.achieved_amount == Decimal("1000.00")
    assert accrual.earned_amount == Decimal("20.00")
    assert accrual.next_tier is None
    assert accrual.missing_to_next == Decimal("0.00")


def test_no_agreement_means_no_bonus(org: Any) -> None:
    assert bonus.account_bonus(account=AccountFactory(owner=org.owner), on=TODAY) == (None, [])


def test_accrual_queries_do_not_grow_with_orders(
    org: Any, group: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    _hand_computed_deliveries(org, group)
    for _ in range(5):
        _deliver(org, _order(org, group["child"], "1"), D(2026, 3, 3), "1")

    # agreement lookup (2 levels: child, top) + targets + tiers + settlements + tree + own + sum
    with django_assert_max_num_queries(8):
        _, (accrual,) = bonus.account_bonus(account=group["child"], on=D(2026, 6, 30))

    assert accrual.achieved_amount == Decimal("2800.00")


# --- settlement -------------------------------------------------------------------------------


def test_the_beat_task_settles_once_with_frozen_figures_audited_and_notified(
    org: Any, group: dict[str, Any]
) -> None:
    _hand_computed_deliveries(org, group)

    first = settle_bonuses_task()
    second = settle_bonuses_task()

    assert first == {"settled": 1, "skipped": 0}
    assert second == {"settled": 0, "skipped": 0}
    settlement = BonusSettlement.objects.get()
    assert settlement.target == group["target"]
    assert settlement.account == group["top"]
    assert (settlement.period_start, settlement.period_end) == (D(2026, 1, 1), D(2026, 6, 30))
    assert settlement.counted_until == D(2026, 6, 30)
    assert settlement.achieved_amount == Decimal("2300.00")
    assert settlement.bonus_percent == Decimal("1.00")
    assert settlement.threshold_amount == Decimal("1000.00")
    assert settlement.bonus_amount == Decimal("23.00")
    assert settlement.excluded == {"USD": "200.00"}
    assert settlement.settled_by is None
    assert settlement.notified_at is not None
    notices = list(Notification.objects.filter(recipient=org.owner, title__startswith="Bonus"))
    assert [n.title for n in notices] == [
        "Bonus settled for Top, 2026-01-01 to 2026-06-30: 23.00 EUR"
    ]
    assert LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(BonusSettlement),
        object_pk=str(settlement.pk),
        action=LogEntry.Action.CREATE,
    ).exists()


def test_a_later_delivery_does_not_change_a_settlement(org: Any, group: dict[str, Any]) -> None:
    _hand_computed_deliveries(org, group)
    settle_bonuses_task()

    _deliver(org, _order(org, group["top"], "20"), D(2026, 6, 1), "20")
    settle_bonuses_task()

    assert BonusSettlement.objects.get().achieved_amount == Decimal("2300.00")
    _, (accrual,) = bonus.account_bonus(account=group["top"], on=D(2026, 6, 30))
    assert accrual.achieved_amount == Decimal("4300.00")
    assert accrual.settlement is not None


def test_settling_twice_directly_is_a_no_op(org: Any, group: dict[str, Any]) -> None:
    _hand_computed_deliveries(org, group)

    assert bonus.bonus_settle(target=group["target"]) is not None
    assert bonus.bonus_settle(target=group["target"]) is None
    assert BonusSettlement.objects.count() == 1
    assert Notification.objects.filter(title__startswith="Bonus").count() == 1


def test_periods_still_running_and_unapproved_agreements_are_not_due(
    org: Any, group: dict[str, Any]
) -> None:
    VolumeTargetFactory(
        agreement=group["agreement"], period_start=D(2026, 7, 1), period_end=D(2026, 12, 31)
    )
    draft = AgreementFactory(account=AccountFactory(owner=org.owner), status=AgreementStatus.DRAFT)
    VolumeTargetFactory(agreement=draft, period_start=D(2026, 1, 1), period_end=D(2026, 3, 31))

    assert list(bonus.targets_due(today=TODAY)) == [group["target"]]


def test_head_of_sales_settles_now_counting_until_today(org: Any, group: dict[str, Any]) -> None:
    running = VolumeTargetFactory(
        agreement=group["agreement"], period_start=D(2026, 7, 1), period_end=D(2026, 12, 31)
    )
    BonusTierFactory(target=running, threshold_amount=Decimal("100.00"), bonus_percent=3)
    _deliver(org, _order(org, group["child"], "2"), D(2026, 7, 10), "2")

    settlement = bonus.bonus_settle_now(user=org.sales_head, target_id=running.pk)

    assert settlement.counted_until == TODAY
    assert settlement.achieved_amount == Decimal("200.00")
    assert settlement.bonus_amount == Decimal("6.00")
    assert settlement.settled_by == org.sales_head
    with pytest.raises(BonusError) as refused:
        bonus.bonus_settle_now(user=org.sales_head, target_id=running.pk)
    assert refused.value.fields == {"target": ["This period is already settled."]}


@pytest.mark.parametrize("who", ["owner", "lead", "auditor", "kam"])
def test_settle_now_is_for_heads_of_sales(org: Any, group: dict[str, Any], who: str) -> None:
    expected = NotFoundError if who == "kam" else PermissionDeniedError

    with pytest.raises(expected):
        bonus.bonus_settle_now(user=getattr(org, who), target_id=group["target"].pk)

    assert BonusSettlement.objects.count() == 0


def test_settle_now_refuses_a_period_not_begun(org: Any, group: dict[str, Any]) -> None:
    future = VolumeTargetFactory(
        agreement=group["agreement"], period_start=D(2026, 9, 1), period_end=D(2026, 12, 31)
    )

    with pytest.raises(BonusError) as refused:
        bonus.bonus_settle_now(user=org.sales_head, target_id=future.pk)

    assert refused.value.fields == {"target": ["The target's period has not begun."]}
    assert not VolumeTarget.objects.filter(bonus_settlements__isnull=False).exists()


# --- credit limit -----------------------------------------------------------------------------


def test_credit_limit_comes_from_the_agreement_before_the_account(
    org: Any, group: dict[str, Any]
) -> None:
    from kam.orders.selectors import credit_limit_for

    group["child"].credit_limit = Decimal("500.00")
    group["child"].save()
    group["agreement"].credit_limit = Decimal("25000.00")
    group["agreement"].save()
    lone = AccountFactory(owner=org.owner, credit_limit=Decimal("700.00"), currency="EUR")

    inherited = credit_limit_for(group["child"], TODAY)
    own_only = credit_limit_for(lone, TODAY)
    after_the_agreement = credit_limit_for(group["child"], D(2027, 1, 1))

    assert (inherited.amount, inherited.currency, inherited.source) == (
        Decimal("25000.00"),
        "EUR",
        "agreement",
    )
    assert (own_only.amount, own_only.source) == (Decimal("700.00"), "account")
    assert (after_the_agreement.amount, after_the_agreement.source) == (
        Decimal("500.00"),
        "account",
    )


def test_an_agreement_without_a_limit_leaves_the_account_limit(
    org: Any, group: dict[str, Any]
) -> None:
    from kam.orders.selectors import credit_limit_for

    group["child"].credit_limit = Decimal("500.00")
    group["child"].save()

    limit = credit_limit_for(group["child"], TODAY)

    assert (limit.amount, limit.source) == (Decimal("500.00"), "account")


def test_confirming_checks_the_agreement_limit(org: Any, group: dict[str, Any]) -> None:
    group["child"].credit_limit = Decimal("100000.00")
    group["child"].save()
    group["agreement"].credit_limit = Decimal("1000.00")
    group["agreement"].save()
    product = ProductFactory(list_price=Decimal("100.00"), vat_rate=Decimal("20"))
    order = make_order(user=org.peer, account=group["child"], products=[(product, "9")])

    from kam.orders.errors import CreditLimitExceededError

    with pytest.raises(CreditLimitExceededError):
        services.order_transition(user=org.peer, order=order, to=OrderStatus.CONFIRMED)

    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED
