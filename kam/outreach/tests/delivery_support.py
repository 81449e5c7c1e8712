"""Test helpers of the outbox: a real SMTP server (aiosmtpd on 127.0.0.1) and campaign rows."""

from __future__ import annotations

import email
import email.policy
import secrets
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from django.utils import timezone

from kam.accounts.choices import Channel
from kam.accounts.models import Contact, ContactConsent
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.outreach import choices
from kam.outreach.models import Campaign, Delivery


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> Message:
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class SinkHandler:
    """Keeps what arrived; answers RCPT for `refuse` addresses with the reply given there."""

    refuse: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 Message accepted for delivery"

    def per_recipient(self) -> Counter[str]:
        with self.lock:
            return Counter(r for item in self.received for r in item.recipients)

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [item for item in self.received if address in item.recipients]


def text_of(message: Any) -> str:
    """The plain-text part of a received message, with \\n line ends."""
    return str(message.get_body(("plain",)).get_content()).replace("\r\n", "\n")


class Sink:
    """A real SMTP server on 127.0.0.1 on a free port, started and stopped by the test."""

    def __init__(self, handler: SinkHandler | None = None) -> None:
        self.handler = handler or SinkHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> Sink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


BASE_URL = "https://kam.example.com"


def smtp_settings(settings: Any, port: int) -> None:
    """Point Django's e-mail settings at the test server (as EMAIL_URL=smtp://127.0.0.1:port)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "KAM News <news@kam.example.com>"
    settings.KAM_BASE_URL = BASE_URL


def make_campaign(owner: Any, **fields: Any) -> Campaign:
    values: dict[str, Any] = {
        "name": "Spring launch",
        "kind": choices.CampaignKind.NEW_PRODUCT,
        "status": choices.CampaignStatus.SENDING,
        "subject": "News for {{ account.name }}",
        "body": "Dear {{ contact.first_name }} {{ contact.last_name }},\nour new line is out.",
        "channels": [Channel.EMAIL],
        "owner": owner,
        "launched_at": timezone.now(),
        **fields,
    }
    return Campaign.objects.create(**values)


def make_contact(
    address: str, *, consent: bool = True, channel: str = Channel.EMAIL, **fields: Any
) -> Contact:
    contact = ContactFactory(
        emails=[address] if channel == Channel.EMAIL else [],
        phones=[address] if channel != Channel.EMAIL else [],
        **fields,
    )
    if consent:
        ContactConsent.objects.create(
            contact=contact,
            channel=channel,
            is_granted=True,
            given_at=timezone.now() - timedelta(days=30),
        )
    return contact


def queue(campaign: Campaign, contact: Contact, *, channel: str = Channel.EMAIL) -> Delivery:
    """The row the campaign launch writes: queued, with a random token."""
    address = (contact.emails or contact.phones)[0]
    return Delivery.objects.create(
        campaign=campaign,
        contact=contact,
        account=contact.account,
        channel=channel,
        address=address,
        token=secrets.token_urlsafe(32),
    )


def recipients(campaign: Campaign, count: int, *, domain: str = "example.com") -> list[Delivery]:
    account = AccountFactory(owner=campaign.owner)
    return [queue(campaign, make_contact(f"r{n}@{domain}", account=account)) for n in range(count)]
