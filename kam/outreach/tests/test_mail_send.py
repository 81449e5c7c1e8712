"""Sending an e-mail to a contact: through a real SMTP server, stored as sent, logged."""

from __future__ import annotations

from typing import Any

import pytest

from kam.accounts.tests.factories import AccountFactory
from kam.activities.models import Activity
from kam.outreach.errors_mail import MailError
from kam.outreach.models import Message
from kam.outreach.services.mail_out import Draft, message_send
from kam.outreach.tests.mail_factories import contact_with
from kam.outreach.tests.mailservers import SmtpServer
from kam.sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(org: Any) -> Any:
    account = AccountFactory(owner=org.owner, name="Acme Steel")
    return contact_with(account, email="anna@acme.example", first_name="Anna", last_name="Berg")


def test_send_renders_the_template_and_the_server_receives_exactly_what_is_stored(
    org: Any, contact: Any, smtp_settings: SmtpServer
) -> None:
    org.owner.first_name, org.owner.last_name = "Olga", "Owner"
    deal = DealFactory(account=contact.account, owner=org.owner, title="Rails 2027")

    message = message_send(
        user=org.owner,
        draft=Draft(
            contact=contact,
            subject="Offer for {{ account.name }}",
            body="Dear {{ contact.first_name }},\nabout {{ deal.title }}.\n{{ user.full_name }}",
            cc=("boss@acme.example",),
            deal=deal,
        ),
    )

    assert smtp_server_received(smtp_settings) == 1
    arrived = smtp_settings.received[0]
    assert arrived.raw == bytes(message.raw)
    assert arrived.rcpt_tos == ("anna@acme.example", "boss@acme.example")
    assert arrived.mail_from == "owner@example.com"
    email = arrived.message
    assert email["Subject"] == "Offer for Acme Steel"
    assert email["To"] == "Anna Berg <anna@acme.example>"
    assert email["Cc"] == "boss@acme.example"
    assert email["From"] == "Olga Owner <owner@example.com>"
    assert email["Message-ID"] == f"<{message.message_id}>"
    assert email.get_content() == "Dear Anna,\nabout Rails 2027.\nOlga Owner\n"
    stored = Message.objects.get()
    assert (stored.direction, stored.contact, stored.account, stored.deal) == (
        "outbound",
        contact,
        contact.account,
        deal,
    )
    assert stored.subject == "Offer for Acme Steel"
    assert stored.text_body == "Dear Anna,\nabout Rails 2027.\nOlga Owner"
    activity = Activity.objects.get()
    assert stored.activity == activity
    assert (activity.kind, activity.direction, activity.deal, activity.owner) == (
        "email",
        "outbound",
        deal,
        org.owner,
    )
    assert activity.subject == "Offer for Acme Steel"
    assert activity.body == "Dear Anna,\nabout Rails 2027.\nOlga Owner"
    assert list(activity.contacts.all()) == [contact]


def smtp_server_received(server: SmtpServer) -> int:
    server.wait_for(1, timeout=5)
    return server.count


def test_a_contact_marked_do_not_contact_is_refused_and_nothing_is_sent(
    org: Any, contact: Any, smtp_settings: SmtpServer
) -> None:
    contact.do_not_contact = True
    contact.save()

    with pytest.raises(MailError) as refused:
        message_send(user=org.owner, draft=Draft(contact=contact, subject="Hi", body="Hello"))

    assert refused.value.message == f"{contact} is marked “do not contact”: no e-mail is sent."
    assert smtp_settings.count == 0
    assert Message.objects.count() == 0
    assert Activity.objects.count() == 0


@pytest.mark.parametrize(
    ("subject", "body", "field", "error"),
    [
        ("{% load static %}", "x", "subject", "The tag {% load %} is not allowed."),
        ("Hi", "{% debug %}", "body", "The tag {% debug %} is not allowed."),
        ("Hi", "{% include 'base.html' %}", "body", "The tag {% include %} is not allowed."),
        ("Hi", "{% if %}", "body", "Unexpected end of expression in if tag."),
        ("{{ nothing }}", "x", "subject", "The subject is empty."),
    ],
)
def test_bad_templates_are_refused_with_the_field(
    org: Any,
    contact: Any,
    smtp_settings: SmtpServer,
    subject: str,
    body: str,
    field: str,
    error: str,
) -> None:
    with pytest.raises(MailError) as refused:
        message_send(user=org.owner, draft=Draft(contact=contact, subject=subject, body=body))

    assert refused.value.fields == {field: [error]}
    assert smtp_settings.count == 0


def test_a_template_cannot_reach_model_fields_beyond_its_plain_values(
    org: Any, contact: Any, smtp_settings: SmtpServer
) -> None:
    message_send(
        user=org.owner,
        draft=Draft(contact=contact, subject="x", body="[{{ user.password }}{{ account.owner }}]"),
    )

    assert smtp_server_received(smtp_settings) == 1
    assert smtp_settings.messages[0].get_content() == "[]\n"


def test_a_bad_cc_address_is_refused(org: Any, contact: Any, smtp_settings: SmtpServer) -> None:
    with pytest.raises(MailError) as refused:
        message_send(
            user=org.owner, draft=Draft(contact=contact, subject="x", body="y", cc=("nope",))
        )

    assert refused.value.fields == {"cc": ["“nope” is not an e-mail address."]}


def test_another_manager_cannot_mail_a_contact_he_does_not_see(
    org: Any, contact: Any, smtp_settings: SmtpServer
) -> None:
    from kam.core.errors import NotFoundError

    with pytest.raises(NotFoundError):
        message_send(user=org.other, draft=Draft(contact=contact, subject="x", body="y"))

    assert smtp_settings.count == 0
    assert Message.objects.count() == 0


def test_an_smtp_refusal_writes_nothing(org: Any, contact: Any, settings: Any) -> None:
    from kam.outreach.tests.mailservers import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens

    with pytest.raises(MailError) as refused:
        message_send(user=org.owner, draft=Draft(contact=contact, subject="x", body="y"))

    assert refused.value.message.startswith("The mail server refused the message: ")
    assert Message.objects.count() == 0
    assert Activity.objects.count() == 0


def test_a_reply_carries_the_thread_headers(
    org: Any, contact: Any, smtp_settings: SmtpServer
) -> None:
    first = message_send(user=org.owner, draft=Draft(contact=contact, subject="One", body="1"))

    second = message_send(
        user=org.owner, draft=Draft(contact=contact, subject="Re: One", body="2", reply_to=first)
    )

    assert smtp_server_received_n(smtp_settings, 2)
    email = smtp_settings.messages[1]
    assert email["In-Reply-To"] == f"<{first.message_id}>"
    assert email["References"] == f"<{first.message_id}>"
    assert second.thread_key == first.message_id


def smtp_server_received_n(server: SmtpServer, count: int) -> bool:
    return server.wait_for(count, timeout=5)
