"""Logging, planning, editing and completing activities: rules, links, access, audit, stats."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.activities import services
from kam.activities.errors import ActivityError
from kam.activities.models import AccountContactStats, Activity
from kam.activities.tests.factories import ActivityFactory, TaskFactory
from kam.core.errors import ConflictError, NotFoundError, PermissionDeniedError

pytestmark = pytest.mark.django_db


def _call(account: Any, **extra: Any) -> dict[str, Any]:
    return {"kind": "call", "account": account, "subject": "Intro call", **extra}


def test_a_logged_call_keeps_its_details_and_counts_as_a_contact(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    contact = ContactFactory(account=account)
    when = timezone.now() - timedelta(hours=2)

    call = services.activity_create(
        user=org.owner,
        data=_call(
            account,
            direction="outbound",
            duration_seconds=420,
            outcome="Asked for a quote",
            occurred_at=when,
            contacts=[contact],
        ),
    )

    call.refresh_from_db()
    assert (call.status, call.direction, call.duration_seconds) == ("done", "outbound", 420)
    assert call.owner == org.owner
    assert list(call.contacts.all()) == [contact]
    stats = AccountContactStats.objects.get(account=account)
    assert (stats.last_contact_at, stats.repeat_contact_count) == (when, 1)
    entry = LogEntry.objects.get_for_object(call).get(action=LogEntry.Action.CREATE)
    assert entry.actor == org.owner


def test_notes_and_tasks_do_not_count_as_contacts(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    services.activity_create(
        user=org.owner, data={"kind": "note", "account": account, "subject": "Thoughts"}
    )
    services.activity_create(
        user=org.owner,
        data={
            "kind": "task",
            "account": account,
            "subject": "Send quote",
            "due_at": timezone.now() + timedelta(days=1),
        },
    )

    stats = AccountContactStats.objects.get(account=account)
    assert (stats.last_contact_at, stats.repeat_contact_count) == (None, 0)


def test_a_meeting_planned_ahead_is_planned_and_not_yet_a_contact(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    start = timezone.now() + timedelta(days=3)

    meeting = services.activity_create(
        user=org.owner,
        data={
            "kind": "meeting",
            "account": account,
            "subject": "Presentation of the line",
            "status": "planned",
            "occurred_at": start,
            "ends_at": start + timedelta(hours=1),
            "location": "Client HQ",
            "agenda": "1. Range\n2. Prices",
            "participants": [org.peer],
            "remind_at": start - timedelta(hours=1),
        },
    )

    assert meeting.status == "planned"
    assert list(meeting.participants.all()) == [org.peer]
    assert AccountContactStats.objects.get(account=account).repeat_contact_count == 0


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"occurred_at": timezone.now() + timedelta(days=2)}, "occurred_at"),
        ({"kind": "note", "status": "planned"}, "status"),
        ({"ends_at": timezone.now() - timedelta(days=5)}, "ends_at"),
        ({"kind": "task"}, "due_at"),
        ({"due_at": timezone.now()}, "due_at"),
        ({"remind_at": timezone.now()}, "remind_at"),
        ({"kind": "fortune-telling"}, "kind"),
        ({"subject": ""}, "subject"),
        ({"direction": "sideways"}, "direction"),
    ],
)
def test_bad_input_is_refused_per_field_and_nothing_is_written(
    org: Any, extra: dict[str, Any], field: str
) -> None:
    account = AccountFactory(owner=org.owner)

    with pytest.raises(ActivityError) as error:
        services.activity_create(user=org.owner, data=_call(account, **extra))

    assert field in error.value.fields
    assert Activity.all_objects.count() == 0


def test_contacts_and_the_deal_must_belong_to_the_account(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    stranger = ContactFactory(account=AccountFactory(owner=org.owner))

    with pytest.raises(ActivityError) as error:
        services.activity_create(user=org.owner, data=_call(account, contacts=[stranger]))

    assert list(error.value.fields) == ["contacts"]
    assert Activity.all_objects.count() == 0


def test_logging_on_an_account_one_may_not_change_is_refused(org: Any) -> None:
    theirs = AccountFactory(owner=org.other)

    with pytest.raises(NotFoundError):
        services.activity_create(user=org.owner, data=_call(theirs))
    with pytest.raises(PermissionDeniedError):
        services.activity_create(user=org.auditor, data=_call(theirs))

    assert Activity.all_objects.count() == 0


def test_a_team_lead_logs_on_his_members_accounts(org: Any) -> None:
    account = AccountFactory(owner=org.owner)

    call = services.activity_create(user=org.lead, data=_call(account))

    assert call.owner == org.lead


def test_a_task_defaults_to_its_creator_and_sits_on_the_timeline_at_its_due_time(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    due = timezone.now() + timedelta(days=2)

    task = services.activity_create(
        user=org.owner,
        data={
            "kind": "task",
            "account": account,
            "subject": "Quote",
            "due_at": due,
            "priority": "high",
        },
    )

    assert (task.status, task.assignee, task.occurred_at, task.priority) == (
        "planned",
        org.owner,
        due,
        "high",
    )


def test_an_edit_with_a_stale_version_is_refused_and_changes_nothing(org: Any) -> None:
    call = ActivityFactory(account=AccountFactory(owner=org.owner), subject="Old")
    services.activity_update(
        user=org.owner, activity=call, expected_version=1, data={"subject": "New"}
    )

    with pytest.raises(ConflictError):
        services.activity_update(
            user=org.owner, activity=call, expected_version=1, data={"subject": "Stale"}
        )

    call.refresh_from_db()
    assert (call.subject, call.version) == ("New", 2)


def test_edits_need_change_rights(org: Any) -> None:
    call = ActivityFactory(account=AccountFactory(owner=org.owner))

    with pytest.raises(NotFoundError):
        services.activity_update(
            user=org.other, activity=call, expected_version=1, data={"subject": "X"}
        )
    with pytest.raises(PermissionDeniedError):
        services.activity_update(
            user=org.auditor, activity=call, expected_version=1, data={"subject": "X"}
        )
    call.refresh_from_db()
    assert call.version == 1


def test_moving_to_another_account_drops_contacts_of_the_old_one(org: Any) -> None:
    first, second = AccountFactory(owner=org.owner), AccountFactory(owner=org.owner)
    call = services.activity_create(
        user=org.owner, data=_call(first, contacts=[ContactFactory(account=first)])
    )

    moved = services.activity_update(
        user=org.owner, activity=call, expected_version=call.version, data={"account": second}
    )

    assert (moved.account, list(moved.contacts.all())) == (second, [])
    assert AccountContactStats.objects.get(account=first).repeat_contact_count == 0
    assert AccountContactStats.objects.get(account=second).repeat_contact_count == 1


def test_complete_cancel_reopen(org: Any) -> None:
    task = TaskFactory(account=AccountFactory(owner=org.owner))

    done = services.activity_complete(user=org.owner, activity=task, outcome="Sent")
    assert (done.status, done.outcome, done.completed_at is not None) == ("done", "Sent", True)
    with pytest.raises(ActivityError):
        services.activity_complete(user=org.owner, activity=task)
    reopened = services.activity_reopen(user=org.owner, activity=task)
    assert (reopened.status, reopened.completed_at) == ("planned", None)
    cancelled = services.activity_cancel(user=org.owner, activity=task)
    assert cancelled.status == "cancelled"


def test_the_assignee_completes_a_task_on_an_account_he_cannot_see(org: Any) -> None:
    task = TaskFactory(account=AccountFactory(owner=org.other), assignee=org.staff)

    done = services.activity_complete(user=org.staff, activity=task)

    assert done.status == "done"


def test_a_planned_meeting_completed_early_happened_now(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    meeting = ActivityFactory(
        account=account,
        kind="meeting",
        status="planned",
        occurred_at=timezone.now() + timedelta(days=1),
    )

    done = services.activity_complete(user=org.owner, activity=meeting)

    assert done.occurred_at <= timezone.now()
    assert AccountContactStats.objects.get(account=account).last_contact_at == done.occurred_at


def test_delete_goes_to_the_trash_and_updates_the_stats(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    call = services.activity_create(user=org.owner, data=_call(account))

    services.activity_delete(user=org.owner, activity=call)

    assert Activity.objects.count() == 0
    assert Activity.all_objects.get().deleted_by == org.owner
    assert AccountContactStats.objects.get(account=account).repeat_contact_count == 0


def test_rebuild_recomputes_stats_of_bulk_loaded_activities(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    when = timezone.now() - timedelta(days=3)
    Activity.objects.bulk_create(
        [
            Activity(account=account, owner=org.owner, kind="call", subject="a", occurred_at=when),
            Activity(
                account=account,
                owner=org.owner,
                kind="email",
                subject="b",
                occurred_at=when - timedelta(days=1),
            ),
            Activity(account=account, owner=org.owner, kind="note", subject="c"),
        ]
    )

    assert services.contact_stats_rebuild() == 1

    stats = AccountContactStats.objects.get(account=account)
    assert (stats.last_contact_at, stats.repeat_contact_count) == (when, 2)
