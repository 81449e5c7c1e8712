"""Test data of the mail topic: contacts with indexed addresses, raw messages, mailboxes."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from kam.accounts.duplicates import refresh_match_keys
from kam.accounts.models import Account, Contact
from kam.accounts.tests.factories import AccountFactory, ContactFactory


def contact_with(account: Account | None = None, *, email: str, **fields: Any) -> Contact:
    """A contact whose address the matcher knows (its MatchKeys written, as the services do)."""
    contact = ContactFactory(account=account or AccountFactory(), emails=[email], **fields)
    refresh_match_keys(contact=contact)
    return contact


def raw_mail(
    *,
    sender: str = "Anna Client <anna@client.example>",
    to: str = "owner@example.com",
    subject: str = "Question about the offer",
    body: str = "Hello,\nwhat does it cost?\n",
    message_id: str | None = "<q1@client.example>",
    in_reply_to: str | None = None,
    references: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    date: datetime = datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
) -> bytes:
    """An RFC 5322 message as a mail server would deliver it (CRLF line ends)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    if message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    message.set_content(body)
    for filename, mime, data in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes().replace(b"\n", b"\r\n")
