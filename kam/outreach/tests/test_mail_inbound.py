"""Receiving mail: dedupe, threading, linking, attachments as documents, malformed kept raw,
.eml and .mbox files, and unknown senders turned into contacts."""

from __future__ import annotations

from typing import Any

import pytest

from kam.accounts.tests.factories import AccountFactory
from kam.activities.models import Activity
from kam.documents.models import Document
from kam.outreach.errors_mail import MailImportError
from kam.outreach.models import Message, MessageAttachment
from kam.outreach.selectors.mail import unknown_senders
from kam.outreach.services.mail_in import message_ingest, messages_import, sender_link_contact
from kam.outreach.services.mail_out import Draft, message_send
from kam.outreach.tests.mail_factories import contact_with, raw_mail
from kam.sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def anna(org: Any) -> Any:
    account = AccountFactory(owner=org.owner, name="Client GmbH")
    return contact_with(account, email="anna@client.example", first_name="Anna", last_name="K")


def test_a_message_from_a_known_contact_is_linked_and_logged(org: Any, anna: Any) -> None:
    ingested = message_ingest(raw=raw_mail(), owner=org.owner)

    message = ingested.message
    assert ingested.is_new is True
    assert (message.message_id, message.contact, message.account) == (
        "q1@client.example",
        anna,
        anna.account,
    )
    assert (message.from_address, message.from_name) == ("anna@client.example", "Anna Client")
    assert message.to_addresses == ["owner@example.com"]
    assert message.text_body == "Hello,\nwhat does it cost?\n"
    assert message.sent_at.isoformat() == "2026-11-20T09:30:00+00:00"
    assert bytes(message.raw) == raw_mail()
    activity = Activity.objects.get()
    assert message.activity == activity
    assert (activity.kind, activity.direction, activity.owner, activity.subject) == (
        "email",
        "inbound",
        org.owner,
        "Question about the offer",
    )
    assert list(activity.contacts.all()) == [anna]


def test_the_same_message_twice_is_stored_once(org: Any, anna: Any) -> None:
    first = message_ingest(raw=raw_mail(), owner=org.owner)
    second = message_ingest(raw=raw_mail(), owner=org.owner)

    assert (first.is_new, second.is_new) == (True, False)
    assert second.message.pk == first.message.pk
    assert Message.objects.count() == 1
    assert Activity.objects.count() == 1


def test_a_reply_joins_the_thread_and_its_deal(org: Any, anna: Any, smtp_settings: Any) -> None:
    deal = DealFactory(account=anna.account, owner=org.owner)
    sent = message_send(
        user=org.owner, draft=Draft(contact=anna, subject="Our offer", body="Here.", deal=deal)
    )

    reply = message_ingest(
        raw=raw_mail(
            subject="Re: Our offer",
            message_id="<r1@client.example>",
            in_reply_to=f"<{sent.message_id}>",
            references=f"<{sent.message_id}>",
        ),
        owner=org.owner,
    ).message

    assert reply.thread_key == sent.message_id
    assert reply.deal == deal
    assert Activity.objects.filter(deal=deal, direction="inbound").count() == 1


def test_a_reply_without_headers_is_threaded_by_its_subject(org: Any, anna: Any) -> None:
    first = message_ingest(raw=raw_mail(subject="Delivery dates"), owner=org.owner).message

    reply = message_ingest(
        raw=raw_mail(subject="AW: RE: Delivery  dates", message_id="<q2@client.example>"),
        owner=org.owner,
    ).message

    assert reply.subject_key == "delivery dates"
    assert reply.thread_key == first.thread_key == "q1@client.example"


def test_attachments_become_documents_and_a_refused_one_is_recorded(org: Any, anna: Any) -> None:
    raw = raw_mail(
        attachments=[
            ("offer.pdf", "application/pdf", PDF),
            ("run.exe", "application/octet-stream", b"MZ\x90\x00binary"),
        ]
    )

    message = message_ingest(raw=raw, owner=org.owner).message

    first, second = MessageAttachment.objects.filter(message=message)
    assert (first.filename, first.size, first.error) == ("offer.pdf", len(PDF), "")
    document = Document.objects.get()
    assert first.document == document
    assert (document.title, document.record, document.created_by) == (
        "offer.pdf",
        message,
        org.owner,
    )
    assert document.current_version.sha256 == __import__("hashlib").sha256(PDF).hexdigest()
    assert (second.filename, second.document) == ("run.exe", None)
    assert second.error == "This file was refused: it is an executable program."


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x00\xff\xfe\x80 not mail at all", "no headers: this is not an e-mail message"),
        (
            b"From: <<<nobody@@\r\nSubject: x\r\nMessage-ID: <m@x>\r\n\r\nhi\r\n",
            "no valid sender address (From: '<>')",
        ),
        (
            b"From: a@b.example\r\nMessage-ID: <m2@x>\r\n"
            b"Content-Type: text/plain; charset=x-nonsense\r\n\r\nhi\r\n",
            "LookupError: unknown encoding: x-nonsense",
        ),
    ],
)
def test_a_malformed_message_is_kept_raw_with_the_reason(org: Any, raw: bytes, reason: str) -> None:
    message = message_ingest(raw=raw, owner=org.owner).message

    assert message.is_malformed is True
    assert message.parse_error == reason
    assert bytes(message.raw) == raw
    assert message.message_id.startswith("sha256:")
    assert message_ingest(raw=raw, owner=org.owner).is_new is False
    assert Message.objects.count() == 1


def test_a_reply_to_a_campaign_message_marks_the_delivery(org: Any, anna: Any) -> None:
    from kam.outreach.models import Campaign, Delivery

    campaign = Campaign.objects.create(
        name="Launch", kind="new_product", subject="New", body="b", owner=org.owner
    )
    delivery = Delivery.objects.create(
        campaign=campaign,
        contact=anna,
        account=anna.account,
        token="t" * 40,
        message_id="c1@kam.example",
    )

    message = message_ingest(
        raw=raw_mail(in_reply_to="<c1@kam.example>", message_id="<r9@client.example>"),
        owner=org.owner,
    ).message

    delivery.refresh_from_db()
    assert message.delivery == delivery
    assert delivery.replied_at == message.sent_at


def test_an_eml_and_an_mbox_file_are_imported_once(org: Any, anna: Any) -> None:
    second = raw_mail(message_id="<q2@client.example>", body="From here on\nbye\n")
    mbox = (
        b"From anna@client.example Fri Nov 20 09:30:00 2026\n"
        + raw_mail().replace(b"\r\n", b"\n")
        + b"\nFrom anna@client.example Fri Nov 20 10:00:00 2026\n"
        + second.replace(b"\r\n", b"\n").replace(b"\nFrom here", b"\n>From here")
        + b"\n"
    )

    eml = messages_import(user=org.owner, data=raw_mail(), filename="q1.eml")
    box = messages_import(user=org.owner, data=mbox, filename="export.mbox")

    assert (eml.created, eml.duplicates, eml.malformed) == (1, 0, 0)
    assert (box.created, box.duplicates, box.malformed) == (1, 1, 0)
    imported = Message.objects.get(message_id="q2@client.example")
    assert imported.text_body == "From here on\nbye\n"
    assert imported.owner == org.owner


def test_an_empty_or_non_mbox_file_is_refused(org: Any) -> None:
    with pytest.raises(MailImportError) as empty:
        messages_import(user=org.owner, data=b"  \n", filename="x.eml")
    with pytest.raises(MailImportError) as not_mbox:
        messages_import(user=org.owner, data=b"hello\n", filename="x.mbox")

    assert empty.value.fields == {"file": ["The file is empty."]}
    assert not_mbox.value.fields == {
        "file": ['not an mbox file: it does not start with a "From " line']
    }


def test_unknown_senders_are_listed_and_become_a_contact(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    message_ingest(raw=raw_mail(sender="New Person <new@prospect.example>"), owner=org.owner)
    message_ingest(
        raw=raw_mail(sender="new@prospect.example", message_id="<n2@prospect.example>"),
        owner=org.owner,
    )

    listed = list(unknown_senders(user=org.owner))
    hidden = list(unknown_senders(user=org.other))

    assert [(s["from_address"], s["name"], s["count"]) for s in listed] == [
        ("new@prospect.example", "New Person", 2)
    ]
    assert hidden == []
    contact = contact_with(account, email="new@prospect.example", last_name="Person")
    assert sender_link_contact(user=org.owner, address="new@prospect.example", contact=contact) == 2
    assert list(unknown_senders(user=org.owner)) == []
    assert Activity.objects.filter(account=account, kind="email").count() == 2


def test_a_message_we_sent_found_in_an_import_is_outbound_and_linked_by_recipient(
    org: Any, anna: Any
) -> None:
    raw = raw_mail(
        sender="Olga <owner@example.com>",
        to="Anna <anna@client.example>",
        message_id="<s1@example.com>",
    )

    message = messages_import(user=org.owner, data=raw, filename="sent.eml")

    stored = Message.objects.get()
    assert message.created == 1
    assert (stored.direction, stored.contact, stored.account) == ("outbound", anna, anna.account)
    assert Activity.objects.get().direction == "outbound"


def test_an_html_only_message_is_logged_with_its_text(org: Any, anna: Any) -> None:
    raw = (
        b"From: anna@client.example\r\nTo: owner@example.com\r\nSubject: Html\r\n"
        b"Message-ID: <h1@client.example>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Hello <b>there</b></p>\r\n"
    )

    message = message_ingest(raw=raw, owner=org.owner).message

    assert message.html_body == "<p>Hello <b>there</b></p>\n"
    assert Activity.objects.get().body == "Hello there"


def test_nul_characters_are_dropped_from_the_text_not_the_raw_message(org: Any, anna: Any) -> None:
    import base64

    body = base64.b64encode(b"Price:\x00 10\n").decode()
    raw = (
        "From: anna@client.example\r\nTo: owner@example.com\r\nSubject: Nul\x00l\r\n"
        "Message-ID: <nul@client.example>\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{body}\r\n"
    ).encode()

    message = message_ingest(raw=raw, owner=org.owner).message

    message.refresh_from_db()
    assert (message.subject, message.text_body, message.is_malformed) == (
        "Null",
        "Price: 10\n",
        False,
    )
    assert bytes(message.raw) == raw
