"""A dead worker, a lost task or a restarted broker never loses a message nor sends one twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kam.outreach import choices
from kam.outreach.models import Campaign, Delivery
from kam.outreach.services import delivery as outbox
from kam.outreach.tasks.delivery import resume_outbox_task
from kam.outreach.tests.delivery_support import Sink, make_campaign, recipients, smtp_settings

S = choices.DeliveryStatus


@pytest.fixture
def sink(settings: Any) -> Iterator[Sink]:
    with Sink() as server:
        smtp_settings(settings, server.port)
        yield server


def _expire(rows: list[Delivery], status: str) -> None:
    Delivery.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=status,
        claim="dead-worker",
        attempts=1,
        lease_until=timezone.now() - timedelta(seconds=1),
    )


def test_messages_a_dead_worker_never_handed_over_are_sent_again(org: Any, sink: Sink) -> None:
    campaign = make_campaign(org.owner)
    rows = recipients(campaign, 3)
    _expire(rows[:2], S.SENDING)  # killed before the final "." of DATA: the server dropped them

    counts = outbox.campaign_send(campaign_id=campaign.pk)

    assert counts == {"sent": 3}
    assert sink.handler.per_recipient() == {r.address: 1 for r in rows}
    assert list(Delivery.objects.values_list("attempts", flat=True)) == [2, 2, 1]


def test_messages_handed_over_before_the_kill_are_confirmed_not_resent(
    org: Any, sink: Sink
) -> None:
    campaign = make_campaign(org.owner)
    rows = recipients(campaign, 3)
    _expire(rows[:1], S.HANDED_OVER)  # the "." was written right after this commit

    counts = outbox.campaign_send(campaign_id=campaign.pk)

    confirmed = Delivery.objects.get(pk=rows[0].pk)
    assert counts == {"sent": 2}
    assert rows[0].address not in sink.handler.per_recipient()
    assert (confirmed.status, confirmed.reason) == (
        S.SENT,
        "Confirmed by the outbox after a restart.",
    )
    assert (confirmed.claim, confirmed.lease_until) == ("", None)


def test_a_lease_still_running_is_left_alone(org: Any, sink: Sink) -> None:
    campaign = make_campaign(org.owner)
    rows = recipients(campaign, 2)
    Delivery.objects.filter(pk=rows[0].pk).update(
        status=S.SENDING, claim="busy", lease_until=timezone.now() + timedelta(minutes=2)
    )

    counts = outbox.campaign_send(campaign_id=campaign.pk)

    assert counts == {"sent": 1}
    assert Delivery.objects.get(pk=rows[0].pk).status == S.SENDING
    assert Campaign.objects.get(pk=campaign.pk).status == choices.CampaignStatus.SENDING


def test_the_beat_resends_what_no_task_remembers(org: Any, sink: Sink) -> None:
    # A restarted broker lost the queued task: the rows are queued, nothing will run them.
    campaign = make_campaign(org.owner)
    rows = recipients(campaign, 3)
    _expire(rows[:1], S.SENDING)
    idle = make_campaign(org.owner, name="Done already")

    resumed = resume_outbox_task()

    assert resumed == [campaign.pk]
    assert sink.handler.per_recipient() == {r.address: 1 for r in rows}
    assert Campaign.objects.get(pk=campaign.pk).status == choices.CampaignStatus.COMPLETED
    # a sending campaign with nothing left in flight is completed by the beat too
    assert Campaign.objects.get(pk=idle.pk).status == choices.CampaignStatus.COMPLETED


def test_the_beat_twice_sends_nothing_twice(org: Any, sink: Sink) -> None:
    campaign = make_campaign(org.owner)
    rows = recipients(campaign, 3)

    first, second = resume_outbox_task(), resume_outbox_task()

    assert (first, second) == ([campaign.pk], [])
    assert sink.handler.per_recipient() == {r.address: 1 for r in rows}


def test_the_beat_skips_future_schedules_and_backoffs(org: Any, sink: Sink) -> None:
    later = timezone.now() + timedelta(hours=1)
    scheduled = make_campaign(org.owner, status="scheduled", scheduled_at=later)
    recipients(scheduled, 1)
    waiting = make_campaign(org.owner, name="Backing off")
    row = recipients(waiting, 1, domain="example.org")[0]
    Delivery.objects.filter(pk=row.pk).update(not_before=later)

    assert resume_outbox_task() == []
    assert sink.handler.received == []


def test_a_message_its_worker_dies_on_every_time_is_given_up(
    org: Any, sink: Sink, settings: Any
) -> None:
    settings.KAM_OUTBOX_MAX_ATTEMPTS = 3
    campaign = make_campaign(org.owner)
    rows = recipients(campaign, 2)
    _expire(rows[:1], S.SENDING)
    Delivery.objects.filter(pk=rows[0].pk).update(attempts=3)

    counts = outbox.campaign_send(campaign_id=campaign.pk)

    poison = Delivery.objects.get(pk=rows[0].pk)
    assert counts == {"sent": 1}
    assert (poison.status, poison.reason) == (
        S.FAILED,
        "Gave up: the worker stopped while sending, at every attempt.",
    )
    assert rows[0].address not in sink.handler.per_recipient()
    assert Campaign.objects.get(pk=campaign.pk).status == choices.CampaignStatus.COMPLETED
