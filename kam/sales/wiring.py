"""What the sales app plugs into core: audit, navigation, search, the account page's panel and
timeline, the "needs identified" stage check, and the deals exporter."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core import access, audit, registry
from kam.sales.defaults import NEEDS_RECORDED

SEARCH_MIN_LENGTH = 2


def needs_recorded(deal: Any) -> str | None:
    """At least one need is recorded on the deal."""
    if deal.pk is not None and deal.needs.exists():
        return None
    return _("Record at least one need of the client first.")


def _search(user: Any, query: str, limit: int) -> list[registry.SearchHit]:
    from kam.sales.models import Deal

    if len(query) < SEARCH_MIN_LENGTH:
        return []
    deals = (
        Deal.objects.visible_to(user)
        .filter(title__icontains=query)
        .select_related("account", "stage")
        .order_by("-updated_at", "-pk")[:limit]
    )
    lowered = query.lower()
    return [
        registry.SearchHit(
            kind=str(_("Deal")),
            title=deal.title,
            subtitle=f"{deal.account.name} · {deal.stage.name}",
            url=reverse("sales:deal_detail", args=[deal.pk]),
            score=0.9 if deal.title.lower().startswith(lowered) else 0.5,
        )
        for deal in deals
    ]


def _timeline(
    user: Any, account: Any, before: registry.TimelineCursor | None, limit: int
) -> list[registry.TimelineEntry]:
    from kam.sales.choices import Outcome
    from kam.sales.selectors import stage_changes_for_account

    entries = []
    for change in stage_changes_for_account(user=user, account=account, before=before, limit=limit):
        outcome = change.to_stage.outcome
        if change.from_stage is None:
            title = _("Deal “%(deal)s” opened in %(stage)s")
            icon = "plus-circle"
        elif outcome == Outcome.WON:
            title, icon = _("Deal “%(deal)s” won"), "trophy"
        elif outcome == Outcome.LOST:
            title, icon = _("Deal “%(deal)s” lost"), "x-circle"
        else:
            title, icon = _("Deal “%(deal)s” moved to %(stage)s"), "arrow-right-circle"
        detail = change.deal.lost_reason if outcome == Outcome.LOST else ""
        entries.append(
            registry.TimelineEntry(
                when=change.changed_at,
                kind="stage_change",
                title=title % {"deal": change.deal.title, "stage": change.to_stage.name},
                url=reverse("sales:deal_detail", args=[change.deal_id]),
                actor=str(change.changed_by or ""),
                detail=detail,
                icon=icon,
                pk=change.pk,
            )
        )
    return entries


def _sees_deals(user: Any) -> bool:
    return access.is_active_user(user)


def connect() -> None:
    from kam.sales.exporting import EXPORTER
    from kam.sales.models import Deal, Need, Objection, Pipeline, Stage
    from kam.sales.selectors import STAGE_CHANGES_TIMELINE

    audit.register(Pipeline)
    audit.register(Stage)
    audit.register(Deal, m2m=("contacts",))
    audit.register(Need)
    audit.register(Objection)
    registry.register_stage_check(
        registry.StageCheck(
            NEEDS_RECORDED, gettext_lazy("At least one need is recorded"), needs_recorded
        )
    )
    registry.register_nav(
        registry.NavItem("deals", gettext_lazy("Deals"), "sales:deal_list", "briefcase", order=20)
    )
    registry.register_nav(
        registry.NavItem("board", gettext_lazy("Board"), "sales:board", "kanban", order=21)
    )
    registry.register_nav(
        registry.NavItem(
            "forecast", gettext_lazy("Forecast"), "sales:forecast", "graph-up-arrow", order=22
        )
    )
    registry.register_search("deals", _search)
    registry.register_timeline(STAGE_CHANGES_TIMELINE, _timeline)
    registry.register_panel(
        registry.Panel(
            key="sales.account_deals",
            title=gettext_lazy("Deals"),
            model="accounts.account",
            url_name="sales:account_deals_panel",
            order=20,
            visible=_sees_deals,
        )
    )
    registry.register_exporter(EXPORTER)
