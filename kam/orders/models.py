"""Orders with their priced lines, partial deliveries, approvals, department tasks and the
per-account repeat-business figures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.core.access import AccessSpec
from kam.core.models import SoftDeleteModel, TimeStampedModel, VersionedModel
from kam.core.querysets import KamQuerySet
from kam.core.roles import Role
from kam.orders import choices

ZERO = Decimal("0")


def _money(name: Any, **kwargs: Any) -> Any:
    return models.DecimalField(name, max_digits=14, decimal_places=2, default=ZERO, **kwargs)


class DiscountLimit(VersionedModel):
    """The largest manual line discount (percent) a role may give without approval."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, unique=True)
    max_percent = models.DecimalField(
        _("largest discount (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )

    access: ClassVar[AccessSpec] = AccessSpec(public=True)

    class Meta:
        ordering = ["role"]
        verbose_name = _("discount limit")

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.max_percent}%"


class OrderNumberCounter(models.Model):
    """The last order number given in a year (row-locked while a number is taken)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class ClientDocument(SoftDeleteModel):
    """What an order and a quote share: a number, the client account (whose access they
    inherit), the deal, owner and creator, the currency, totals kept by the services, notes."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="%(class)ss",
    )
    deal = models.ForeignKey(
        "sales.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="%(class)ss",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_%(class)ss",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    total_net = _money(_("total (net)"), editable=False)
    total_tax = _money(_("VAT"), editable=False)
    notes = models.TextField(_("notes"), blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(via="account", owner="owner")

    class Meta(SoftDeleteModel.Meta):
        abstract = True

    def __str__(self) -> str:
        return self.number

    @property
    def total_gross(self) -> Decimal:
        return self.total_net + self.total_tax


class Order(ClientDocument):
    """A client's order: priced lines, requested and promised dates, a status, deliveries.

    Totals are kept from the lines by the services; `is_on_time` is set when the order is
    wholly delivered (every line delivered in full on or before its promised date).
    """

    status = models.CharField(
        _("status"),
        max_length=16,
        choices=choices.OrderStatus.choices,
        default=choices.OrderStatus.RECEIVED,
        editable=False,
    )
    requested_date = models.DateField(_("requested date"), null=True, blank=True)
    promised_date = models.DateField(_("promised date"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=255, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)
    is_on_time = models.BooleanField(_("on time"), null=True, blank=True, editable=False)
    # The accepted quote this order came from (quotes_services.quote_accept).
    quote = models.ForeignKey(
        "orders.Quote",
        verbose_name=_("quote"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        editable=False,
    )
    # The earliest promised date among the lines still missing something (None when nothing is
    # missing or nothing was promised): kept by the services so "overdue" is one indexed range.
    open_promised_date = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("order")
        indexes = [
            models.Index(fields=["account", "status"], name="order_account_status_idx"),
            models.Index(fields=["owner", "status"], name="order_owner_status_idx"),
            models.Index(fields=["-created_at", "-id"], name="order_created_idx"),
            models.Index(fields=["status", "promised_date"], name="order_status_promised_idx"),
            models.Index(
                fields=["status", "open_promised_date"], name="order_status_open_promised_idx"
            ),
            models.Index(fields=["deal"], name="order_deal_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requested_date__isnull=True)
                | models.Q(promised_date__isnull=True)
                | models.Q(promised_date__gte=models.F("requested_date")),
                name="order_promised_not_before_requested",
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in choices.OPEN_STATUSES


class PricedLine(models.Model):
    """What an order line and a quote line share: the product's quantity, the price the pricing
    function gave and why (`price_steps`), a manual discount on top, VAT and the totals."""

    position = models.PositiveSmallIntegerField(_("position"), default=1)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    list_price = _money(_("list price"))
    priced_unit_price = _money(_("unit price from pricing"))
    price_discount_percent = models.DecimalField(
        _("discount from pricing (%)"), max_digits=6, decimal_places=2, default=ZERO
    )
    discount_percent = models.DecimalField(
        _("manual discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )
    unit_price = _money(_("unit price"))
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2, default=ZERO)
    total_net = _money(_("total (net)"))
    total_tax = _money(_("VAT"))
    price_steps = models.JSONField(_("why this price"), default=list, blank=True)

    class Meta:
        abstract = True


class OrderLine(PricedLine):
    """One product of an order: quantity, the price the pricing function gave and why,
    a manual discount on top, VAT, dates, and how much of it has been delivered."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="order_lines",
    )
    requested_date = models.DateField(_("requested date"), null=True, blank=True)
    promised_date = models.DateField(_("promised date"), null=True, blank=True)
    delivered_quantity = models.DecimalField(
        _("delivered"), max_digits=12, decimal_places=3, default=ZERO
    )
    # The day the last missing quantity arrived (None while something is still missing).
    completed_on = models.DateField(_("delivered in full on"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    access: ClassVar[AccessSpec] = AccessSpec(
        via="order",
        confidential=(
            "list_price",
            "priced_unit_price",
            "price_discount_percent",
            "discount_percent",
            "price_steps",
        ),
    )

    class Meta:
        ordering = ["order", "position", "pk"]
        verbose_name = _("order line")
        indexes = [
            models.Index(
                fields=["promised_date"],
                condition=models.Q(completed_on__isnull=True, overdue_notified_at__isnull=True),
                name="order_line_overdue_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="order_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(delivered_quantity__lte=models.F("quantity")),
                name="order_line_not_over_delivered",
            ),
            models.CheckConstraint(
                condition=models.Q(requested_date__isnull=True)
                | models.Q(promised_date__isnull=True)
                | models.Q(promised_date__gte=models.F("requested_date")),
                name="order_line_promised_not_before_requested",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.position} {self.product_id} x {self.quantity}"

    @property
    def remaining_quantity(self) -> Decimal:
        return self.quantity - self.delivered_quantity

    @property
    def is_on_time(self) -> bool | None:
        """True: delivered in full on or before the promised date (or none was promised);
        False: completed late; None: not yet complete."""
        if self.completed_on is None:
            return None
        return self.promised_date is None or self.completed_on <= self.promised_date

    def is_overdue(self, today: object) -> bool:
        return (
            self.completed_on is None
            and self.promised_date is not None
            and self.promised_date < today  # type: ignore[operator]
        )


class Delivery(TimeStampedModel):
    """Goods handed over on a day: some quantity of some lines of one order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="deliveries")
    delivered_on = models.DateField(_("delivered on"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    access: ClassVar[AccessSpec] = AccessSpec(via="order")

    class Meta:
        ordering = ["order", "delivered_on", "pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.order_id} {self.delivered_on}"


class DeliveryLine(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="delivery_lines")
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )

    access: ClassVar[AccessSpec] = AccessSpec(via="delivery")

    class Meta:
        ordering = ["delivery", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="delivery_line_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_id} x {self.quantity}"


class Approval(TimeStampedModel):
    """A request to the head of sales to let a record through a rule (an order over the
    account's credit limit, a discount above the requester's limit); later quotes too.

    `amount` is what was asked for: the exposure (credit) or the largest discount percent; an
    approval covers the record while its figure stays at or below it.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    # What is approved: an order today, a quote later. Deliberately no GenericForeignKey: the
    # account merge would take every generic relation for a link to accounts too.
    object_id = models.PositiveBigIntegerField()
    reason = models.CharField(_("reason"), max_length=16, choices=choices.ApprovalReason.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    amount = models.DecimalField(_("amount asked for"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=choices.ApprovalStatus.choices,
        default=choices.ApprovalStatus.PENDING,
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="requested_approvals",
    )
    decider = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decided_approvals",
    )
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects: ClassVar[Any] = KamQuerySet.as_manager()

    # The requester (and his team lead) see his requests; heads of sales, auditors, admins all.
    access: ClassVar[AccessSpec] = AccessSpec(owner="requester", confidential=("amount", "detail"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("approval")
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "reason"], name="approval_subject_idx"
            ),
            models.Index(fields=["status", "-created_at"], name="approval_status_idx"),
        ]
        constraints = [
            # One open request per record and reason: asking again while one waits is a no-op.
            models.UniqueConstraint(
                fields=["content_type", "object_id", "reason"],
                condition=models.Q(status="pending"),
                name="approval_one_pending_per_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.get_status_display()})"


class OrderTask(VersionedModel):
    """An internal task an order or a contract gives a department (pack, invoice, produce,
    review): exactly one of `order` and `contract` is set; `account` is theirs (kept by the
    services, moved by an account merge) so the task inherits the account's access."""

    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="internal_tasks",
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="internal_tasks",
        editable=False,
    )
    department = models.ForeignKey(
        "users.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="order_tasks",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=choices.TaskStatus.choices,
        default=choices.TaskStatus.OPEN,
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)

    # The account's people through the account (an order's or a contract's); the order's owner
    # (and his team lead) as on the order; the department's staff through `department`.
    access: ClassVar[AccessSpec] = AccessSpec(
        via="account", owner="order__owner", department="department"
    )

    class Meta:
        ordering = ["status", "due_date", "pk"]
        verbose_name = _("order task")
        indexes = [
            models.Index(fields=["department", "status", "due_date"], name="order_task_dept_idx"),
            models.Index(
                fields=["due_date"],
                condition=models.Q(status="open", escalated_at__isnull=True),
                name="order_task_escalation_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(order__isnull=False, contract__isnull=True)
                | models.Q(order__isnull=True, contract__isnull=False),
                name="order_task_order_or_contract",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: object) -> bool:
        return self.status == choices.TaskStatus.OPEN and self.due_date < today  # type: ignore[operator]


class AccountOrderStats(models.Model):
    """Repeat business of one account, kept by the services (docs/orders.md defines it).

    Keyed by the account's id without a foreign key: the figures are derived (rebuilt from the
    orders by `orders_rebuild_stats`), so an account merge has nothing to move here. Read only
    through `selectors.account_orders`, after the account's own access check.
    """

    account_id = models.PositiveBigIntegerField(primary_key=True)
    orders_count = models.PositiveIntegerField(default=0)
    repeat_orders_count = models.PositiveIntegerField(default=0)
    repeat_rate = models.DecimalField(max_digits=5, decimal_places=4, default=ZERO)
    first_delivered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("account order figures")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.repeat_orders_count}/{self.orders_count}"


class BonusSettlement(TimeStampedModel):
    """The bonus a volume target paid, frozen when its period was settled (once per target and
    period): what was achieved (delivered net, in the target's currency), the tier reached and
    the bonus amount. Created by `kam.orders.bonus.bonus_settle` (the beat task, or a head of
    sales' "settle now"); never edited afterwards.
    """

    target = models.ForeignKey(
        "catalog.VolumeTarget",
        verbose_name=_("volume target"),
        on_delete=models.PROTECT,
        related_name="bonus_settlements",
    )
    agreement = models.ForeignKey(
        "catalog.Agreement",
        verbose_name=_("agreement"),
        on_delete=models.PROTECT,
        related_name="bonus_settlements",
    )
    # The agreement's account (the group's top for a group agreement): access follows it.
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="bonus_settlements",
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    counted_until = models.DateField(_("deliveries counted until"))
    currency = models.CharField(_("currency"), max_length=3)
    achieved_amount = _money(_("achieved (net)"))
    tier = models.ForeignKey(
        "catalog.BonusTier",
        verbose_name=_("tier reached"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    threshold_amount = models.DecimalField(
        _("tier threshold"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    bonus_percent = models.DecimalField(
        _("bonus (%)"), max_digits=5, decimal_places=2, default=ZERO
    )
    bonus_amount = _money(_("bonus"))
    # Delivered amounts in other currencies than the target's, left out: {"USD": "120.00"}.
    excluded = models.JSONField(_("left out (other currencies)"), default=dict, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("settled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects: ClassVar[Any] = KamQuerySet.as_manager()

    access: ClassVar[AccessSpec] = AccessSpec(
        via="account",
        confidential=(
            "achieved_amount",
            "threshold_amount",
            "bonus_percent",
            "bonus_amount",
            "excluded",
        ),
    )

    class Meta:
        ordering = ["-period_end", "-pk"]
        verbose_name = _("bonus settlement")
        constraints = [
            # The claim: a second settlement of the same target and period fails here.
            models.UniqueConstraint(
                fields=["target", "period_start", "period_end"],
                name="bonus_settlement_once_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_id} {self.period_start}..{self.period_end}: {self.bonus_amount}"


class QuoteNumberCounter(models.Model):
    """The last quote number given in a year (row-locked while a number is taken)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Quote(ClientDocument):
    """An offer to a client: priced lines, totals, VAT and a validity date.

    draft -> sent (the PDF is generated and stored) -> accepted (an order is created) or
    rejected; a sent quote past `valid_until` is expired. Totals are kept by the services.
    """

    status = models.CharField(
        _("status"),
        max_length=10,
        choices=choices.QuoteStatus.choices,
        default=choices.QuoteStatus.DRAFT,
        editable=False,
    )
    valid_until = models.DateField(_("valid until"))
    reject_reason = models.CharField(_("rejection reason"), max_length=255, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    pdf_document = models.ForeignKey(
        "documents.Document",
        verbose_name=_("PDF"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    docx_document = models.ForeignKey(
        "documents.Document",
        verbose_name=_("DOCX"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("quote")
        indexes = [
            models.Index(fields=["account", "status"], name="quote_account_status_idx"),
            models.Index(fields=["owner", "status"], name="quote_owner_status_idx"),
            models.Index(fields=["-created_at", "-id"], name="quote_created_idx"),
            models.Index(fields=["deal"], name="quote_deal_idx"),
        ]


class QuoteLine(PricedLine):
    """One product of a quote: quantity, the price the pricing function gave and why, a manual
    discount on top, VAT."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="quote_lines",
    )

    access: ClassVar[AccessSpec] = AccessSpec(
        via="quote",
        confidential=(
            "list_price",
            "priced_unit_price",
            "price_discount_percent",
            "discount_percent",
            "price_steps",
        ),
    )

    class Meta:
        ordering = ["quote", "position", "pk"]
        verbose_name = _("quote line")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="quote_line_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quote_id}#{self.position} {self.product_id} x {self.quantity}"
