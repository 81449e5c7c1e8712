"""Reads of activities and tasks, always scoped to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Case,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from kam.accounts.choices import Status as AccountStatus
from kam.accounts.models import Account
from kam.activities import choices
from kam.activities.models import AccountContactStats, Activity, CadenceRule
from kam.activities.reminders import user_zone
from kam.core import access
from kam.core.registry import TimelineCursor

Kind = choices.Kind
Status = choices.Status

# The key activities are registered under in the core timeline (wiring.py).
ACTIVITIES_TIMELINE = "activities"


def activity_list(*, user: Any) -> QuerySet[Activity]:
    return (
        Activity.objects.visible_to(user)
        .select_related("account", "owner", "assignee", "deal")
        .prefetch_related("contacts", "participants")
        .order_by("-occurred_at", "-pk")
    )


def task_list(*, user: Any, whose: str = "mine") -> QuerySet[Activity]:
    """Tasks the user may see: his own (`mine`), his team's when he leads one (`team`), or
    every visible one (`all`); open ones first by due date."""
    tasks = activity_list(user=user).filter(kind=Kind.TASK)
    if whose == "mine":
        tasks = tasks.filter(assignee=user)
    elif whose == "team":
        tasks = tasks.filter(assignee__in=[user.pk, *access.led_member_ids(user)])
    return tasks.order_by(
        Case(When(status=Status.PLANNED, then=Value(0)), default=Value(1)), "due_at", "pk"
    )


def _account_visible(user: Any, account_id: int) -> Exists:
    # One uncorrelated sub-select: an activity is visible with its account (DESIGN.md section 4).
    return Exists(access.scope(Account.objects.filter(pk=account_id), user))


def account_timeline(
    *, user: Any, account_id: int, before: TimelineCursor | None = None, limit: int = 20
) -> list[Activity]:
    """One page of the account's activities, newest first, after the cursor `before` (or up to
    now): one query on the timeline index whatever the account's history."""
    rows = Activity.objects.filter(account_id=account_id)
    rows = (
        rows.filter(before.older(ACTIVITIES_TIMELINE, "occurred_at"))
        if before
        else rows.filter(occurred_at__lte=timezone.now())
    )
    return list(
        rows.filter(_account_visible(user, account_id))
        .select_related("owner")
        .order_by("-occurred_at", "-id")[:limit]
    )


def open_items(
    *, user: Any, account_id: int | None = None, deal_id: int | None = None, limit: int = 10
) -> list[Activity]:
    """Planned activities and open tasks of an account or a deal: overdue first, then next."""
    rows = Activity.objects.visible_to(user).filter(status=Status.PLANNED)
    if account_id is not None:
        rows = rows.filter(account_id=account_id)
    if deal_id is not None:
        rows = rows.filter(deal_id=deal_id)
    return list(rows.select_related("assignee", "owner").order_by("occurred_at", "pk")[:limit])


def deal_activities(*, user: Any, deal_id: int, limit: int = 10) -> list[Activity]:
    return list(
        Activity.objects.visible_to(user)
        .filter(deal_id=deal_id, occurred_at__lte=timezone.now())
        .select_related("owner")
        .order_by("-occurred_at", "-id")[:limit]
    )


# --- The agenda -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agenda:
    day: date
    start: datetime
    end: datetime
    meetings: list[Activity]
    calls: list[Activity]
    tasks_due: list[Activity]
    overdue: list[Activity]


def day_bounds(user: Any, day: date) -> tuple[datetime, datetime]:
    """The user's calendar day as an aware [start, end) interval."""
    zone = user_zone(user)
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def today_for(user: Any) -> date:
    return timezone.localtime(timezone.now(), user_zone(user)).date()


def agenda(*, user: Any, day: date | None = None) -> Agenda:
    """The user's day in his time zone: meetings (his, or where he takes part), calls to make
    (planned for the day or earlier and not done), tasks assigned to him due that day and tasks
    overdue before it. Four queries."""
    day = day or today_for(user)
    start, end = day_bounds(user, day)
    taking_part = Activity.participants.through.objects.filter(user=user).values("activity_id")
    mine = (
        Activity.objects.visible_to(user)
        .filter(Q(owner=user) | Q(assignee=user) | Q(pk__in=taking_part))
        .select_related("account", "assignee")
    )
    today = mine.filter(occurred_at__gte=start, occurred_at__lt=end).exclude(
        status=Status.CANCELLED
    )
    # A task is on the agenda of whoever must do it, not of whoever delegated it.
    tasks = (
        Activity.objects.visible_to(user)
        .filter(kind=Kind.TASK, status=Status.PLANNED, assignee=user)
        .select_related("account", "assignee")
        .order_by("due_at", "pk")
    )
    return Agenda(
        day=day,
        start=start,
        end=end,
        meetings=list(
            today.filter(kind__in=[Kind.MEETING, Kind.PRESENTATION]).order_by("occurred_at")
        ),
        calls=list(
            mine.filter(kind=Kind.CALL, status=Status.PLANNED, occurred_at__lt=end).order_by(
                "occurred_at"
            )
        ),
        tasks_due=list(tasks.filter(due_at__gte=start, due_at__lt=end)),
        overdue=list(tasks.filter(due_at__lt=min(start, timezone.now()))),
    )


# --- Cadence ----------------------------------------------------------------------------------


def cadence_days() -> dict[str, int]:
    """Maximum days without contact per account tier (the admin-edited table, defaults filled)."""
    days = dict(choices.DEFAULT_CADENCE_DAYS)
    days.update(CadenceRule.objects.values_list("tier", "max_days_without_contact"))
    return days


def _contact_due(days: dict[str, int]) -> Case:
    last = Coalesce(F("contact_stats__last_contact_at"), F("created_at"))
    return Case(
        *[
            When(
                tier=tier,
                then=ExpressionWrapper(
                    last + Value(timedelta(days=n), output_field=DurationField()),
                    output_field=DateTimeField(),
                ),
            )
            for tier, n in days.items()
        ],
        output_field=DateTimeField(),
    )


def accounts_past_cadence(*, user: Any) -> QuerySet[Account]:
    """Visible, not-lost accounts whose last client contact (or creation, if never contacted)
    is older than their tier's cadence; the longest overdue first."""
    return (
        Account.objects.visible_to(user)
        .exclude(status=AccountStatus.LOST)
        .annotate(
            last_contact=F("contact_stats__last_contact_at"),
            contact_count=Coalesce(F("contact_stats__repeat_contact_count"), Value(0)),
            contact_due=_contact_due(cadence_days()),
        )
        .filter(contact_due__lt=timezone.now())
        .select_related("owner")
        .order_by("contact_due", "pk")
    )


@dataclass(frozen=True)
class Cadence:
    max_days: int
    last_contact_at: datetime | None
    contact_count: int
    due_at: datetime
    days_overdue: int

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue > 0


def account_cadence(*, account: Account) -> Cadence:
    stats = AccountContactStats.objects.filter(account_id=account.pk).first()
    max_days = cadence_days().get(account.tier, choices.DEFAULT_CADENCE_DAYS["standard"])
    last = stats.last_contact_at if stats else None
    due = (last or account.created_at) + timedelta(days=max_days)
    overdue = (timezone.now() - due).days if due < timezone.now() else 0
    return Cadence(
        max_days=max_days,
        last_contact_at=last,
        contact_count=stats.repeat_contact_count if stats else 0,
        due_at=due,
        days_overdue=overdue if account.status != AccountStatus.LOST else 0,
    )
