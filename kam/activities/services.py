"""Write use cases of activities and tasks: log, plan, edit, complete, cancel, reopen, delete.

Every write checks access through `kam.core.access`, validates the whole record, runs in one
transaction, is audited under the acting user and keeps the account's contact statistics
(last contact, repeat-contact count) up to date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account, Contact
from kam.activities import choices
from kam.activities.errors import ActivityError
from kam.activities.models import AccountContactStats, Activity
from kam.core import access
from kam.core.audit import acting_as
from kam.core.errors import NotFoundError, PermissionDeniedError
from kam.core.services import soft_delete, versioned_update

# What a caller may set; the rest (completion, reminders sent, version) is the services' own.
FIELDS = frozenset(
    {
        "kind",
        "account",
        "deal",
        "subject",
        "body",
        "status",
        "occurred_at",
        "ends_at",
        "owner",
        "direction",
        "duration_seconds",
        "outcome",
        "location",
        "agenda",
        "due_at",
        "priority",
        "assignee",
        "remind_at",
    }
)
M2M_FIELDS = frozenset({"contacts", "participants"})
# A logged (done) activity may be stamped a little ahead of the server clock, not more.
CLOCK_SKEW = timedelta(minutes=5)

Status = choices.Status
Kind = choices.Kind


def _split(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    unknown = set(data) - FIELDS - M2M_FIELDS
    if unknown:
        raise ActivityError(fields={name: [_("Unknown field.")] for name in sorted(unknown)})
    fields = {k: v for k, v in data.items() if k in FIELDS}
    m2m = {k: list(v or []) for k, v in data.items() if k in M2M_FIELDS}
    return fields, m2m


def _can_change(user: Any, record: Any, message: str) -> None:
    """Linking records needs the right to change both (DESIGN.md section 4)."""
    if not access.can(user, record, "change"):
        raise NotFoundError(message)


def _check_links(
    *, user: Any, activity: Activity, changed: set[str], m2m: dict[str, list[Any]]
) -> None:
    if "account" in changed:
        _can_change(user, activity.account, _("The account does not exist or is not yours."))
    if "deal" in changed and activity.deal is not None:
        _can_change(user, activity.deal, _("The deal does not exist or is not yours to change."))
        if activity.deal.account_id != activity.account_id:
            raise ActivityError(fields={"deal": [_("The deal belongs to another account.")]})
    if "contacts" in m2m:
        contacts: list[Contact] = m2m["contacts"]
        if any(c.account_id != activity.account_id or c.deleted_at for c in contacts):
            raise ActivityError(
                fields={"contacts": [_("Every contact must belong to the activity's account.")]}
            )
    if "participants" in m2m and any(not p.is_active for p in m2m["participants"]):
        raise ActivityError(fields={"participants": [_("Participants must be active users.")]})
    if "assignee" in changed and activity.assignee is not None and not activity.assignee.is_active:
        raise ActivityError(fields={"assignee": [_("Assign the task to an active user.")]})


def _rules(activity: Activity, *, now: datetime) -> dict[str, list[str]]:
    """The cross-field rules of an activity, as field errors."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    planned = activity.status == Status.PLANNED
    if planned and activity.kind not in choices.PLANNABLE:
        add("status", _("Only calls, meetings, presentations and tasks can be planned."))
    if activity.kind == Kind.TASK:
        if activity.due_at is None:
            add("due_at", _("A task needs a due date."))
    elif activity.due_at is not None:
        add("due_at", _("Only tasks have a due date."))
    logged = activity.status == Status.DONE and activity.kind != Kind.TASK
    if logged and activity.occurred_at > now + CLOCK_SKEW:
        add("occurred_at", _("This is in the future: plan it instead of logging it as done."))
    if activity.ends_at is not None and activity.ends_at < activity.occurred_at:
        add("ends_at", _("The end is before the start."))
    if activity.direction and activity.kind not in (Kind.CALL, Kind.EMAIL, Kind.LETTER, Kind.FAX):
        add("direction", _("Only calls, e-mails, letters and faxes have a direction."))
    if activity.remind_at is not None and not planned:
        add("remind_at", _("Only planned activities and open tasks have a reminder."))
    return errors


def _validate(activity: Activity, *, now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    try:
        activity.full_clean()
    except ValidationError as error:
        errors.update(error.message_dict)
    for field, messages in _rules(activity, now=now).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ActivityError(_("Some values are not valid."), fields=errors)


def _normalise(activity: Activity, changed: set[str]) -> None:
    # A task sits on the timeline at its due time.
    if activity.kind == Kind.TASK and activity.due_at is not None:
        activity.occurred_at = activity.due_at
    if activity.kind == Kind.TASK and activity.assignee_id is None:
        activity.assignee = activity.owner
    if activity.status == Status.DONE and activity.completed_at is None:
        activity.completed_at = timezone.now()


@transaction.atomic
def activity_create(*, user: Any, data: dict[str, Any]) -> Activity:
    """Log something that happened (status done) or plan it (status planned; tasks always).

    Requires the right to change the account (and the deal); contacts must belong to the
    account. Updates the account's contact statistics.
    """
    if access.is_read_only(user) or not access.is_active_user(user):
        raise PermissionDeniedError()
    fields, m2m = _split(data)
    if fields.get("account") is None:
        raise ActivityError(fields={"account": [_("This field is required.")]})
    owner = fields.pop("owner", None) or user
    if owner != user and not access.changes_all(user):
        raise PermissionDeniedError(_("Only the head of sales or an admin can log for others."))
    kind = fields.get("kind")
    fields.setdefault("status", Status.PLANNED if kind == Kind.TASK else Status.DONE)
    activity = Activity(owner=owner, **fields)
    _check_links(user=user, activity=activity, changed=set(fields), m2m=m2m)
    _normalise(activity, set(fields))
    _validate(activity, now=timezone.now())
    with acting_as(user):
        activity.save()
        for name, values in m2m.items():
            getattr(activity, name).set(values)
    contact_stats_refresh(account_id=activity.account_id)
    return activity


@transaction.atomic
def activity_update(
    *, user: Any, activity: Activity, expected_version: int, data: dict[str, Any]
) -> Activity:
    """Edit an activity the user may change, if nobody saved it since `expected_version`."""
    current: Activity = access.get_for(user, Activity.objects.all(), activity.pk, "change")
    fields, m2m = _split(data)
    if fields.get("owner") == current.owner:
        del fields["owner"]
    if "owner" in fields and not access.changes_all(user):
        raise PermissionDeniedError(_("Only the head of sales or an admin can change the owner."))
    if "kind" in fields and (fields["kind"] == Kind.TASK) != current.is_task:
        raise ActivityError(fields={"kind": [_("A task cannot become an activity or back.")]})
    changed = {k for k, v in fields.items() if getattr(current, k) != v}
    if changed & {"account"}:
        m2m.setdefault("contacts", [])  # contacts of the old account cannot follow it
        if current.deal_id and "deal" not in fields:
            fields["deal"] = None
    preview = Activity.objects.get(pk=current.pk)
    for name, value in fields.items():
        setattr(preview, name, value)
    _check_links(user=user, activity=preview, changed=changed, m2m=m2m)
    if "remind_at" in changed:
        fields["reminded_at"] = None  # a new reminder time is a new reminder
    if "due_at" in changed:
        fields["overdue_notified_at"] = None
    _normalise(preview, changed)
    for name in ("occurred_at", "assignee"):
        if getattr(preview, name) != getattr(current, name):
            fields[name] = getattr(preview, name)
    _validate(preview, now=timezone.now())
    try:
        updated = versioned_update(
            instance=current, expected_version=expected_version, changes=fields, user=user
        )
    except ValidationError as error:
        raise ActivityError(_("Some values are not valid."), fields=error.message_dict) from None
    with acting_as(user):
        for name, values in m2m.items():
            getattr(updated, name).set(values)
    _refresh_accounts({current.account_id, updated.account_id})
    return updated


def _transition(
    *, user: Any, activity: Activity, allowed_from: Iterable[str], changes: dict[str, Any]
) -> Activity:
    locked: Activity = access.get_for(
        user, Activity.objects.select_for_update(of=("self",)), activity.pk, "change"
    )
    if locked.status not in allowed_from:
        raise ActivityError(
            _("This activity is %(status)s.") % {"status": locked.get_status_display().lower()},
            fields={"status": [_("Not possible from this status.")]},
        )
    for name, value in changes.items():
        setattr(locked, name, value)
    _validate(locked, now=timezone.now())
    with acting_as(user):
        locked.save()
    contact_stats_refresh(account_id=locked.account_id)
    return locked


@transaction.atomic
def activity_complete(*, user: Any, activity: Activity, outcome: str = "") -> Activity:
    """Mark a planned call, meeting, presentation or task done (now, or when it was planned
    if that is already past)."""
    now = timezone.now()
    changes: dict[str, Any] = {"status": Status.DONE, "completed_at": now, "remind_at": None}
    if outcome:
        changes["outcome"] = outcome[:255]
    if not activity.is_task and activity.occurred_at > now:
        changes["occurred_at"] = now  # it happened earlier than planned
    return _transition(user=user, activity=activity, allowed_from=[Status.PLANNED], changes=changes)


@transaction.atomic
def activity_cancel(*, user: Any, activity: Activity) -> Activity:
    return _transition(
        user=user,
        activity=activity,
        allowed_from=[Status.PLANNED],
        changes={"status": Status.CANCELLED, "remind_at": None},
    )


@transaction.atomic
def activity_reopen(*, user: Any, activity: Activity) -> Activity:
    """Put a done or cancelled call, meeting, presentation or task back to planned."""
    if activity.kind not in choices.PLANNABLE:
        raise ActivityError(fields={"status": [_("Only plannable activities can be reopened.")]})
    return _transition(
        user=user,
        activity=activity,
        allowed_from=[Status.DONE, Status.CANCELLED],
        changes={"status": Status.PLANNED, "completed_at": None},
    )


@transaction.atomic
def activity_delete(*, user: Any, activity: Activity) -> Activity:
    """Move an activity to the trash (restorable by its owner or an admin)."""
    deleted = soft_delete(instance=activity, user=user)
    contact_stats_refresh(account_id=deleted.account_id)
    return deleted


# --- Contact statistics and cadence -------------------------------------------------------------


def _refresh_accounts(account_ids: Iterable[int]) -> None:
    for account_id in sorted(account_ids):
        contact_stats_refresh(account_id=account_id)


def _contacts() -> Any:
    return Activity.objects.filter(
        status=Status.DONE,
        kind__in=list(choices.CLIENT_INTERACTIONS),
        occurred_at__lte=timezone.now() + CLOCK_SKEW,
    )


@transaction.atomic
def contact_stats_refresh(*, account_id: int) -> AccountContactStats:
    """Recompute one account's last contact and repeat-contact count from its activities.

    Locks the account row, so two writers on the same account queue instead of racing.
    """
    list(Account._base_manager.select_for_update().filter(pk=account_id).values_list("pk"))
    figures = (
        _contacts().filter(account_id=account_id).aggregate(last=Max("occurred_at"), n=Count("pk"))
    )
    stats, _created = AccountContactStats.objects.update_or_create(
        account_id=account_id,
        defaults={"last_contact_at": figures["last"], "repeat_contact_count": figures["n"]},
    )
    return stats


@transaction.atomic
def contact_stats_rebuild(*, batch_size: int = 5000) -> int:
    """Recompute every account's statistics in one grouped pass (after bulk loads, restores
    from the trash, or to repair); returns the number of rows written."""
    rows = (
        _contacts().order_by().values("account_id").annotate(last=Max("occurred_at"), n=Count("pk"))
    )
    AccountContactStats.objects.all().delete()
    batch: list[AccountContactStats] = []
    written = 0
    for row in rows.iterator(chunk_size=batch_size):
        batch.append(
            AccountContactStats(
                account_id=row["account_id"],
                last_contact_at=row["last"],
                repeat_contact_count=row["n"],
            )
        )
        if len(batch) >= batch_size:
            written += len(AccountContactStats.objects.bulk_create(batch))
            batch = []
    written += len(AccountContactStats.objects.bulk_create(batch))
    return written
