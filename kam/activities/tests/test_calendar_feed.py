"""The private iCalendar feed: what it holds, for whom, and that only its token opens it.

The feed is read back with vobject, a parser independent of the icalendar library that writes it.
"""

from __future__ import annotations

import logging
from datetime import UTC, timedelta
from typing import Any

import pytest
import vobject
from django.utils import timezone

from kam.accounts.tests.factories import AccountFactory
from kam.activities.choices import Status
from kam.activities.tests.test_calendar_support import meeting, task
from kam.users import services as user_services

pytestmark = pytest.mark.django_db


def _feed(client: Any, token: str) -> Any:
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return vobject.readOne(response.content.decode())


def _events(calendar: Any) -> dict[str, Any]:
    return {event.uid.value: event for event in calendar.contents.get("vevent", [])}


def test_feed_has_his_meetings_and_task_deadlines_in_utc(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner, name="Ромашка")
    account.team_members.add(org.peer)
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    own = meeting(account=account, owner=org.owner, start=start, subject="Kick-off")
    joined = meeting(account=account, owner=org.peer, subject="Peer's meeting")
    joined.participants.add(org.owner)
    cancelled = meeting(account=account, owner=org.owner, subject="Dropped", status="cancelled")
    due = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    assigned = task(account=account, owner=org.peer, due=due, assignee=org.owner)
    unassigned = task(account=account, owner=org.owner, due=due, subject="Own task")
    # Not his: someone else's meeting, a task he gave to a peer, anything outside the window.
    meeting(account=account, owner=org.peer, subject="Not invited")
    task(account=account, owner=org.owner, due=due, assignee=org.peer, subject="Given away")
    meeting(account=account, owner=org.owner, start=timezone.now() - timedelta(days=200))
    task(account=account, owner=org.owner, due=timezone.now() + timedelta(days=400))
    token = user_services.calendar_feed_regenerate(user=org.owner, actor=org.owner)

    calendar = _feed(client, token)

    events = _events(calendar)
    assert sorted(events) == sorted(
        f"kam-activity-{a.pk}@kam" for a in (own, joined, cancelled, assigned, unassigned)
    )
    kick_off = events[f"kam-activity-{own.pk}@kam"]
    assert kick_off.summary.value == "Kick-off"
    assert kick_off.dtstart.value == start.astimezone(UTC)
    assert kick_off.dtstart.value.utcoffset() == timedelta(0)
    assert kick_off.dtend.value == start + timedelta(minutes=90)
    assert kick_off.location.value == "Client's office, room 3"
    assert "Ромашка" in kick_off.description.value
    assert kick_off.sequence.value == str(own.version)
    assert kick_off.status.value == "CONFIRMED"
    assert events[f"kam-activity-{cancelled.pk}@kam"].status.value == "CANCELLED"
    deadline = events[f"kam-activity-{assigned.pk}@kam"]
    assert deadline.summary.value == "Due: Send the offer"
    assert deadline.dtstart.value == due
    assert not hasattr(deadline, "dtend")
    assert not hasattr(calendar, "method")  # a published feed, not an invitation


def test_an_edit_keeps_the_uid_and_raises_the_sequence(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    planned = meeting(account=account, owner=org.owner)
    token = user_services.calendar_feed_regenerate(user=org.owner, actor=org.owner)
    before = _events(_feed(client, token))[f"kam-activity-{planned.pk}@kam"]

    planned.subject = "Moved review"
    planned.occurred_at += timedelta(hours=2)
    planned.save()
    after = _events(_feed(client, token))[f"kam-activity-{planned.pk}@kam"]

    assert int(after.sequence.value) == int(before.sequence.value) + 1
    assert after.summary.value == "Moved review"
    assert after.dtstart.value == before.dtstart.value + timedelta(hours=2)


def test_feed_leaves_out_what_the_user_may_no_longer_see(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.other)
    account.team_members.add(org.owner)
    shared = meeting(account=account, owner=org.other)
    shared.participants.add(org.owner)
    trashed = meeting(account=account, owner=org.owner, subject="Trashed")
    trashed.deleted_at = timezone.now()
    trashed.save()
    token = user_services.calendar_feed_regenerate(user=org.owner, actor=org.owner)
    assert list(_events(_feed(client, token))) == [f"kam-activity-{shared.pk}@kam"]

    account.team_members.remove(org.owner)

    assert _events(_feed(client, token)) == {}


@pytest.mark.parametrize("case", ["unknown", "wrong_secret", "short", "revoked", "deactivated"])
def test_feed_answers_404_without_a_valid_token(client: Any, org: Any, case: str) -> None:
    account = AccountFactory(owner=org.owner)
    meeting(account=account, owner=org.owner, subject="Secret meeting")
    token = user_services.calendar_feed_regenerate(user=org.owner, actor=org.owner)
    if case == "unknown":
        token = "0" * 16 + "x" * 43
    elif case == "wrong_secret":
        token = token[:16] + ("A" if token[16] != "A" else "B") + token[17:]
    elif case == "short":
        token = token[:10]
    elif case == "revoked":
        user_services.calendar_feed_revoke(user=org.owner, actor=org.owner)
    else:
        user_services.user_deactivate(user=org.owner, actor=org.admin)

    response = client.get(f"/calendar/{token}.ics")

    assert response.status_code == 404
    assert b"Secret meeting" not in response.content


def test_a_deactivated_users_feed_is_404_even_with_his_token_kept(client: Any, org: Any) -> None:
    token = user_services.calendar_feed_regenerate(user=org.owner, actor=org.owner)
    org.owner.is_active = False
    org.owner.save(update_fields=["is_active"])

    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_the_token_never_reaches_the_request_log(client: Any, org: Any, caplog: Any) -> None:
    token = user_services.calendar_feed_regenerate(user=org.owner, actor=org.owner)
    user_services.calendar_feed_revoke(user=org.owner, actor=org.owner)

    with caplog.at_level(logging.DEBUG):
        assert client.get(f"/calendar/{token}.ics").status_code == 404
        assert client.get(f"/calendar/{token[:16]}guess.ics").status_code == 404
        # The control: any other 404 is logged with its path.
        assert client.get("/no-such-page-marker/").status_code == 404

    assert "no-such-page-marker" in caplog.text
    assert token[16:] not in caplog.text
    assert "guess" not in caplog.text


def test_feed_costs_the_same_queries_whatever_its_size(
    client: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    account = AccountFactory(owner=org.other)
    account.team_members.add(org.lead)
    token = user_services.calendar_feed_regenerate(user=org.lead, actor=org.lead)
    now = timezone.now()
    meeting(account=account, owner=org.lead)
    with django_assert_max_num_queries(5) as small:
        _feed(client, token)
    for n in range(40):
        meeting(account=account, owner=org.lead, start=now + timedelta(hours=n))
        task(account=account, owner=org.lead, due=now + timedelta(hours=n))

    with django_assert_max_num_queries(len(small.captured_queries)):
        calendar = _feed(client, token)

    assert len(calendar.contents["vevent"]) == 81


def test_feed_of_a_team_lead_holds_only_his_own_items(client: Any, org: Any) -> None:
    # The lead sees his team's records, but his calendar is his: a member's meeting is not in it.
    account = AccountFactory(owner=org.owner)
    meeting(account=account, owner=org.owner)
    mine = meeting(account=account, owner=org.owner, status=Status.PLANNED)
    mine.participants.add(org.lead)
    token = user_services.calendar_feed_regenerate(user=org.lead, actor=org.lead)

    assert list(_events(_feed(client, token))) == [f"kam-activity-{mine.pk}@kam"]
