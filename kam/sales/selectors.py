"""Reads of the work cycle, always scoped to what the user may see (`kam.core.access`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Prefetch, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext

from kam.core import access
from kam.core.registry import TimelineCursor
from kam.sales.choices import Outcome
from kam.sales.models import Deal, Need, Objection, Pipeline, Stage, StageChange
from kam.users.models import Team

# The key stage changes are registered under in the core timeline (wiring.py).
STAGE_CHANGES_TIMELINE = "sales.stage_changes"

CARDS_PER_COLUMN = 20
COUNT_CAP = 1000  # a column counts its cards up to this many ("1000+"), whatever the total


def pipeline_list(*, user: Any) -> QuerySet[Pipeline]:
    return Pipeline.objects.visible_to(user).prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position", "pk"))
    )


def deal_list(*, user: Any) -> QuerySet[Deal]:
    return (
        Deal.objects.visible_to(user)
        .select_related("account", "pipeline", "stage", "owner")
        .order_by("-created_at", "-pk")
    )


def deal_detail(*, user: Any, deal_id: Any) -> Deal:
    queryset = Deal.objects.select_related(
        "account", "pipeline", "stage", "owner", "owner__team"
    ).prefetch_related("contacts")
    deal: Deal = access.get_for(user, queryset, deal_id)
    return deal


def needs_of(*, deal: Deal) -> QuerySet[Need]:
    return Need.objects.filter(deal=deal).order_by("pk")


def objections_of(*, deal: Deal) -> QuerySet[Objection]:
    return Objection.objects.filter(deal=deal).order_by("is_resolved", "pk")


def need_list(*, user: Any) -> QuerySet[Need]:
    return (
        Need.objects.visible_to(user)
        .filter(deal__deleted_at__isnull=True)
        .select_related("deal")
        .order_by("deal", "pk")
    )


def objection_list(*, user: Any) -> QuerySet[Objection]:
    return (
        Objection.objects.visible_to(user)
        .filter(deal__deleted_at__isnull=True)
        .select_related("deal")
        .order_by("deal", "is_resolved", "pk")
    )


@dataclass
class StageSpell:
    """A stay of the deal in one stage: when it entered and how long it stayed."""

    stage: Stage
    entered_at: datetime
    seconds: int | None  # None: still there
    changed_by: Any

    @property
    def duration(self) -> str:
        """How long the deal stayed, in words ("3 days, 4 hours"), in the user's language."""
        if self.seconds is None:
            return ""
        if self.seconds < 60:
            return gettext("less than a minute")
        return timesince(self.entered_at, self.entered_at + timedelta(seconds=self.seconds))


def stage_history(*, deal: Deal) -> list[StageSpell]:
    changes = list(
        StageChange.objects.filter(deal=deal)
        .select_related("to_stage", "changed_by")
        .order_by("changed_at", "pk")
    )
    # Each spell lasts until the next change; the last one is still running. A deal loaded in
    # bulk may have no change at all: then there is no history to show.
    spells = []
    for index, current in enumerate(changes):
        following = changes[index + 1] if index + 1 < len(changes) else None
        seconds = following.seconds_in_from_stage if following is not None else None
        spells.append(StageSpell(current.to_stage, current.changed_at, seconds, current.changed_by))
    return spells


# --- The board -------------------------------------------------------------------------------


@dataclass
class Column:
    stage: Stage
    cards: list[Deal]
    count: int  # capped at COUNT_CAP
    has_more: bool
    page: int = 1

    @property
    def count_label(self) -> str:
        return f"{COUNT_CAP}+" if self.count >= COUNT_CAP else str(self.count)


def _column_queryset(user: Any, stage: Stage, filters: dict[str, Any]) -> QuerySet[Deal]:
    queryset = Deal.objects.visible_to(user).filter(
        pipeline_id=stage.pipeline_id, stage=stage, status=stage.outcome, **filters
    )
    return queryset.order_by("-stage_entered_at", "-id")


def board_column(
    *, user: Any, stage: Stage, page: int = 1, filters: dict[str, Any] | None = None
) -> Column:
    """One page of a stage's cards (newest in the stage first) and the capped count.

    Two indexed queries whatever the number of deals: the cards come from the board index
    (pipeline, stage, status, -stage_entered_at, -id) with a LIMIT; the count stops at
    COUNT_CAP.
    """
    queryset = _column_queryset(user, stage, filters or {})
    start = (max(page, 1) - 1) * CARDS_PER_COLUMN
    rows = list(queryset.select_related("account", "owner")[start : start + CARDS_PER_COLUMN + 1])
    count = queryset.order_by()[:COUNT_CAP].count() if page == 1 else 0
    return Column(
        stage=stage,
        cards=rows[:CARDS_PER_COLUMN],
        count=count,
        has_more=len(rows) > CARDS_PER_COLUMN,
        page=page,
    )


def board(*, user: Any, pipeline: Pipeline, filters: dict[str, Any] | None = None) -> list[Column]:
    """The open stages of a pipeline as columns (won and lost are drop zones, no cards)."""
    stages = list(pipeline.stages.order_by("position", "pk"))
    return [
        board_column(user=user, stage=stage, filters=filters)
        for stage in stages
        if stage.outcome == Outcome.OPEN
    ]


# --- The forecast ----------------------------------------------------------------------------

_CENT = Decimal("0.01")


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass
class ForecastLine:
    currency: str
    key: Any  # a month (date or None), an owner id or a team id
    label: str = ""
    deals: int = 0
    pipeline: Decimal = Decimal("0.00")  # open amounts, unweighted
    weighted: Decimal = Decimal("0.00")  # sum(amount x probability / 100)
    won: Decimal = Decimal("0.00")  # won since `won_since`

    def as_dict(self) -> dict[str, Any]:
        key = self.key.strftime("%Y-%m") if isinstance(self.key, date) else self.key
        return {
            "key": None if key is None else str(key),
            "label": self.label,
            "currency": self.currency,
            "deals": self.deals,
            "pipeline": str(self.pipeline),
            "weighted": str(self.weighted),
            "won": str(self.won),
        }


@dataclass
class Forecast:
    won_since: date
    months: list[ForecastLine] = field(default_factory=list)
    owners: list[ForecastLine] = field(default_factory=list)
    teams: list[ForecastLine] = field(default_factory=list)
    totals: list[ForecastLine] = field(default_factory=list)


def forecast(*, user: Any, deals: QuerySet[Deal], won_since: date | None = None) -> Forecast:
    """The weighted pipeline of the open deals among `deals` (already filtered, scoped again
    here) by month of expected close, by owner and by team, each per currency (amounts in
    different currencies are never added), with the amounts won since `won_since` (default:
    the first of January) beside them. Two grouped queries, whatever the number of deals."""
    won_since = won_since or timezone.localdate().replace(month=1, day=1)
    scoped = deals.filter(access.visible_q(user, Deal)).order_by()
    weighted_expr = ExpressionWrapper(
        F("amount") * F("probability"), output_field=DecimalField(max_digits=20, decimal_places=2)
    )
    open_rows = (
        scoped.filter(status=Outcome.OPEN)
        .annotate(month=TruncMonth("expected_close_date"))
        .values("month", "currency", "owner_id", "owner__username", "owner__team_id")
        .annotate(amount_sum=Sum("amount"), weighted_sum=Sum(weighted_expr), deals=Count("id"))
    )
    won_rows = (
        scoped.filter(status=Outcome.WON, closed_at__date__gte=won_since)
        .annotate(month=TruncMonth("closed_at", tzinfo=timezone.get_current_timezone()))
        .values("month", "currency", "owner_id", "owner__username", "owner__team_id")
        .annotate(amount_sum=Sum("amount"))
    )
    tables: dict[str, dict[tuple[str, Any], ForecastLine]] = defaultdict(dict)
    team_names = _team_names()

    def line(table: str, currency: str, key: Any, label: str) -> ForecastLine:
        found = tables[table].get((currency, key))
        if found is None:
            found = tables[table][(currency, key)] = ForecastLine(currency, key, label)
        return found

    def targets(row: Any) -> list[ForecastLine]:
        month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        team = row["owner__team_id"]
        return [
            line("months", row["currency"], month, month.strftime("%Y-%m") if month else ""),
            line("owners", row["currency"], row["owner_id"], row["owner__username"]),
            line("teams", row["currency"], team, team_names.get(team, "")),
            line("totals", row["currency"], None, ""),
        ]

    for row in open_rows:
        for target in targets(row):
            target.deals += row["deals"]
            target.pipeline += _money(row["amount_sum"])
            target.weighted += Decimal(str(row["weighted_sum"] or 0)) / 100
    for won_row in won_rows:
        for target in targets(won_row):
            target.won += _money(won_row["amount_sum"])
    result = Forecast(won_since=won_since)
    for name in ("months", "owners", "teams", "totals"):
        lines = list(tables[name].values())
        for item in lines:
            item.weighted = _money(item.weighted)
        lines.sort(key=lambda item: (_sort_key(item.key, item.label), item.currency))
        setattr(result, name, lines)
    return result


def _sort_key(key: Any, label: str) -> tuple[int, str]:
    if key is None:
        return (1, "")
    return (0, key.isoformat() if isinstance(key, date) else label.lower())


def _team_names() -> dict[Any, str]:
    return dict(Team.all_objects.values_list("pk", "name"))


# --- What the account page shows -------------------------------------------------------------

PANEL_LIMIT = 20


def account_deals(*, user: Any, account: Any) -> dict[str, Any]:
    """The account's open deals (stage, amount), and the needs and objections of its deals."""
    deals = Deal.objects.visible_to(user).filter(account=account)
    open_deals = list(
        deals.filter(status=Outcome.OPEN)
        .select_related("stage", "owner")
        .order_by("expected_close_date", "pk")[:PANEL_LIMIT]
    )
    needs = list(
        Need.objects.filter(deal__in=deals.values("pk"))
        .select_related("deal")
        .order_by("-created_at", "-pk")[:PANEL_LIMIT]
    )
    objections = list(
        Objection.objects.filter(deal__in=deals.values("pk"))
        .select_related("deal")
        .order_by("is_resolved", "-created_at", "-pk")[:PANEL_LIMIT]
    )
    closed = deals.exclude(status=Outcome.OPEN).order_by()[:COUNT_CAP].count()
    return {"open_deals": open_deals, "needs": needs, "objections": objections, "closed": closed}


def stage_changes_for_account(
    *, user: Any, account: Any, before: TimelineCursor | None, limit: int
) -> list[StageChange]:
    queryset = StageChange.objects.filter(
        deal__account=account, deal__deleted_at__isnull=True
    ).filter(access.visible_q(user, StageChange))
    if before is not None:
        queryset = queryset.filter(before.older(STAGE_CHANGES_TIMELINE, "changed_at"))
    return list(
        queryset.select_related("deal", "from_stage", "to_stage", "changed_by").order_by(
            "-changed_at", "-pk"
        )[:limit]
    )
