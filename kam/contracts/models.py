"""Contracts with a client account, their status history and the obligations of both sides."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.contracts import choices
from kam.core.access import AccessSpec
from kam.core.models import SoftDeleteModel, live_unique


class Contract(SoftDeleteModel):
    """A contract with a client account (and other accounts of its group), from draft to its end.

    `status` changes only through `services.contract_transition` (and the renewal job), each
    change written to `ContractStatusChange`. A contract renewed by hand is closed as `renewed`
    and points to its successor (`successor`, the new contract's `predecessor`). `notice_date`
    is derived: the day the renewal notice is due (end date minus the notice period).
    """

    number = models.CharField(_("number"), max_length=32)
    kind = models.CharField(_("type"), max_length=16, choices=choices.ContractKind.choices)
    title = models.CharField(_("title"), max_length=255)
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("client account"),
        on_delete=models.CASCADE,
        related_name="contracts",
    )
    other_accounts = models.ManyToManyField(
        "accounts.Account",
        verbose_name=_("other accounts of the group"),
        blank=True,
        related_name="co_contracts",
    )
    our_signatory = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our signatory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signed_contracts",
    )
    client_signatories = models.ManyToManyField(
        "accounts.Contact",
        verbose_name=_("client's signatories"),
        blank=True,
        related_name="signed_contracts",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_contracts",
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=choices.ContractStatus.choices,
        default=choices.ContractStatus.DRAFT,
        editable=False,
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    signed_on = models.DateField(_("signing date"), null=True, blank=True)
    value = models.DecimalField(
        _("value"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    deal = models.ForeignKey(
        "sales.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
    )
    agreement = models.ForeignKey(
        "catalog.Agreement",
        verbose_name=_("key-account agreement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
    )
    predecessor = models.OneToOneField(
        "self",
        verbose_name=_("renews contract"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="successor",
    )
    is_auto_renewal = models.BooleanField(_("renews automatically"), default=False)
    renewal_term_months = models.PositiveSmallIntegerField(
        _("renewal term (months)"), null=True, blank=True
    )
    notice_period_days = models.PositiveSmallIntegerField(
        _("notice period (days)"), null=True, blank=True
    )
    notice_date = models.DateField(_("renewal notice date"), null=True, blank=True, editable=False)
    renewal_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    has_referral_clause = models.BooleanField(
        _("client agreed to give recommendations"), default=False
    )
    referral_terms = models.TextField(_("referral terms"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(
        via="account", owner="owner", confidential=("value", "currency")
    )
    unversioned_fields: ClassVar[frozenset[str]] = frozenset({"renewal_notified_at"})

    class Meta:
        ordering = ["-start_date", "-pk"]
        verbose_name = _("contract")
        indexes = [
            models.Index(fields=["account", "status"], name="contract_account_status_idx"),
            models.Index(fields=["owner", "status"], name="contract_owner_status_idx"),
            models.Index(fields=["status", "end_date"], name="contract_status_end_idx"),
            models.Index(fields=["status", "notice_date"], name="contract_status_notice_idx"),
        ]
        constraints = [
            live_unique("number", name="contract_number_unique_live"),
            models.CheckConstraint(
                condition=models.Q(value__gte=0), name="contract_value_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="contract_end_not_before_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = [str(_("The end date cannot be before the start date."))]
        if self.is_auto_renewal and not self.renewal_term_months:
            errors["renewal_term_months"] = [
                str(_("An auto-renewing contract needs a renewal term."))
            ]
        if self.is_auto_renewal and not self.end_date:
            errors["end_date"] = [str(_("An auto-renewing contract needs an end date."))]
        if self.notice_period_days and not self.end_date:
            errors["notice_period_days"] = [str(_("A notice period needs an end date."))]
        if self.has_referral_clause and not self.referral_terms.strip():
            errors["referral_terms"] = [
                str(_("Say on what terms the client gives recommendations."))
            ]
        if errors:
            raise ValidationError(errors)

    @property
    def is_in_force(self) -> bool:
        return self.status in choices.IN_FORCE

    @property
    def can_be_renewed(self) -> bool:
        """Whether `services.contract_renew` may make a successor (it checks again, locked)."""
        return self.status in choices.RENEWABLE and self.end_date is not None

    @property
    def allowed_statuses(self) -> list[str]:
        order = list(choices.ContractStatus.values)
        return sorted(choices.TRANSITIONS[self.status], key=order.index)

    @property
    def allowed_choices(self) -> list[tuple[str, str]]:
        return [(s, str(choices.ContractStatus(s).label)) for s in self.allowed_statuses]


class ContractStatusChange(models.Model):
    """One status change (or automatic renewal) of a contract: the history, with its reason."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="status_changes")
    event = models.CharField(
        max_length=12, choices=choices.ChangeEvent.choices, default=choices.ChangeEvent.TRANSITION
    )
    from_status = models.CharField(
        max_length=16, choices=choices.ContractStatus.choices, blank=True
    )
    to_status = models.CharField(max_length=16, choices=choices.ContractStatus.choices)
    reason = models.TextField(blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    access: ClassVar[AccessSpec] = AccessSpec(via="contract")

    class Meta:
        ordering = ["contract", "changed_at", "pk"]
        indexes = [
            models.Index(fields=["contract", "changed_at"], name="contract_change_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.from_status} -> {self.to_status}"


class Obligation(SoftDeleteModel):
    """What one side of a contract must do, by when, and who answers for it.

    Department staff see and close the obligations assigned to their department (without seeing
    the contract itself); an assigned user sees his own.
    """

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="obligations"
    )
    side = models.CharField(_("side"), max_length=8, choices=choices.Side.choices)
    description = models.TextField(_("what"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    department = models.ForeignKey(
        "users.Department",
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contract_obligations",
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        verbose_name=_("responsible contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contract_obligations",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contract_obligations",
    )
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=choices.ObligationStatus.choices,
        default=choices.ObligationStatus.OPEN,
        editable=False,
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closing_note = models.TextField(_("closing note"), blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    access: ClassVar[AccessSpec] = AccessSpec(
        via="contract", assignee="assignee", department="department"
    )
    unversioned_fields: ClassVar[frozenset[str]] = frozenset({"overdue_notified_at"})

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("obligation")
        indexes = [
            models.Index(fields=["contract", "status"], name="obligation_contract_idx"),
            models.Index(fields=["status", "due_date"], name="obligation_status_due_idx"),
            models.Index(fields=["department", "status"], name="obligation_department_idx"),
            models.Index(fields=["closed_at"], name="obligation_closed_idx"),
        ]

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def is_open(self) -> bool:
        return self.status == choices.ObligationStatus.OPEN

    @property
    def is_overdue(self) -> bool:
        return bool(self.is_open and self.due_date and self.due_date < timezone.localdate())
