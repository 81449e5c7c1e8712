"""The outbox sends each queued campaign message once, through a real SMTP server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from kam.accounts.choices import Channel
from kam.accounts.models import ContactConsent
from kam.outreach import choices
from kam.outreach.models import Campaign, CampaignWindow, Delivery
from kam.outreach.rendering import Rendered
from kam.outreach.services import delivery as outbox
from kam.outreach.services.delivery_smtp import Session, build_message
from kam.outreach.tests.delivery_support import (
    BASE_URL,
    Sink,
    SinkHandler,
    free_port,
    make_campaign,
    make_contact,
    queue,
    recipients,
    smtp_settings,
    text_of,
)

S = choices.DeliveryStatus


@pytest.fixture
def sink(settings: Any) -> Iterator[Sink]:
    handler = SinkHandler(
        refuse={
            "gone@example.com": "550 5.1.1 No such user here",
            "busy@example.com": "451 4.3.0 Try again later",
        }
    )
    with Sink(handler) as server:
        smtp_settings(settings, server.port)
        yield server


def test_each_queued_message_arrives_once_with_its_headers(org: Any, sink: Sink) -> None:
    campaign = make_campaign(org.owner)
    rows = recipients(campaign, 3)

    counts = outbox.campaign_send(campaign_id=campaign.pk)

    assert counts == {"sent": 3}
    assert sink.handler.per_recipient() == {f"r{n}@example.com": 1 for n in range(3)}
    row = Delivery.objects.get(pk=rows[0].pk)
    message = sink.handler.to("r0@example.com")[0].message
    assert message["Subject"] == f"News for {rows[0].account.name}"
    assert message["From"] == "KAM News <news@kam.example.com>"
    assert message["Message-ID"] == f"<{row.message_id}>"
    assert row.message_id == f"{row.token}.{campaign.pk}@kam.example.com"
    assert message["List-Unsubscribe"] == f"<{BASE_URL}/u/{row.token}/>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = text_of(message)
    contact = rows[0].contact
    assert text.startswith(f"Dear Ivan {contact.last_name},\nour new line is out.")
    assert f"{BASE_URL}/u/{row.token}/" in text
    assert (row.status, row.attempts, row.claim, row.lease_until) == (S.SENT, 1, "", None)
    assert row.sent_at is not None
    campaign.refresh_from_db()
    assert campaign.status == choices.CampaignStatus.COMPLETED
    assert campaign.completed_at is not None


def test_running_the_send_again_sends_nothing_twice(org: Any, sink: Sink) -> None:
    campaign = make_campaign(org.owner)
    recipients(campaign, 4)

    first = outbox.campaign_send(campaign_id=campaign.pk)
    Campaign.objects.filter(pk=campaign.pk).update(status=choices.CampaignStatus.SENDING)
    second = outbox.campaign_send(campaign_id=campaign.pk)

    assert (first, second) == ({"sent": 4}, {})
    assert set(sink.handler.per_recipient().values()) == {1}
    assert len(sink.handler.received) == 4


def test_a_batch_another_worker_claimed_is_not_taken(org: Any, sink: Sink, settings: Any) -> None:
    settings.KAM_OUTBOX_BATCH_SIZE = 2
    campaign = make_campaign(org.owner)
    recipients(campaign, 5)
    held = outbox._claim(campaign)  # a worker took two rows and is still busy with them

    counts = outbox.campaign_send(campaign_id=campaign.pk)

    claimed = Delivery.objects.filter(claim=held)
    assert counts == {"sent": 3}
    assert sorted(claimed.values_list("address", flat=True)) == [
        "r0@example.com",
        "r1@example.com",
    ]
    assert set(claimed.values_list("status", flat=True)) == {S.SENDING}
    assert sorted(sink.handler.per_recipient()) == [f"r{n}@example.com" for n in (2, 3, 4)]
    campaign.refresh_from_db()
    assert campaign.status == choices.CampaignStatus.SENDING  # two still in flight


def test_consent_withdrawn_after_the_launch_suppresses_the_message(org: Any, sink: Sink) -> None:
    campaign = make_campaign(org.owner)
    kept, withdrawn, blocked = recipients(campaign, 3)
    ContactConsent.objects.filter(contact=withdrawn.contact).update(is_granted=False)
    type(blocked.contact).objects.filter(pk=blocked.contact_id).update(do_not_contact=True)

    counts = outbox.campaign_send(campaign_id=campaign.pk)

    assert counts == {"sent": 1, "suppressed": 2}
    assert list(sink.handler.per_recipient()) == [kept.address]
    withdrawn.refresh_from_db()
    blocked.refresh_from_db()
    assert (withdrawn.status, withdrawn.reason) == (S.SUPPRESSED, "No consent on E-mail.")
    assert (blocked.status, blocked.reason) == (
        S.SUPPRESSED,
        "The contact is marked do not contact.",
    )


def test_a_permanent_refusal_bounces_with_the_servers_reply(org: Any, sink: Sink) -> None:
    campaign = make_campaign(org.owner)
    row = queue(campaign, make_contact("gone@example.com"))

    counts = outbox.campaign_send(campaign_id=campaign.pk)

    row.refresh_from_db()
    assert counts == {"bounced": 1}
    assert (row.status, row.reason) == (S.BOUNCED, "550 5.1.1 No such user here")
    assert row.failed_at is not None
    assert sink.handler.received == []


def test_a_temporary_refusal_waits_and_retries_then_fails(
    org: Any, sink: Sink, settings: Any
) -> None:
    settings.KAM_OUTBOX_MAX_ATTEMPTS = 2
    settings.KAM_OUTBOX_RETRY_SECONDS = 60
    campaign = make_campaign(org.owner)
    row = queue(campaign, make_contact("busy@example.com"))
    before = timezone.now()

    first = outbox.campaign_send(campaign_id=campaign.pk)
    row.refresh_from_db()
    waited = row.not_before - before
    again_too_early = outbox.campaign_send(campaign_id=campaign.pk)
    Delivery.objects.filter(pk=row.pk).update(not_before=timezone.now() - timedelta(seconds=1))
    last = outbox.campaign_send(campaign_id=campaign.pk)

    assert (first, again_too_early, last) == ({"retried": 1}, {}, {"failed": 1})
    assert timedelta(seconds=59) < waited <= timedelta(seconds=61)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (S.FAILED, 2)
    assert row.reason == "Gave up after 2 attempts: 451 4.3.0 Try again later"
    assert Campaign.objects.get(pk=campaign.pk).status == choices.CampaignStatus.COMPLETED


def test_an_unreachable_server_puts_the_messages_back(org: Any, settings: Any) -> None:
    smtp_settings(settings, free_port())  # nothing listens there
    campaign = make_campaign(org.owner)
    rows = recipients(campaign, 2)

    counts = outbox.campaign_send(campaign_id=campaign.pk)

    assert counts == {"retried": 2}
    for row in rows:
        row.refresh_from_db()
        assert (row.status, row.attempts, row.claim) == (S.QUEUED, 1, "")
        assert row.reason.startswith("The mail server could not be reached: ")
        assert row.not_before is not None


def test_a_message_whose_lease_was_lost_is_abandoned_unfinished(org: Any, sink: Sink) -> None:
    rendered = Rendered("Hello", "Body", "<p>Body</p>", f"{BASE_URL}/u/t/")
    message = build_message(to="r1@example.com", rendered=rendered, message_id="x@kam")

    with Session() as session:
        lost = session.transmit(message, recipient="r1@example.com", hand_over=lambda: False)
        kept = session.transmit(message, recipient="r1@example.com", hand_over=lambda: True)

    assert (lost.is_lease_lost, lost.code) == (True, None)
    assert (kept.is_lease_lost, kept.code) == (False, 250)
    assert len(sink.handler.received) == 1  # only the one completed after its hand-over


def test_leading_dots_reach_the_server_unchanged(org: Any, sink: Sink) -> None:
    campaign = make_campaign(org.owner, body=".hidden line\n..two dots\nend")
    row = recipients(campaign, 1)[0]

    outbox.campaign_send(campaign_id=campaign.pk)

    message = sink.handler.to(row.address)[0].message
    text = text_of(message)
    assert text.startswith(".hidden line\n..two dots\nend")


def test_the_throttle_holds_across_calls_within_a_minute(
    org: Any, sink: Sink, settings: Any
) -> None:
    settings.KAM_OUTBOX_BATCH_SIZE = 2
    campaign = make_campaign(org.owner, throttle_per_minute=5)
    recipients(campaign, 12)

    first = outbox.campaign_send(campaign_id=campaign.pk)
    second = outbox.campaign_send(campaign_id=campaign.pk)
    window = CampaignWindow.objects.get(campaign=campaign)
    window.started_at -= timedelta(seconds=61)
    window.save()
    third = outbox.campaign_send(campaign_id=campaign.pk)

    assert (first, second, third) == ({"sent": 5}, {}, {"sent": 5})
    assert len(sink.handler.received) == 10
    assert Delivery.objects.filter(campaign=campaign, status=S.QUEUED).count() == 2


def test_a_scheduled_campaign_waits_for_its_time(org: Any, sink: Sink) -> None:
    later = timezone.now() + timedelta(hours=1)
    campaign = make_campaign(org.owner, status=choices.CampaignStatus.SCHEDULED, scheduled_at=later)
    recipients(campaign, 2)

    early = outbox.campaign_send(campaign_id=campaign.pk)
    Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=timezone.now())
    due = outbox.campaign_send(campaign_id=campaign.pk)

    assert (early, due) == ({}, {"sent": 2})
    assert Campaign.objects.get(pk=campaign.pk).status == choices.CampaignStatus.COMPLETED


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_a_draft_or_cancelled_campaign_sends_nothing(org: Any, sink: Sink, status: str) -> None:
    campaign = make_campaign(org.owner, status=status)
    recipients(campaign, 2)

    assert outbox.campaign_send(campaign_id=campaign.pk) == {}
    assert sink.handler.received == []
    assert Delivery.objects.filter(status=S.QUEUED).count() == 2


def test_a_broken_template_fails_the_messages_with_the_error(org: Any, sink: Sink) -> None:
    campaign = make_campaign(org.owner, body="Hello {% if %}")
    row = recipients(campaign, 1)[0]

    counts = outbox.campaign_send(campaign_id=campaign.pk)

    row.refresh_from_db()
    assert counts == {"failed": 1}
    assert row.status == S.FAILED
    assert row.reason.startswith("The message cannot be written: ")
    assert sink.handler.received == []


def test_letters_are_left_to_the_print_run(org: Any, sink: Sink) -> None:
    campaign = make_campaign(org.owner, channels=[Channel.EMAIL, Channel.POST])
    email_row = recipients(campaign, 1)[0]
    letter = queue(campaign, make_contact("r9@example.com"))
    Delivery.objects.filter(pk=letter.pk).update(channel=Channel.POST, address="Main St 1")

    counts = outbox.campaign_send(campaign_id=campaign.pk)

    assert counts == {"sent": 1}
    assert Delivery.objects.get(pk=letter.pk).status == S.QUEUED
    assert Delivery.objects.get(pk=email_row.pk).status == S.SENT


def test_a_batch_costs_a_bounded_number_of_queries(
    org: Any, sink: Sink, settings: Any, django_assert_max_num_queries: Any
) -> None:
    settings.KAM_OUTBOX_BATCH_SIZE = 20
    campaign = make_campaign(org.owner)
    recipients(campaign, 20)

    # the campaign, recovery (3), then per batch: the claim (4 with its savepoint), the rows,
    # their consents, one hand-over per message, the outcomes; an empty claim (3); completion
    with django_assert_max_num_queries(20 + 15):
        counts = outbox.campaign_send(campaign_id=campaign.pk)

    assert counts == {"sent": 20}


class SlowHandler(SinkHandler):
    """Takes the message, then answers after the client stopped waiting."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        reply = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(2)
        return reply


def test_no_answer_after_the_final_dot_counts_as_sent_not_resent(org: Any, settings: Any) -> None:
    with Sink(SlowHandler()) as slow:
        smtp_settings(settings, slow.port)
        settings.EMAIL_TIMEOUT = 1
        campaign = make_campaign(org.owner)
        row = recipients(campaign, 1)[0]

        first = outbox.campaign_send(campaign_id=campaign.pk)
        again = outbox.campaign_send(campaign_id=campaign.pk)

    row.refresh_from_db()
    assert (first, again) == ({"sent": 1}, {})
    assert row.status == S.SENT
    assert row.reason.startswith("The server did not answer after the message was handed over")
    assert slow.handler.per_recipient() == {row.address: 1}


def test_a_development_backend_gets_the_same_message(org: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KAM_BASE_URL = BASE_URL
    campaign = make_campaign(org.owner)
    row = recipients(campaign, 1)[0]

    counts = outbox.campaign_send(campaign_id=campaign.pk)

    [message] = mail.outbox
    row.refresh_from_db()
    assert counts == {"sent": 1}
    assert message.to == [row.address]
    assert message.extra_headers["List-Unsubscribe"] == f"<{BASE_URL}/u/{row.token}/>"
    assert message.extra_headers["Message-ID"] == f"<{row.message_id}>"


def test_a_campaign_cancelled_while_sending_stops_at_the_next_batch(org: Any, sink: Sink) -> None:
    campaign = make_campaign(org.owner)
    recipients(campaign, 2)
    Campaign.objects.filter(pk=campaign.pk).update(status=choices.CampaignStatus.CANCELLED)

    claim = outbox._claim(campaign)  # a worker that loaded the campaign before it was cancelled

    assert claim == ""
    assert Delivery.objects.filter(status=S.QUEUED).count() == 2


def test_a_send_out_of_time_stops_after_its_batch_and_says_more(
    org: Any, sink: Sink, settings: Any
) -> None:
    settings.KAM_OUTBOX_BATCH_SIZE = 2
    campaign = make_campaign(org.owner)
    recipients(campaign, 5)

    first = outbox.campaign_send(campaign_id=campaign.pk, budget_seconds=0)
    rest = outbox.campaign_send(campaign_id=campaign.pk)

    assert (first, rest) == ({"sent": 2, "more": 1}, {"sent": 3})
    assert len(sink.handler.received) == 5
    assert Campaign.objects.get(pk=campaign.pk).status == choices.CampaignStatus.COMPLETED
