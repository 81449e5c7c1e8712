"""Volume bonuses of key-account agreements: the accrual (what the delivered orders have earned so
far against a volume target) and the settlement at the period's end (docs/orders.md, "Bonuses").

The accrual counts, for every account that inherits the agreement (its own account, and for a
group agreement every account below it in the group without a nearer agreement of its own), the
net value of what was delivered within the target's period: delivered quantity x the line's net
unit price, summed per delivery line, rounded half up to cents once at the end. Orders that were
cancelled or are in the trash do not count; orders in another currency than the agreement's are
left out and reported per currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import (
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.catalog.choices import AgreementStatus
from kam.catalog.models import Agreement, BonusTier, VolumeTarget
from kam.catalog.pricing import money
from kam.catalog.selectors import MAX_GROUP_DEPTH, Bonus, agreement_for, bonus_for
from kam.core import access
from kam.core.audit import acting_as
from kam.core.errors import NotFoundError, PermissionDeniedError
from kam.core.roles import Role
from kam.orders.choices import OrderStatus
from kam.orders.errors import BonusError
from kam.orders.models import BonusSettlement, DeliveryLine
from kam.users.services import notification_create

ZERO = Decimal("0.00")
SETTLERS = frozenset({Role.SALES_HEAD, Role.ADMIN})
_EXACT = DecimalField(max_digits=24, decimal_places=5)


@dataclass(frozen=True)
class Accrual:
    """What one volume target has accrued from the deliveries counted until `until`."""

    target: VolumeTarget
    currency: str
    until: date
    achieved_amount: Decimal
    bonus: Bonus
    account_ids: tuple[int, ...]
    # Delivered net amounts in other currencies, not counted: {"USD": Decimal("40.00")}.
    excluded: dict[str, Decimal] = field(default_factory=dict)
    settlement: BonusSettlement | None = None

    @property
    def earned_amount(self) -> Decimal:
        return self.bonus.earned_amount

    @property
    def current_tier(self) -> BonusTier | None:
        return self.bonus.current_tier

    @property
    def next_tier(self) -> BonusTier | None:
        return self.bonus.next_tier

    @property
    def missing_to_next(self) -> Decimal:
        return self.bonus.missing_to_next


# --- selectors --------------------------------------------------------------------------------


def _group_below(root_id: int) -> dict[int, int | None]:
    """{account id: parent id} for the account and every account below it in its group, in one
    query (a recursive CTE, bounded by the catalog's group depth so a loop in the data ends)."""
    table = connection.ops.quote_name(Account._meta.db_table)
    sql = (
        f"WITH RECURSIVE tree(id, parent_id, depth) AS ("  # noqa: S608 - only the table name
        f" SELECT id, parent_id, 0 FROM {table} WHERE id = %s"
        f" UNION ALL"
        f" SELECT a.id, a.parent_id, tree.depth + 1 FROM {table} a"
        f" JOIN tree ON a.parent_id = tree.id WHERE tree.depth < %s"
        f") SELECT id, parent_id FROM tree"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [root_id, MAX_GROUP_DEPTH])
        rows = cursor.fetchall()
    tree: dict[int, int | None] = {}
    for account_id, parent_id in rows:
        tree.setdefault(account_id, None if account_id == root_id else parent_id)
    return tree


def inheriting_accounts(*, agreement: Agreement, on: date) -> list[int]:
    """The ids of the accounts for which `agreement` is the agreement in force on `on`: its own
    account, and for a group agreement every account below it whose path up to it meets no
    approved agreement of its own valid that day (the same rule as `agreement_for`). Two
    queries whatever the group's size."""
    tree = _group_below(agreement.account_id)
    below = [account_id for account_id in tree if account_id != agreement.account_id]
    own = set(
        Agreement.objects.filter(
            account_id__in=below, status=AgreementStatus.APPROVED, valid_from__lte=on
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .values_list("account_id", flat=True)
    )
    members = []
    for account_id in tree:
        node: int | None = account_id
        steps = 0
        while node is not None and node != agreement.account_id and steps <= MAX_GROUP_DEPTH:
            if node in own:
                break
            node = tree.get(node)
            steps += 1
        if node == agreement.account_id:
            members.append(account_id)
    return sorted(members)


def _delivered_by_currency(
    *, account_ids: Sequence[int], targets: Sequence[VolumeTarget], until: date
) -> dict[int, dict[str, Decimal]]:
    """{target id: {currency: delivered net}}: one query for all the targets."""
    value = ExpressionWrapper(F("quantity") * F("line__unit_price"), output_field=_EXACT)
    sums = {
        f"t{target.pk}": Sum(
            value,
            filter=Q(
                delivery__delivered_on__gte=target.period_start,
                delivery__delivered_on__lte=min(target.period_end, until),
            ),
            output_field=_EXACT,
        )
        for target in targets
    }
    rows = (
        DeliveryLine.objects.filter(
            delivery__order__account_id__in=list(account_ids),
            delivery__order__deleted_at__isnull=True,
        )
        .exclude(delivery__order__status=OrderStatus.CANCELLED)
        .values("delivery__order__currency")
        .annotate(**sums)
        .order_by("delivery__order__currency")
    )
    result: dict[int, dict[str, Decimal]] = {target.pk: {} for target in targets}
    for row in rows:
        values: dict[str, Any] = dict(row)
        for target in targets:
            amount = values[f"t{target.pk}"]
            if amount:
                result[target.pk][values["delivery__order__currency"]] = money(Decimal(amount))
    return result


def accruals_for(
    *,
    agreement: Agreement,
    targets: Sequence[VolumeTarget],
    until: date,
    settlements: dict[int, BonusSettlement] | None = None,
) -> list[Accrual]:
    """The accrual of each of `targets` (all of `agreement`, tiers prefetched) from deliveries
    up to `until` (and within each target's period). Three queries whatever the number of
    orders, accounts in the group or targets."""
    if not targets:
        return []
    membership_day = min(until, max(target.period_end for target in targets))
    account_ids = inheriting_accounts(agreement=agreement, on=membership_day)
    delivered = _delivered_by_currency(account_ids=account_ids, targets=targets, until=until)
    accruals = []
    for target in targets:
        amounts = delivered[target.pk]
        achieved = amounts.pop(agreement.currency, ZERO)
        accruals.append(
            Accrual(
                target=target,
                currency=agreement.currency,
                until=min(until, target.period_end),
                achieved_amount=achieved,
                bonus=bonus_for(
                    target=target, achieved_amount=achieved, tiers=list(target.tiers.all())
                ),
                account_ids=tuple(account_ids),
                excluded=amounts,
                settlement=(settlements or {}).get(target.pk),
            )
        )
    return accruals


def _targets(queryset: QuerySet[VolumeTarget]) -> list[VolumeTarget]:
    return list(
        queryset.prefetch_related(
            Prefetch("tiers", queryset=BonusTier.objects.order_by("threshold_amount", "pk"))
        ).order_by("period_start", "pk")
    )


def account_bonus(*, account: Account, on: date) -> tuple[Agreement | None, list[Accrual]]:
    """The account page's bonus: the agreement in force on `on` (own or the group's) and the
    accrual of each of its volume targets whose period contains `on`, counted until `on`.

    Constant in the number of orders: the catalog's agreement lookup (one query per group level
    above the account), the targets with their tiers, the settlements, and `accruals_for`."""
    agreement = agreement_for(account=account, on=on)
    if agreement is None:
        return None, []
    targets = _targets(
        VolumeTarget.objects.filter(agreement=agreement, period_start__lte=on, period_end__gte=on)
    )
    settlements = {
        row.target_id: row
        for row in BonusSettlement.objects.filter(target__in=[t.pk for t in targets])
    }
    return agreement, accruals_for(
        agreement=agreement, targets=targets, until=on, settlements=settlements
    )


def settlement_list(*, user: Any) -> QuerySet[BonusSettlement]:
    return (  # type: ignore[no-any-return]
        BonusSettlement.objects.visible_to(user)
        .select_related("account", "agreement", "settled_by")
        .order_by("-period_end", "-pk")
    )


def targets_due(*, today: date) -> QuerySet[VolumeTarget]:
    """Volume targets of approved live agreements whose period ended before `today` and that
    have no settlement yet."""
    return (  # type: ignore[no-any-return]
        VolumeTarget.objects.filter(
            period_end__lt=today,
            agreement__status=AgreementStatus.APPROVED,
            agreement__deleted_at__isnull=True,
        )
        .exclude(
            Exists(
                BonusSettlement.objects.filter(
                    target=OuterRef("pk"),
                    period_start=OuterRef("period_start"),
                    period_end=OuterRef("period_end"),
                )
            )
        )
        .order_by("period_end", "pk")
    )


# --- services ---------------------------------------------------------------------------------


def can_settle(user: Any) -> bool:
    return access.is_active_user(user) and (
        user.is_superuser or getattr(user, "role", None) in SETTLERS
    )


def bonus_settle(
    *, target: VolumeTarget, user: Any = None, today: date | None = None
) -> BonusSettlement | None:
    """Settle `target` for its period: freeze the achieved amount (deliveries up to the period's
    end, or up to today when settled early by hand), the tier and the bonus; notify the
    agreement's account owner in the app. Audited (the settlement's creation, with the actor).

    The settlement's unique constraint is the claim: settled already (or by a concurrent run)
    answers None and changes nothing, so running it twice is safe. Its own transaction.
    """
    day = today or timezone.localdate()
    agreement = Agreement.all_objects.select_related("account").get(pk=target.agreement_id)
    (accrual,) = accruals_for(agreement=agreement, targets=_fresh(target), until=day)
    tier = accrual.current_tier
    settlement = BonusSettlement(
        target=target,
        agreement=agreement,
        account=agreement.account,
        period_start=target.period_start,
        period_end=target.period_end,
        counted_until=accrual.until,
        currency=accrual.currency,
        achieved_amount=accrual.achieved_amount,
        tier=tier,
        threshold_amount=tier.threshold_amount if tier else None,
        bonus_percent=tier.bonus_percent if tier else ZERO,
        bonus_amount=accrual.earned_amount,
        excluded={currency: str(amount) for currency, amount in accrual.excluded.items()},
        settled_by=user if user is not None and user.is_authenticated else None,
    )
    settlement.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            with acting_as(user):
                settlement.save()
            _notify(settlement, agreement)
    except IntegrityError:
        return None
    return settlement


def _fresh(target: VolumeTarget) -> list[VolumeTarget]:
    return _targets(VolumeTarget.objects.filter(pk=target.pk))


def _notify(settlement: BonusSettlement, agreement: Agreement) -> None:
    owner = agreement.account.owner
    if owner is not None and owner.is_active:
        title = _(
            "Bonus settled for %(account)s, %(start)s to %(end)s: %(amount)s %(currency)s"
        ) % {
            "account": agreement.account.name,
            "start": settlement.period_start.isoformat(),
            "end": settlement.period_end.isoformat(),
            "amount": settlement.bonus_amount,
            "currency": settlement.currency,
        }
        notification_create(
            recipient=owner,
            title=title,
            body=agreement.title,
            url=reverse("accounts:account_detail", args=[agreement.account_id]),
        )
    settlement.notified_at = timezone.now()
    BonusSettlement.objects.filter(pk=settlement.pk).update(notified_at=settlement.notified_at)


def bonus_settle_now(*, user: Any, target_id: Any, today: date | None = None) -> BonusSettlement:
    """A head of sales (or an admin) settles a target by hand, before or after its period's end,
    counting the deliveries up to today. A target one may not see: NotFound; not a head of
    sales: PermissionDenied; an agreement not approved, a period not begun or already settled:
    BonusError."""
    day = today or timezone.localdate()
    target = (
        VolumeTarget.objects.filter(
            agreement__in=Agreement.objects.visible_to(user).values("pk"), pk=_int(target_id)
        )
        .select_related("agreement")
        .first()
    )
    if target is None:
        raise NotFoundError()
    if not can_settle(user):
        raise PermissionDeniedError()
    if target.agreement.status != AgreementStatus.APPROVED:
        raise BonusError(fields={"target": [_("The agreement is not approved.")]})
    if target.period_start > day:
        raise BonusError(fields={"target": [_("The target's period has not begun.")]})
    settlement = bonus_settle(target=target, user=user, today=day)
    if settlement is None:
        raise BonusError(fields={"target": [_("This period is already settled.")]})
    return settlement


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BonusError(fields={"target": [_("Give a volume target's id.")]}) from None


def bonuses_settle_due(*, today: date | None = None) -> dict[str, int]:
    """Settle every target whose period has ended (the beat task): each in its own transaction,
    claimed once; returns how many were settled and how many were already settled."""
    day = today or timezone.localdate()
    settled = skipped = 0
    for target in list(targets_due(today=day)):
        if bonus_settle(target=target, today=day) is None:
            skipped += 1
        else:
            settled += 1
    return {"settled": settled, "skipped": skipped}
