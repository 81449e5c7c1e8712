"""Write use cases of orders: create and edit (priced by the catalog's pricing function),
status moves with the credit and discount rules, deliveries, approvals, department tasks, the
overdue alerts and the repeat-business figures.

Every write checks access through `kam.core.access`, validates, runs in one transaction and is
audited under the acting user (`kam.core.audit.acting_as`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.catalog.errors import PricingError
from kam.catalog.models import Product
from kam.catalog.pricing import PriceRequest, money, price_lines
from kam.core import access
from kam.core.audit import acting_as
from kam.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from kam.core.roles import Role
from kam.orders import selectors
from kam.orders.choices import (
    DELIVERABLE_STATUSES,
    TASK_DEPARTMENT_KINDS,
    TRANSITIONS,
    ApprovalReason,
    ApprovalStatus,
    Decision,
    OrderStatus,
    TaskStatus,
)
from kam.orders.errors import (
    ApprovalError,
    ApprovalRequiredError,
    CreditLimitExceededError,
    OrderError,
    TransitionRefusedError,
)
from kam.orders.models import (
    AccountOrderStats,
    Approval,
    Delivery,
    DeliveryLine,
    Order,
    OrderLine,
    OrderNumberCounter,
    OrderTask,
)
from kam.sales.models import Deal
from kam.users.models import Department
from kam.users.services import notification_create

ZERO = Decimal("0")
HUNDRED = Decimal("100")
QUANTITY_PLACES = Decimal("0.001")
RATE_PLACES = Decimal("0.0001")
DECIDERS = frozenset({Role.SALES_HEAD, Role.ADMIN})


@dataclass(frozen=True)
class LineInput:
    """One line as a user enters it: a product and a quantity (the price comes from pricing)."""

    product: Product
    quantity: Decimal
    discount_percent: Decimal = ZERO
    requested_date: date | None = None
    promised_date: date | None = None


@dataclass(frozen=True)
class TransitionResult:
    order: Order
    approval: Approval | None = None  # set when the move was sent for approval instead


# --- helpers ----------------------------------------------------------------------------------


def _invalid(fields: dict[str, list[str]], message: str | None = None) -> OrderError:
    return OrderError(message or _("Some values are not valid."), fields=fields)


def _full_clean(instance: Any, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        raise _invalid(error.message_dict) from None


def _require_writer(user: Any) -> None:
    if not access.is_active_user(user) or access.is_read_only(user):
        raise PermissionDeniedError()


def _check_account(user: Any, account: Any) -> Account:
    """Ordering for an account needs the right to change it; otherwise it does not exist."""
    if not isinstance(account, Account) or account.deleted_at is not None:
        raise _invalid({"account": [_("Choose an account.")]})
    if not access.can(user, account, "change"):
        raise NotFoundError(_("The account does not exist or is not yours to change."))
    return account


def _check_deal(user: Any, account: Account, deal: Deal | None) -> None:
    if deal is None:
        return
    if deal.deleted_at is not None or not access.can(user, deal, "view"):
        raise _invalid({"deal": [_("Choose one of your deals.")]})
    if deal.account_id != account.pk:
        raise _invalid({"deal": [_("The deal belongs to another account.")]})


def _check_owner(owner: Any) -> None:
    if owner is None or not getattr(owner, "is_active", False):
        raise _invalid({"owner": [_("The owner must be an active user.")]})


def _check_dates(
    requested: date | None, promised: date | None, field: str = "promised_date"
) -> None:
    if requested and promised and promised < requested:
        raise _invalid({field: [_("The promised date cannot be before the requested date.")]})


def _quantity(value: Any, field: str) -> Decimal:
    try:
        quantity = Decimal(str(value)).quantize(QUANTITY_PLACES)
    except (InvalidOperation, ValueError, TypeError):
        raise _invalid({field: [_("Give a number.")]}) from None
    if quantity <= 0:
        raise _invalid({field: [_("The quantity must be more than zero.")]})
    return quantity


def _check_product(product: Any, on: date, field: str) -> Product:
    if not isinstance(product, Product) or product.deleted_at is not None:
        raise _invalid({field: [_("Unknown product.")]})
    if not product.is_active or (product.discontinued_on and product.discontinued_on <= on):
        raise _invalid({field: [_("%(product)s is not sold any more.") % {"product": product}]})
    return product


def _discount(value: Any, field: str) -> Decimal:
    try:
        percent = Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise _invalid({field: [_("Give a number.")]}) from None
    if percent < 0 or percent > HUNDRED:
        raise _invalid({field: [_("A discount is between 0 and 100%.")]})
    return percent


def _next_number(year: int) -> str:
    """The next order number of `year` (O-2026-000123); the counter row is locked meanwhile."""
    OrderNumberCounter.objects.get_or_create(year=year)
    counter = OrderNumberCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"O-{year}-{counter.last:06d}"


# --- pricing ----------------------------------------------------------------------------------


def _priced_lines(
    *,
    account: Account,
    lines: Sequence[LineInput],
    on: date,
    requested: date | None,
    promised: date | None,
) -> tuple[list[OrderLine], str]:
    """Validate the entered lines and price them through `catalog.pricing.price_lines`."""
    if not lines:
        raise _invalid({"lines": [_("Add at least one line.")]})
    requests = []
    for index, line in enumerate(lines):
        field = f"lines.{index}"
        product = _check_product(line.product, on, f"{field}.product")
        requests.append(PriceRequest(product, _quantity(line.quantity, f"{field}.quantity")))
        _check_dates(
            line.requested_date or requested,
            line.promised_date or promised,
            f"{field}.promised_date",
        )
    if len({request.product.currency for request in requests}) > 1:
        raise _invalid({"lines": [_("All the lines of an order must be in one currency.")]})
    try:
        result = price_lines(account=account, lines=requests, on=on)
    except PricingError as refused:
        raise _invalid({"lines": [refused.message]}) from None
    built = [
        _line_from_price(position, entered, priced, requested, promised)
        for position, (entered, priced) in enumerate(zip(lines, result.lines, strict=True), 1)
    ]
    return built, result.currency


def _line_from_price(
    position: int, entered: LineInput, priced: Any, requested: date | None, promised: date | None
) -> OrderLine:
    extra = _discount(entered.discount_percent, f"lines.{position - 1}.discount_percent")
    steps = [
        {"kind": s.kind, "label": s.label, "unit_price": str(s.unit_price), "source": s.source}
        for s in priced.steps
    ]
    unit = priced.unit_price
    if extra:
        unit = money(priced.unit_price * (HUNDRED - extra) / HUNDRED)
        steps.append(
            {
                "kind": "manual_discount",
                "label": _("Manual discount %(percent)s%%") % {"percent": extra},
                "unit_price": str(unit),
                "source": "",
            }
        )
    net = money(unit * priced.quantity)
    return OrderLine(
        position=position,
        product=entered.product,
        quantity=priced.quantity,
        list_price=money(priced.list_price),
        priced_unit_price=priced.unit_price,
        price_discount_percent=priced.discount_percent,
        discount_percent=extra,
        unit_price=unit,
        vat_rate=priced.vat_rate,
        total_net=net,
        total_tax=money(net * priced.vat_rate / HUNDRED),
        price_steps=steps,
        requested_date=entered.requested_date or requested,
        promised_date=entered.promised_date or promised,
    )


def _save_lines(user: Any, order: Order, lines: list[OrderLine]) -> None:
    with acting_as(user):
        for line in lines:
            line.order = order
            _full_clean(line, exclude=["order"])
            line.save()
    order.total_net = sum((line.total_net for line in lines), ZERO)
    order.total_tax = sum((line.total_tax for line in lines), ZERO)
    order.open_promised_date = _open_promised(lines)


def _open_promised(lines: Sequence[OrderLine]) -> date | None:
    dates = [ln.promised_date for ln in lines if ln.completed_on is None and ln.promised_date]
    return min(dates) if dates else None


# --- approvals --------------------------------------------------------------------------------


def _order_type() -> ContentType:
    return ContentType.objects.get_for_model(Order)


def _is_covered(order: Order, reason: str, figure: Decimal) -> bool:
    return Approval.objects.filter(
        content_type=_order_type(),
        object_id=order.pk,
        reason=reason,
        status=ApprovalStatus.APPROVED,
        amount__gte=figure,
    ).exists()


def _pending(order: Order, reason: str) -> Approval | None:
    found: Approval | None = Approval.objects.filter(
        content_type=_order_type(),
        object_id=order.pk,
        reason=reason,
        status=ApprovalStatus.PENDING,
    ).first()
    return found


def _request_approval(
    *, user: Any, order: Order, reason: str, amount: Decimal, detail: str
) -> Approval:
    """Ask the heads of sales; while a request for the same reason waits, it is brought up to
    date instead of asking twice."""
    approval = _pending(order, reason) or Approval(
        content_type=_order_type(),
        object_id=order.pk,
        reason=reason,
        requester=user,
    )
    approval.amount = amount
    approval.currency = order.currency if reason == ApprovalReason.CREDIT_LIMIT else ""
    approval.detail = detail[:500]
    with acting_as(user):
        approval.save()
    return approval


def _max_discount(order: Order) -> Decimal:
    top = order.lines.aggregate(top=Max("discount_percent"))["top"]
    return Decimal(top).quantize(Decimal("0.01")) if top is not None else ZERO


def _discount_rule(user: Any, order: Order) -> Approval | None:
    """A manual discount above the creator's limit waits for a head of sales: ask (once)."""
    creator = order.created_by or user
    limit = selectors.discount_limit_for(getattr(creator, "role", ""))
    top = _max_discount(order)
    if top <= limit or _is_covered(order, ApprovalReason.DISCOUNT, top):
        return None
    detail = _("A line is discounted %(top)s%%; the limit of %(role)s is %(limit)s%%.") % {
        "top": top,
        "role": creator.get_role_display(),
        "limit": limit,
    }
    return _request_approval(
        user=creator, order=order, reason=ApprovalReason.DISCOUNT, amount=top, detail=detail
    )


def _discount_blocks(order: Order) -> str | None:
    creator = order.created_by
    limit = selectors.discount_limit_for(getattr(creator, "role", ""))
    top = _max_discount(order)
    if top <= limit or _is_covered(order, ApprovalReason.DISCOUNT, top):
        return None
    return _(
        "A line is discounted %(top)s%%, above the creator's limit of %(limit)s%%: "
        "a head of sales must approve it first."
    ) % {"top": top, "limit": limit}


def _credit_refusal(order: Order, on: date) -> tuple[Decimal, str] | None:
    """None when confirming keeps the account within its credit limit; else the exposure it
    would reach and the reason."""
    limit = selectors.credit_limit_for(order.account, on)
    if limit is None:
        return None
    exposure = (
        selectors.credit_exposure(
            account=order.account, currency=order.currency, exclude_order_id=order.pk
        )
        + order.total_gross
    )
    if limit.currency != order.currency:
        reason = _(
            "The account's credit limit is in %(limit_currency)s and this order in %(currency)s: "
            "a head of sales must approve it."
        ) % {"limit_currency": limit.currency, "currency": order.currency}
        return exposure, reason
    if exposure <= limit.amount or _is_covered(order, ApprovalReason.CREDIT_LIMIT, exposure):
        return None
    reason = _(
        "Confirming would bring the account's open orders to %(exposure)s %(currency)s, over its "
        "credit limit of %(limit)s %(currency)s."
    ) % {"exposure": exposure, "currency": order.currency, "limit": limit.amount}
    return exposure, reason


@transaction.atomic
def approval_decide(*, user: Any, approval: Approval, decision: str, comment: str = "") -> Approval:
    """A head of sales (or an admin) approves or rejects a waiting request, once.

    Locks the approval; audited; the requester is told in the app.
    """
    if not can_decide(user):
        raise PermissionDeniedError(_("Only a head of sales decides approvals."))
    if decision not in Decision.values:
        raise ApprovalError(fields={"decision": [_("Approve or reject.")]})
    locked = Approval.objects.select_for_update().get(pk=approval.pk)
    if locked.status != ApprovalStatus.PENDING:
        raise ApprovalError(
            _("This request was already %(status)s.") % {"status": locked.get_status_display()},
            fields={"decision": [_("Already decided.")]},
        )
    if decision == Decision.REJECT and not comment.strip():
        raise ApprovalError(fields={"comment": [_("Say why you reject it.")]})
    locked.status = (
        ApprovalStatus.APPROVED if decision == Decision.APPROVE else ApprovalStatus.REJECTED
    )
    locked.decider = user
    locked.comment = comment.strip()
    locked.decided_at = timezone.now()
    with acting_as(user):
        locked.save()
    _notify_decision(locked)
    return locked


def _notify_decision(approval: Approval) -> None:
    from django.urls import reverse

    if approval.content_type_id != _order_type().pk:
        from kam.orders.quotes_services import notify_quote_decision

        notify_quote_decision(approval)
        return
    order = Order.all_objects.filter(pk=approval.object_id).first()
    what = order.number if order is not None else str(approval.object_id)
    title = _("%(reason)s for %(what)s: %(status)s") % {
        "reason": approval.get_reason_display(),
        "what": what,
        "status": approval.get_status_display(),
    }
    url = reverse("orders:order_detail", args=[order.pk]) if order is not None else ""
    notification_create(recipient=approval.requester, title=title, body=approval.comment, url=url)


# --- orders -----------------------------------------------------------------------------------


@transaction.atomic
def order_create(
    *,
    user: Any,
    account: Account,
    lines: Sequence[LineInput],
    owner: Any | None = None,
    deal: Deal | None = None,
    requested_date: date | None = None,
    promised_date: date | None = None,
    notes: str = "",
) -> Order:
    """Create a received order from plain lines, each priced by the pricing function.

    A manual discount above the creator's limit files a discount approval request. Refreshes the
    account's repeat figures.
    """
    _require_writer(user)
    _check_account(user, account)
    _check_deal(user, account, deal)
    owner = owner or user
    _check_owner(owner)
    _check_dates(requested_date, promised_date)
    today = timezone.localdate()
    built, currency = _priced_lines(
        account=account, lines=lines, on=today, requested=requested_date, promised=promised_date
    )
    order = Order(
        account=account,
        deal=deal,
        owner=owner,
        created_by=user,
        currency=currency,
        requested_date=requested_date,
        promised_date=promised_date,
        notes=notes.strip(),
        number=_next_number(today.year),
    )
    _full_clean(order)
    with acting_as(user):
        order.save()
    _save_lines(user, order, built)
    with acting_as(user):
        order.save(update_fields=["total_net", "total_tax", "open_promised_date"])
    _discount_rule(user, order)
    account_stats_refresh(account=account)
    return order


ORDER_FIELDS = frozenset(["lines", "owner", "deal", "requested_date", "promised_date", "notes"])


@transaction.atomic
def order_update(*, user: Any, order: Order, expected_version: int, data: dict[str, Any]) -> Order:
    """Edit a received order: dates, owner, deal, notes; `lines` replaces every line (priced
    again). Confirmed orders are fixed. A stale version is a conflict; nothing is written."""
    unknown = set(data) - ORDER_FIELDS
    if unknown:
        raise _invalid({name: [_("Unknown field.")] for name in sorted(unknown)})
    locked = Order.objects.select_for_update().select_related("account").get(pk=order.pk)
    if not access.can(user, locked, "change"):
        raise NotFoundError()
    if locked.version != expected_version:
        raise ConflictError(extra={"version": locked.version, "current": {}})
    if locked.status != OrderStatus.RECEIVED:
        raise OrderError(_("Only a received order can be changed; cancel it and order again."))
    for name in ("owner", "deal", "requested_date", "promised_date", "notes"):
        if name in data:
            setattr(locked, name, data[name])
    if "owner" in data:
        _check_owner(locked.owner)
    if "deal" in data:
        _check_deal(user, locked.account, locked.deal)
    _check_dates(locked.requested_date, locked.promised_date)
    if data.get("lines") is not None:
        built, currency = _priced_lines(
            account=locked.account,
            lines=data["lines"],
            on=timezone.localdate(),
            requested=locked.requested_date,
            promised=locked.promised_date,
        )
        with acting_as(user):
            locked.lines.all().delete()
        _save_lines(user, locked, built)
        locked.currency = currency
    _full_clean(locked)
    with acting_as(user):
        locked.save()
    _discount_rule(user, locked)
    return locked


def _lock(user: Any, order: Order, expected_version: int | None) -> Order:
    locked = Order.objects.select_for_update().select_related("account").get(pk=order.pk)
    if not access.can(user, locked, "change"):
        raise NotFoundError() if not access.can(user, locked, "view") else PermissionDeniedError()
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(extra={"version": locked.version, "current": {"status": locked.status}})
    return locked


@transaction.atomic
def order_transition(
    *,
    user: Any,
    order: Order,
    to: str,
    reason: str = "",
    request_approval: bool = False,
    expected_version: int | None = None,
) -> TransitionResult:
    """Move an order on: received -> confirmed -> in fulfilment -> shipped; delivered -> closed;
    cancelled (with a reason) from any open status. `delivered` comes from deliveries.

    Confirming checks the discount approval and the credit limit; over the limit it is refused,
    or with `request_approval` sent to the heads of sales (the order stays received).
    """
    _require_writer(user)
    locked = _lock(user, order, expected_version)
    if to not in TRANSITIONS.get(locked.status, frozenset()):
        raise TransitionRefusedError(
            _("A %(status)s order cannot become %(to)s.")
            % {"status": locked.get_status_display().lower(), "to": _status_label(to)},
            fields={"to": [_("Not a move from here.")]},
        )
    now = timezone.now()
    if to == OrderStatus.CONFIRMED:
        approval = _confirm_checks(user, locked, request_approval)
        if approval is not None:
            return TransitionResult(order=locked, approval=approval)
        locked.confirmed_at = now
    elif to == OrderStatus.CANCELLED:
        if not reason.strip():
            raise TransitionRefusedError(fields={"reason": [_("Say why the order is cancelled.")]})
        locked.cancel_reason = reason.strip()[:255]
        locked.cancelled_at = now
    elif to == OrderStatus.CLOSED:
        locked.closed_at = now
    locked.status = to
    with acting_as(user):
        locked.save()
    if to == OrderStatus.CANCELLED:
        account_stats_refresh(account=locked.account)
    if to == OrderStatus.CONFIRMED:
        _queue_confirmation(user, locked)
    return TransitionResult(order=locked)


def _queue_confirmation(user: Any, order: Order) -> None:
    """The order confirmation document is generated by a worker once the move is committed."""
    from kam.orders.tasks import generate_order_confirmation_task

    order_id, user_id = order.pk, user.pk
    transaction.on_commit(lambda: generate_order_confirmation_task.delay(order_id, user_id))


def _status_label(value: str) -> str:
    try:
        return str(OrderStatus(value).label).lower()
    except ValueError:
        return value


def _confirm_checks(user: Any, order: Order, request_approval: bool) -> Approval | None:
    blocked = _discount_blocks(order)
    if blocked is not None:
        pending = _pending(order, ApprovalReason.DISCOUNT)
        raise ApprovalRequiredError(
            blocked, extra={"approval": pending.pk if pending is not None else None}
        )
    refusal = _credit_refusal(order, timezone.localdate())
    if refusal is None:
        return None
    exposure, reason = refusal
    if not request_approval:
        raise CreditLimitExceededError(reason, fields={"to": [reason]})
    return _request_approval(
        user=user, order=order, reason=ApprovalReason.CREDIT_LIMIT, amount=exposure, detail=reason
    )


@transaction.atomic
def order_delete(*, user: Any, order: Order) -> None:
    """Move a received order to the trash (later ones are cancelled, never deleted)."""
    from kam.core.services import soft_delete

    if order.status != OrderStatus.RECEIVED:
        raise OrderError(_("Only a received order can be deleted; cancel it instead."))
    soft_delete(instance=order, user=user)
    account_stats_refresh(account=order.account)


# --- deliveries -------------------------------------------------------------------------------


@transaction.atomic
def delivery_create(
    *,
    user: Any,
    order: Order,
    delivered_on: date,
    lines: Sequence[tuple[int, Any]],
    note: str = "",
) -> Delivery:
    """Record goods handed over: (order line id, quantity) pairs. More than ordered is refused.

    When every line is complete the order becomes delivered and its on-time flag is set.
    """
    _require_writer(user)
    locked = _lock(user, order, None)
    if locked.status not in DELIVERABLE_STATUSES:
        raise OrderError(
            _("Deliveries are recorded on confirmed, in-fulfilment or shipped orders."),
            fields={
                "lines": [
                    _("This order is %(status)s.") % {"status": locked.get_status_display().lower()}
                ]
            },
        )
    if delivered_on > timezone.localdate():
        raise _invalid({"delivered_on": [_("A delivery cannot be in the future.")]})
    wanted = _delivery_quantities(locked, lines)
    delivery = Delivery(
        order=locked, delivered_on=delivered_on, note=note.strip()[:255], created_by=user
    )
    with acting_as(user):
        delivery.save()
        for line, quantity in wanted:
            DeliveryLine.objects.create(delivery=delivery, line=line, quantity=quantity)
            line.delivered_quantity += quantity
            if line.delivered_quantity == line.quantity:
                line.completed_on = max(delivered_on, _last_delivery_day(line) or delivered_on)
            line.save(update_fields=["delivered_quantity", "completed_on"])
    _finish_if_delivered(user, locked)
    return delivery


def _delivery_quantities(
    order: Order, lines: Sequence[tuple[int, Any]]
) -> list[tuple[OrderLine, Decimal]]:
    if not lines:
        raise _invalid({"lines": [_("Say what was delivered.")]})
    own = {line.pk: line for line in order.lines.select_for_update()}
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for index, (line_id, raw) in enumerate(lines):
        if line_id not in own:
            raise _invalid({f"lines.{index}.line": [_("Not a line of this order.")]})
        totals[line_id] += _quantity(raw, f"lines.{index}.quantity")
    result = []
    for line_id, quantity in totals.items():
        line = own[line_id]
        if quantity > line.remaining_quantity:
            raise _invalid(
                {
                    "lines": [
                        _(
                            "%(product)s: %(quantity)s is more than the %(remaining)s "
                            "still to deliver."
                        )
                        % {
                            "product": line.product,
                            "quantity": quantity,
                            "remaining": line.remaining_quantity,
                        }
                    ]
                }
            )
        result.append((line, quantity))
    return result


def _last_delivery_day(line: OrderLine) -> date | None:
    day: date | None = DeliveryLine.objects.filter(line=line).aggregate(
        last=Max("delivery__delivered_on")
    )["last"]
    return day


def _finish_if_delivered(user: Any, order: Order) -> None:
    lines = list(order.lines.all())
    order.open_promised_date = _open_promised(lines)
    if any(line.completed_on is None for line in lines):
        with acting_as(user):
            order.save(update_fields=["open_promised_date"])
        return
    order.status = OrderStatus.DELIVERED
    order.delivered_at = timezone.now()
    order.is_on_time = all(line.is_on_time for line in lines)
    with acting_as(user):
        order.save()
    account_stats_refresh(account=order.account)


# --- department tasks -------------------------------------------------------------------------


@transaction.atomic
def order_task_create(
    *,
    user: Any,
    order: Order,
    department: Department,
    title: str,
    due_date: date,
    description: str = "",
) -> OrderTask:
    """Give a department (logistics, finance, production, legal) a task about an order."""
    _require_writer(user)
    if not access.can(user, order, "change"):
        raise NotFoundError()
    return _task_create(
        user=user,
        department=department,
        title=title,
        due_date=due_date,
        description=description,
        order=order,
        account_id=order.account_id,
    )


@transaction.atomic
def contract_task_create(
    *,
    user: Any,
    contract: Any,
    department: Department,
    title: str,
    due_date: date,
    description: str = "",
) -> OrderTask:
    """Give a department a task about a contract (from the contract page); `user` must be
    allowed to change the contract (else NotFound)."""
    _require_writer(user)
    if not access.can(user, contract, "change"):
        raise NotFoundError()
    return _task_create(
        user=user,
        department=department,
        title=title,
        due_date=due_date,
        description=description,
        contract=contract,
        account_id=contract.account_id,
    )


def _task_create(
    *,
    user: Any,
    department: Department,
    title: str,
    due_date: date,
    description: str,
    account_id: int,
    order: Order | None = None,
    contract: Any = None,
) -> OrderTask:
    if not isinstance(department, Department) or department.deleted_at is not None:
        raise _invalid({"department": [_("Choose a department.")]})
    if department.kind not in TASK_DEPARTMENT_KINDS:
        raise _invalid({"department": [_("Tasks go to logistics, finance, production or legal.")]})
    task = OrderTask(
        order=order,
        contract=contract,
        account_id=account_id,
        department=department,
        title=(title or "").strip(),
        due_date=due_date,
        description=(description or "").strip(),
        created_by=user,
    )
    _full_clean(task)
    with acting_as(user):
        task.save()
    return task


@transaction.atomic
def order_task_close(
    *, user: Any, task: OrderTask, expected_version: int | None = None
) -> OrderTask:
    """Mark a task done (its department's staff, or whoever may change the order)."""
    _require_writer(user)
    locked = OrderTask.objects.select_for_update().get(pk=task.pk)
    if not access.can(user, locked, "change"):
        raise NotFoundError()
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(extra={"version": locked.version, "current": {"status": locked.status}})
    if locked.status == TaskStatus.DONE:
        raise OrderError(_("This task is already done."), fields={"status": [_("Already done.")]})
    locked.status = TaskStatus.DONE
    locked.closed_at = timezone.now()
    locked.closed_by = user
    with acting_as(user):
        locked.save()
    return locked


# --- repeat business --------------------------------------------------------------------------


def repeat_figures(account_id: int) -> tuple[int, int, Decimal, datetime | None]:
    """(orders, repeat orders, repeat rate, first delivery) of an account, from its orders.

    Orders: its orders not cancelled and not in the trash. First delivery: the earliest
    `delivered_at` among them. Repeat orders: those placed (created) after that moment.
    Rate: repeat / orders, 4 decimals, 0 without orders.
    """
    rows = Order.objects.filter(account_id=account_id).exclude(status=OrderStatus.CANCELLED)
    first: datetime | None = rows.aggregate(first=Min("delivered_at"))["first"]
    total = rows.count()
    repeat = rows.filter(created_at__gt=first).count() if first is not None else 0
    rate = (Decimal(repeat) / Decimal(total)).quantize(RATE_PLACES) if total else ZERO
    return total, repeat, rate, first


def account_stats_refresh(*, account: Account) -> AccountOrderStats:
    """Recompute and keep one account's repeat figures."""
    total, repeat, rate, first = repeat_figures(account.pk)
    stats, _created = AccountOrderStats.objects.update_or_create(
        account_id=account.pk,
        defaults={
            "orders_count": total,
            "repeat_orders_count": repeat,
            "repeat_rate": rate,
            "first_delivered_at": first,
        },
    )
    return stats


def account_stats_rebuild() -> int:
    """Recompute every account's repeat figures (the `orders_rebuild_stats` command)."""
    done = 0
    ids = Order.all_objects.values_list("account_id", flat=True).distinct().order_by()
    for account in Account.all_objects.filter(pk__in=ids).iterator():
        account_stats_refresh(account=account)
        done += 1
    AccountOrderStats.objects.exclude(account_id__in=ids).delete()
    return done


def can_decide(user: Any) -> bool:
    """Whether `user` decides approvals: a head of sales or an administrator."""
    return bool(access.is_active_user(user) and (user.is_superuser or user.role in DECIDERS))
