"""The work cycle: pipelines of ordered stages, deals moving through them, needs and objections."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.accounts.choices import Source
from kam.core.access import AccessSpec
from kam.core.models import SoftDeleteModel, VersionedModel, live_unique
from kam.sales import choices


class Pipeline(SoftDeleteModel):
    """An ordered list of stages a deal moves through; the default one is the seed's work cycle."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(_("default pipeline"), default=False)

    # Everyone reads pipelines (the board, the deal form); only admins change them (services).
    access: ClassVar[AccessSpec] = AccessSpec(public=True)

    class Meta:
        ordering = ["-is_default", "name", "pk"]
        verbose_name = _("pipeline")
        constraints = [live_unique("name", name="pipeline_name_unique_live")]

    def __str__(self) -> str:
        return self.name


class Stage(VersionedModel):
    """One step of a pipeline, with its default probability and its entry requirements.

    `requirements` lists keys of checks registered in `core.registry` (`register_stage_check`):
    a deal enters the stage only when every one of them passes.
    """

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"))
    probability = models.PositiveSmallIntegerField(
        _("default probability (%)"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    outcome = models.CharField(
        _("outcome"), max_length=4, choices=choices.Outcome.choices, default=choices.Outcome.OPEN
    )
    requirements = models.JSONField(_("entry requirements"), default=list, blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(public=True)

    class Meta:
        ordering = ["pipeline", "position", "pk"]
        verbose_name = _("stage")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="stage_probability_max_100"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.outcome == choices.Outcome.OPEN


class Deal(SoftDeleteModel):
    """An opportunity with one account, moving through the stages of its pipeline."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="deals",
    )
    contacts = models.ManyToManyField(
        "accounts.Contact", verbose_name=_("contacts involved"), blank=True, related_name="deals"
    )
    title = models.CharField(_("title"), max_length=255)
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals"
    )
    # Denormalised from the stage's outcome so the board, lists and forecast filter on one index.
    status = models.CharField(
        _("status"),
        max_length=4,
        choices=choices.Outcome.choices,
        default=choices.Outcome.OPEN,
        editable=False,
    )
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    probability_overridden = models.BooleanField(_("probability set by hand"), default=False)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_deals",
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    # Free text until the catalog lands; then a many-to-many to its products joins it.
    products_of_interest = models.TextField(_("products of interest"), blank=True)
    next_step = models.CharField(_("next step"), max_length=255, blank=True)
    next_step_date = models.DateField(_("next step date"), null=True, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=255, blank=True)
    lost_to = models.CharField(_("lost to (competitor)"), max_length=255, blank=True)
    stage_entered_at = models.DateTimeField(_("in this stage since"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(via="account", owner="owner")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("deal")
        indexes = [
            models.Index(
                fields=["pipeline", "stage", "status", "-stage_entered_at", "-id"],
                name="deal_board_idx",
            ),
            models.Index(fields=["account", "status"], name="deal_account_status_idx"),
            models.Index(
                fields=["owner", "status", "expected_close_date"], name="deal_owner_status_idx"
            ),
            models.Index(fields=["status", "expected_close_date"], name="deal_forecast_idx"),
            # The deal list's order: a page reads 50 index entries instead of sorting every row.
            models.Index(
                fields=["-created_at", "-id"],
                name="deal_list_idx",
                condition=models.Q(deleted_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="deal_probability_max_100"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="deal_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == choices.Outcome.OPEN


class StageChange(models.Model):
    """One move of a deal between stages: the history, and the time spent in each stage."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Seconds spent in `from_stage` before this move (None for the deal's first stage).
    seconds_in_from_stage = models.PositiveBigIntegerField(null=True, blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(via="deal")

    class Meta:
        ordering = ["deal", "changed_at", "pk"]
        indexes = [models.Index(fields=["deal", "changed_at"], name="stage_change_deal_idx")]

    def __str__(self) -> str:
        return f"{self.deal}: {self.from_stage} -> {self.to_stage}"


class Need(VersionedModel):
    """What the client needs, found while identifying needs; answered by products."""

    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="needs"
    )
    description = models.TextField(_("need"))
    priority = models.CharField(
        _("priority"),
        max_length=6,
        choices=choices.Priority.choices,
        default=choices.Priority.MEDIUM,
    )
    # Free text until the catalog lands (then a many-to-many to its products).
    products = models.TextField(_("products that answer it"), blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(via="deal")

    class Meta:
        ordering = ["deal", "-priority", "pk"]
        verbose_name = _("need")

    def __str__(self) -> str:
        return self.description[:80]


class Objection(VersionedModel):
    """An objection the client raised, the answer given, and whether it is resolved."""

    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="objections"
    )
    kind = models.CharField(_("type"), max_length=10, choices=choices.ObjectionKind.choices)
    description = models.TextField(_("objection"))
    answer = models.TextField(_("answer given"), blank=True)
    is_resolved = models.BooleanField(_("resolved"), default=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(via="deal")

    class Meta:
        ordering = ["deal", "is_resolved", "pk"]
        verbose_name = _("objection")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description[:60]}"
