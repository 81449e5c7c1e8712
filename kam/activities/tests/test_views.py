"""Pages: the account and deal panels (quick log), agenda, tasks, cadence, the timeline source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.activities.models import AccountContactStats, Activity, CadenceRule
from kam.activities.tests.factories import ActivityFactory, TaskFactory
from kam.core import access, registry

pytestmark = pytest.mark.django_db


def test_quick_log_from_the_account_panel(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    contact = ContactFactory(account=account)
    client.force_login(org.owner)

    response = client.post(
        f"/activities/panel/account/{account.pk}/",
        {
            "kind": "call",
            "subject": "Follow-up",
            "when": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "contact": contact.pk,
        },
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    call = Activity.objects.get()
    assert (call.subject, call.status, list(call.contacts.all())) == (
        "Follow-up",
        "done",
        [contact],
    )
    assert "Call “Follow-up” saved." in response.content.decode()


def test_quick_log_keeps_input_and_says_what_is_wrong(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)

    response = client.post(
        f"/activities/panel/account/{account.pk}/",
        {"kind": "note", "subject": "Idea", "when": "2099-01-01T10:00"},
    )

    assert response.status_code == 200
    assert Activity.objects.count() == 0
    assert "plan it instead" in response.content.decode()
    assert 'value="Idea"' in response.content.decode()


def test_a_future_meeting_from_the_panel_is_planned(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)

    client.post(
        f"/activities/panel/account/{account.pk}/",
        {"kind": "meeting", "subject": "Visit", "when": "2099-01-01T10:00"},
    )

    assert Activity.objects.get().status == "planned"


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("auditor", 200), ("other", 404)])
def test_account_panel_access(client: Any, org: Any, who: str, status: int) -> None:
    account = AccountFactory(owner=org.owner)
    TaskFactory(account=account, subject="Secret task")
    client.force_login(getattr(org, who))

    response = client.get(f"/activities/panel/account/{account.pk}/")

    assert response.status_code == status
    assert ("Secret task" in response.content.decode()) is (status == 200)
    assert ("Log or plan" in response.content.decode()) is (who == "owner")


def test_account_panel_flags_an_account_past_its_cadence(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner, tier="strategic")
    Activity.objects.filter(pk=ActivityFactory(account=account).pk).update(
        occurred_at=timezone.now() - timedelta(days=20)
    )
    from kam.activities.services import contact_stats_rebuild

    contact_stats_rebuild()
    client.force_login(org.owner)

    body = client.get(f"/activities/panel/account/{account.pk}/").content.decode()

    assert "14-day cadence: overdue by 6 days" in body


def test_the_panels_are_registered_for_account_and_deal_pages(org: Any) -> None:
    assert [p.url_name for p in registry.panels_for("accounts.account", org.owner)].count(
        "activities:account_panel"
    ) == 1
    assert "activities:deal_panel" in [
        p.url_name for p in registry.panels_for("sales.deal", org.owner)
    ]


def test_timeline_pages_newest_first_with_one_query(
    org: Any, django_assert_num_queries: Any
) -> None:
    account = AccountFactory(owner=org.owner)
    now = timezone.now()
    for n in range(30):
        ActivityFactory(account=account, subject=f"A{n:02d}", occurred_at=now - timedelta(hours=n))
    ActivityFactory(
        account=account,
        status="planned",
        kind="meeting",
        subject="Future",
        occurred_at=now + timedelta(days=1),
    )
    source = registry.timeline_sources()["activities"]
    access.led_member_ids(org.owner)  # once per request, cached on the user

    with django_assert_num_queries(1):
        first = source(org.owner, account, None, 20)
    second = source(
        org.owner, account, registry.TimelineCursor(first[-1].when, "activities", first[-1].pk), 20
    )

    assert [e.title for e in first] == [f"A{n:02d}" for n in range(20)]
    assert [e.title for e in second] == [f"A{n:02d}" for n in range(20, 30)]
    assert source(org.other, account, None, 20) == []


def test_agenda_shows_the_day_in_the_users_time_zone(
    client: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    org.owner.timezone = "America/New_York"
    org.owner.save()
    account = AccountFactory(owner=org.owner)
    # 23:30 in New York on 1 March is already 2 March in UTC.
    ActivityFactory(
        account=account,
        kind="meeting",
        status="planned",
        subject="Late dinner",
        occurred_at=datetime(2030, 3, 2, 4, 30, tzinfo=UTC),
    )
    ActivityFactory(
        account=account,
        kind="call",
        status="planned",
        subject="Ring them",
        occurred_at=datetime(2030, 3, 1, 15, 0, tzinfo=UTC),
    )
    TaskFactory(
        account=account,
        subject="Due today",
        due_at=datetime(2030, 3, 1, 20, 0, tzinfo=UTC),
    )
    TaskFactory(
        account=account,
        subject="Was due",
        due_at=datetime(2030, 2, 20, 20, 0, tzinfo=UTC),
    )
    TaskFactory(
        account=account,
        subject="Someone else's",
        assignee=org.peer,
        due_at=datetime(2030, 3, 1, 20, 0, tzinfo=UTC),
    )

    with time_machine.travel(datetime(2030, 3, 1, 17, 0, tzinfo=UTC), tick=False):
        client.force_login(org.owner)
        with django_assert_max_num_queries(14):
            response = client.get("/agenda/")

    agenda = response.context["agenda"]
    assert [a.subject for a in agenda.meetings] == ["Late dinner"]
    assert [a.subject for a in agenda.calls] == ["Ring them"]
    assert [a.subject for a in agenda.tasks_due] == ["Due today"]
    assert [a.subject for a in agenda.overdue] == ["Was due"]


def test_task_list_mine_team_and_filters(
    client: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    account = AccountFactory(owner=org.owner)
    for n in range(15):
        TaskFactory(account=account, subject=f"Mine {n}")
    TaskFactory(account=account, subject="Late", due_at=timezone.now() - timedelta(days=1))
    TaskFactory(account=AccountFactory(owner=org.peer), subject="Peer's")
    TaskFactory(account=AccountFactory(owner=org.other), subject="South")

    client.force_login(org.owner)
    with django_assert_max_num_queries(12):
        mine = client.get("/tasks/")
    overdue = client.get("/tasks/", {"overdue": "true"})
    client.force_login(org.lead)
    team = client.get("/tasks/", {"whose": "team"})

    assert mine.context["page"].paginator.count == 16
    assert [t.subject for t in overdue.context["page"]] == ["Late"]
    assert {t.subject for t in team.context["page"]} >= {"Peer's", "Late"}
    assert "South" not in {t.subject for t in team.context["page"]}


def test_cadence_page_lists_overdue_visible_accounts_worst_first(
    client: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    now = timezone.now()
    CadenceRule.objects.filter(tier="key").update(max_days_without_contact=10)
    worst = AccountFactory(owner=org.owner, tier="strategic", name="Worst")
    late = AccountFactory(owner=org.owner, tier="key", name="Late")
    fine = AccountFactory(owner=org.owner, tier="standard", name="Fine")
    AccountFactory(owner=org.other, tier="strategic", name="Not mine")
    lost = AccountFactory(owner=org.owner, tier="strategic", name="Lost", status="lost")
    for account, days in ((worst, 60), (late, 12), (fine, 30), (lost, 100)):
        AccountContactStats.objects.create(
            account=account, last_contact_at=now - timedelta(days=days), repeat_contact_count=3
        )
    for n in range(20):
        AccountFactory(owner=org.owner, tier="key", name=f"New {n}")  # created now: not late
    client.force_login(org.owner)

    with django_assert_max_num_queries(10):
        response = client.get("/cadence/")

    assert [a.name for a in response.context["page"]] == ["Worst", "Late"]


def test_a_meeting_page_links_its_brief_and_invitations(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    meeting = ActivityFactory(account=account, kind="meeting", subject="Annual review")
    call = ActivityFactory(account=account, kind="call")

    client.force_login(org.owner)
    page = client.get(f"/activities/{meeting.pk}/").content.decode()
    assert f'href="/meetings/{meeting.pk}/brief/"' in page
    assert f'action="/meetings/{meeting.pk}/invite/"' in page
    assert "/brief/" not in client.get(f"/activities/{call.pk}/").content.decode()

    client.force_login(org.auditor)  # reads the brief, sends nothing
    page = client.get(f"/activities/{meeting.pk}/").content.decode()
    assert f'href="/meetings/{meeting.pk}/brief/"' in page
    assert "/invite/" not in page


def test_timeline_pages_never_skip_or_repeat_entries_of_the_same_instant(org: Any) -> None:
    """Times typed by people repeat (two calls "at 10:00"): 45 activities at one instant, with
    the account's own audit entries, paged 20 at a time through every source."""
    account = AccountFactory(owner=org.owner)
    instant = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=1)
    made = {ActivityFactory(account=account, occurred_at=instant).pk for _ in range(45)}

    seen: list[tuple[str, int]] = []
    cursor = None
    while True:
        page = registry.timeline(org.owner, account, before=cursor, limit=20)
        seen += [(e.source, e.pk) for e in page]
        if len(page) < 20:
            break
        cursor = registry.TimelineCursor.after(page[-1])

    assert len(seen) == len(set(seen))
    assert {pk for source, pk in seen if source == "activities"} == made
