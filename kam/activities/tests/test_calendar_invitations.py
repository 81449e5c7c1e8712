"""Meetings sent as .ics invitations: who receives them, what they carry, updates, cancellation.

Mail really goes out: through Django's test outbox, and once through a real SMTP server (aiosmtpd)
started by the test. The .ics is read back with vobject, independent of the generator.
"""

from __future__ import annotations

import email
import socket
from datetime import timedelta
from email.header import decode_header, make_header
from email.message import Message
from email.utils import parseaddr
from typing import Any

import pytest
import vobject
from aiosmtpd.controller import Controller
from auditlog.models import LogEntry
from django.core import mail
from django.utils import timezone

from kam.accounts.choices import Channel
from kam.accounts.models import ContactConsent
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.activities import calendar
from kam.activities.tests.test_calendar_support import meeting, task

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(org: Any) -> Any:
    """A meeting with two reachable contacts, one do-not-contact, one who refused e-mail, one
    without an address, and two of our participants (one without an address)."""
    account = AccountFactory(owner=org.owner, name="Ромашка")
    org.owner.email = "owner@ours.example"
    org.owner.save()
    review = meeting(account=account, owner=org.owner, subject="Годовой обзор")
    reachable = [
        ContactFactory(
            account=account, first_name="Иван", last_name="Петров", emails=["ivan@client.example"]
        ),
        ContactFactory(
            account=account,
            first_name="Anna",
            last_name="Berg",
            emails=["anna@client.example", "anna.private@example.com"],
        ),
    ]
    blocked = ContactFactory(
        account=account, last_name="Blocked", emails=["no@client.example"], do_not_contact=True
    )
    refused = ContactFactory(account=account, last_name="Refused", emails=["r@client.example"])
    ContactConsent.objects.create(
        contact=refused, channel=Channel.EMAIL, is_granted=False, given_at=timezone.now()
    )
    silent = ContactFactory(account=account, last_name="Silent", emails=[])
    review.contacts.add(*reachable, blocked, refused, silent)
    org.peer.email = ""
    org.peer.save()
    review.participants.add(org.owner, org.lead, org.peer)
    return review


def _address(value: str) -> tuple[str, str]:
    name, address = parseaddr(value)
    return str(make_header(decode_header(name))), address


def _ics(message: Any) -> Any:
    parts = [
        body for body, mimetype in message.alternatives if mimetype.startswith("text/calendar")
    ]
    assert len(parts) == 1
    return vobject.readOne(parts[0])


def test_invitations_go_to_each_reachable_attendee_in_a_mail_of_his_own(
    org: Any, planned: Any
) -> None:
    outcome = calendar.meeting_invitations_send(meeting_id=planned.pk, user_id=org.owner.pk)

    recipients = sorted(_address(message.to[0]) for message in mail.outbox)
    assert recipients == sorted(
        [
            ("Anna Berg", "anna@client.example"),
            (str(org.lead), org.lead.email),
            ("Иван Петров", "ivan@client.example"),
        ]
    )
    assert sorted(outcome.sent_to) == sorted(
        ["ivan@client.example", "anna@client.example", org.lead.email]
    )
    assert sorted(outcome.skipped) == sorted(
        [
            ("Ivan Blocked", "asked not to be contacted"),
            ("Ivan Refused", "asked not to be contacted"),
            ("Ivan Silent", "no e-mail address"),
            (str(org.peer), "no e-mail address"),
        ]
    )
    first = mail.outbox[0]
    assert first.subject == "Invitation: Годовой обзор"
    assert first.reply_to == ["owner@ours.example"]
    assert [name for name, _content, _type in first.attachments] == ["invite.ics"]


def test_the_invitation_is_a_request_with_organizer_attendees_and_sequence(
    org: Any, planned: Any
) -> None:
    calendar.meeting_invitations_send(meeting_id=planned.pk, user_id=org.owner.pk)

    ics = _ics(mail.outbox[0])
    event = ics.vevent
    assert ics.method.value == "REQUEST"
    assert event.uid.value == f"kam-activity-{planned.pk}@kam"
    assert event.sequence.value == str(planned.version)
    assert event.summary.value == "Годовой обзор"
    assert event.dtstart.value == planned.occurred_at
    assert event.organizer.value == "mailto:owner@ours.example"
    attendees = sorted(a.value for a in event.attendee_list)
    assert attendees == sorted(
        ["mailto:ivan@client.example", "mailto:anna@client.example", f"mailto:{org.lead.email}"]
    )
    ivan = next(a for a in event.attendee_list if a.value == "mailto:ivan@client.example")
    assert ivan.params["CN"] == ["Иван Петров"]
    assert ivan.params["RSVP"] == ["TRUE"]


def test_an_update_is_resent_with_a_higher_sequence(org: Any, planned: Any) -> None:
    calendar.meeting_invitations_send(meeting_id=planned.pk, user_id=org.owner.pk)
    first = int(_ics(mail.outbox[0]).vevent.sequence.value)
    planned.occurred_at += timedelta(days=1)
    planned.ends_at = planned.occurred_at + timedelta(hours=1)
    planned.save()
    mail.outbox.clear()

    calendar.meeting_invitations_send(meeting_id=planned.pk, user_id=org.owner.pk)

    event = _ics(mail.outbox[0]).vevent
    assert int(event.sequence.value) == first + 1
    assert event.uid.value == f"kam-activity-{planned.pk}@kam"
    assert event.dtstart.value == planned.occurred_at


def test_a_cancelled_meeting_sends_a_cancellation(org: Any, planned: Any) -> None:
    planned.status = "cancelled"
    planned.save()

    outcome = calendar.meeting_invitations_send(meeting_id=planned.pk, user_id=org.owner.pk)

    ics = _ics(mail.outbox[0])
    assert (outcome.method, ics.method.value, ics.vevent.status.value) == (
        "CANCEL",
        "CANCEL",
        "CANCELLED",
    )
    assert mail.outbox[0].subject == "Cancelled: Годовой обзор"
    assert len(mail.outbox) == 3


def test_sending_is_audited_on_the_meeting(org: Any, planned: Any) -> None:
    calendar.meeting_invitations_send(meeting_id=planned.pk, user_id=org.owner.pk)

    entry = LogEntry.objects.get_for_object(planned).exclude(additional_data=None).get()
    assert entry.actor_id == org.owner.pk
    assert entry.additional_data["method"] == "REQUEST"
    assert entry.additional_data["sequence"] == planned.version
    assert len(entry.additional_data["sent_to"]) == 3


def test_the_button_queues_the_task_on_commit_and_answers_htmx(
    client: Any, org: Any, planned: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(org.owner)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/meetings/{planned.pk}/invite/", HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert response.status_code == 200
    assert len(callbacks) == 1
    assert len(mail.outbox) == 3
    assert "ivan@client.example" in page
    assert "asked not to be contacted" in page
    assert "no e-mail address" in page


def test_the_button_without_htmx_redirects_to_the_brief(
    client: Any, org: Any, planned: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(org.lead)  # leads the owner's team: may change his meetings

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/meetings/{planned.pk}/invite/")

    assert response.status_code == 302
    assert response["Location"] == f"/meetings/{planned.pk}/brief/"
    assert len(mail.outbox) == 3


@pytest.mark.parametrize(("who", "status"), [("other", 404), ("auditor", 403), ("kam", 404)])
def test_the_button_refuses_who_may_not_change_the_meeting(
    client: Any,
    org: Any,
    planned: Any,
    who: str,
    status: int,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(getattr(org, who))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/meetings/{planned.pk}/invite/", HTTP_HX_REQUEST="true")

    assert response.status_code == status
    assert (callbacks, mail.outbox) == ([], [])


def test_the_button_refuses_anonymous_and_get(client: Any, org: Any, planned: Any) -> None:
    assert client.post(f"/meetings/{planned.pk}/invite/").status_code == 302
    client.force_login(org.owner)
    assert client.get(f"/meetings/{planned.pk}/invite/").status_code == 405
    assert mail.outbox == []


def test_a_past_meeting_is_refused_with_a_reason(client: Any, org: Any, planned: Any) -> None:
    planned.status = "done"
    planned.save()
    client.force_login(org.owner)

    response = client.post(f"/meetings/{planned.pk}/invite/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "already took place" in response.content.decode()
    assert mail.outbox == []


def test_a_task_is_no_meeting_to_invite_to(client: Any, org: Any) -> None:
    todo = task(account=AccountFactory(owner=org.owner), owner=org.owner, due=timezone.now())
    client.force_login(org.owner)

    assert client.post(f"/meetings/{todo.pk}/invite/").status_code == 404


def test_the_task_runs_on_the_mail_queue() -> None:
    assert calendar.send_meeting_invitations_task.queue == "mail"


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_invitations_travel_through_a_real_smtp_server(
    org: Any, planned: Any, settings: Any
) -> None:
    inbox = _Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.hostname, server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        calendar.send_meeting_invitations_task.delay(planned.pk, org.owner.pk)
    finally:
        server.stop()

    assert sorted(rcpt for rcpts, _message in inbox.messages for rcpt in rcpts) == sorted(
        ["ivan@client.example", "anna@client.example", org.lead.email]
    )
    _rcpts, message = inbox.messages[0]
    parts = {part.get_content_type(): part for part in message.walk()}
    invitation = parts["text/calendar"]
    assert invitation.get_param("method") == "REQUEST"
    parsed = vobject.readOne(invitation.get_payload(decode=True).decode())
    assert parsed.vevent.uid.value == f"kam-activity-{planned.pk}@kam"
