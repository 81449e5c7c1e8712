"""The mail pages: who sees what (the access matrix), writing an e-mail, the panels, importing,
unknown senders and mailboxes; lists at a constant number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kam.accounts.models import Contact
from kam.accounts.tests.factories import AccountFactory
from kam.core import registry
from kam.outreach.models import Mailbox, Message
from kam.outreach.services.mail_boxes import mailbox_create
from kam.outreach.services.mail_in import message_ingest
from kam.outreach.tests.mail_factories import contact_with, raw_mail
from kam.outreach.tests.mailservers import SmtpServer

pytestmark = pytest.mark.django_db
ROLES = ["owner", "lead", "peer", "other", "kam", "sales_head", "auditor", "staff", "marketing"]
SEES = {"owner", "lead", "sales_head", "auditor"}
CHANGES = {"owner", "lead", "sales_head"}


@pytest.fixture
def anna(org: Any) -> Contact:
    account = AccountFactory(owner=org.owner, name="Client GmbH")
    return contact_with(account, email="anna@client.example", first_name="Anna", last_name="K")


@pytest.fixture
def received(org: Any, anna: Contact) -> Message:
    return message_ingest(raw=raw_mail(body="Secret price 4711\n"), owner=org.owner).message


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_is_sent_to_sign_in(received: Message, anna: Contact) -> None:
    for url in (
        "/mail/messages/",
        f"/mail/messages/{received.pk}/",
        f"/contacts/{anna.pk}/write-email/",
        f"/contacts/{anna.pk}/mail-panel/",
        "/mail/unknown-senders/",
        "/mail/mailboxes/",
        "/mail/messages/import/",
    ):
        response = Client().get(url)
        assert (url, response.status_code) == (url, 302)
        assert "/login" in response["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_the_message_page_answers_by_access(org: Any, received: Message, role: str) -> None:
    response = _client(getattr(org, role)).get(f"/mail/messages/{received.pk}/")

    if role in SEES:
        assert response.status_code == 200
        assert "Secret price 4711" in response.content.decode()
    else:
        assert response.status_code == 404
        assert "4711" not in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_the_list_shows_only_visible_messages(org: Any, received: Message, role: str) -> None:
    page = _client(getattr(org, role)).get("/mail/messages/").content.decode()

    assert ("Question about the offer" in page) is (role in SEES)


@pytest.mark.parametrize("role", ROLES)
def test_the_contact_panel_answers_by_access(
    org: Any, received: Message, anna: Contact, role: str
) -> None:
    response = _client(getattr(org, role)).get(f"/contacts/{anna.pk}/mail-panel/")

    assert response.status_code == (200 if role in SEES else 404)
    if role in SEES:
        page = response.content.decode()
        assert "Question about the offer" in page
        assert ("Write e-mail" in page) is (role in CHANGES)


@pytest.mark.parametrize("role", ROLES)
def test_the_compose_page_needs_the_right_to_change_the_contact(
    org: Any, anna: Contact, role: str
) -> None:
    response = _client(getattr(org, role)).get(f"/contacts/{anna.pk}/write-email/")

    expected = 200 if role in CHANGES else 403 if role in SEES else 404
    assert response.status_code == expected


def test_the_panels_are_registered_on_contact_and_account_pages(org: Any) -> None:
    contact = [p.url_name for p in registry.panels_for("accounts.contact", org.owner)]
    account = [p.url_name for p in registry.panels_for("accounts.account", org.owner)]

    assert "outreach:mail_contact_panel" in contact
    assert "outreach:mail_account_panel" in account


def test_writing_an_e_mail_sends_it_and_shows_it(
    org: Any, anna: Contact, smtp_settings: SmtpServer
) -> None:
    client = _client(org.owner)

    response = client.post(
        f"/contacts/{anna.pk}/write-email/",
        {"subject": "Hello {{ contact.first_name }}", "body": "Text", "cc": ""},
    )

    message = Message.objects.get(direction="outbound")
    assert response.status_code == 302
    assert response["Location"] == f"/mail/messages/{message.pk}/"
    assert smtp_settings.wait_for(1)
    assert smtp_settings.messages[0]["Subject"] == "Hello Anna"
    assert "Hello Anna" in client.get(response["Location"]).content.decode()


def test_the_compose_form_keeps_what_was_typed_on_error(
    org: Any, anna: Contact, smtp_settings: SmtpServer
) -> None:
    response = _client(org.owner).post(
        f"/contacts/{anna.pk}/write-email/",
        {"subject": "Hi", "body": "Keep {% load x %} this", "cc": "not-an-address"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "“not-an-address” is not an e-mail address." in page
    assert "Keep {% load x %} this" in page
    assert smtp_settings.count == 0
    assert Message.objects.count() == 0


def test_the_compose_form_needs_csrf(org: Any, anna: Contact) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.owner)

    response = client.post(f"/contacts/{anna.pk}/write-email/", {"subject": "x", "body": "y"})

    assert response.status_code == 403
    assert Message.objects.count() == 0


def test_the_message_list_costs_the_same_for_many_rows(
    org: Any, anna: Contact, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        message_ingest(raw=raw_mail(message_id=f"<bulk{n}@client.example>"), owner=org.owner)
    client = _client(org.owner)

    with django_assert_max_num_queries(12):
        response = client.get("/mail/messages/")

    assert response.content.decode().count('id="message-') == 30


def test_importing_a_file_through_the_page(org: Any, anna: Contact) -> None:
    upload = SimpleUploadedFile("q.eml", raw_mail(), content_type="message/rfc822")

    response = _client(org.owner).post("/mail/messages/import/", {"file": upload})

    assert response.status_code == 302
    assert Message.objects.get().contact == anna


def test_the_auditor_cannot_import(org: Any) -> None:
    upload = SimpleUploadedFile("q.eml", raw_mail(), content_type="message/rfc822")

    response = _client(org.auditor).post("/mail/messages/import/", {"file": upload})

    assert response.status_code == 404
    assert Message.objects.count() == 0


def test_an_unknown_sender_becomes_a_contact_in_one_step(org: Any) -> None:
    account = AccountFactory(owner=org.owner, name="Prospect AG")
    message_ingest(raw=raw_mail(sender="Nina Neu <nina@prospect.example>"), owner=org.owner)
    client = _client(org.owner)
    listed = client.get("/mail/unknown-senders/").content.decode()
    form = client.get("/mail/unknown-senders/contact/?address=nina@prospect.example")

    response = client.post(
        "/mail/unknown-senders/contact/?address=nina@prospect.example",
        {"account": account.pk, "first_name": "Nina", "last_name": "Neu"},
    )

    assert "nina@prospect.example" in listed
    assert 'value="Neu"' in form.content.decode()
    contact = Contact.objects.get(account=account)
    assert (contact.first_name, contact.last_name, contact.emails) == (
        "Nina",
        "Neu",
        ["nina@prospect.example"],
    )
    assert response["Location"] == f"/contacts/{contact.pk}/"
    assert Message.objects.get().contact == contact
    assert "nina@prospect.example" not in client.get("/mail/unknown-senders/").content.decode()


def test_another_manager_cannot_take_someone_elses_unknown_sender(org: Any) -> None:
    message_ingest(raw=raw_mail(sender="nina@prospect.example"), owner=org.owner)

    response = _client(org.other).get(
        "/mail/unknown-senders/contact/?address=nina@prospect.example"
    )

    assert response.status_code == 404


def test_setting_up_a_mailbox_through_the_page(org: Any) -> None:
    response = _client(org.owner).post(
        "/mail/mailboxes/new/",
        {
            "name": "Inbox",
            "email_address": "owner@example.com",
            "host": "imap.example.com",
            "port": 993,
            "use_ssl": "on",
            "username": "owner",
            "password": "pw-1",
            "folder": "INBOX",
        },
    )

    mailbox = Mailbox.objects.get()
    assert response.status_code == 302
    assert (mailbox.owner, mailbox.created_by, mailbox.port) == (org.owner, org.owner, 993)
    assert "pw-1" not in mailbox.password_encrypted


def test_a_manager_may_not_use_other_ports_or_shared_mailboxes(org: Any) -> None:
    data = {
        "name": "Inbox",
        "email_address": "owner@example.com",
        "host": "127.0.0.1",
        "port": 6379,
        "username": "x",
        "password": "y",
        "folder": "INBOX",
    }

    port = _client(org.owner).post("/mail/mailboxes/new/", data)
    shared = _client(org.owner).post(
        "/mail/mailboxes/new/", {**data, "port": 993, "is_shared": "on"}
    )

    assert "Only IMAP ports 143, 993 may be used." in port.content.decode()
    assert "Only an administrator can set up a shared mailbox." in shared.content.decode()
    assert Mailbox.objects.count() == 0


@pytest.mark.parametrize("role", ROLES)
def test_the_mailbox_list_shows_ones_own(org: Any, role: str) -> None:
    mailbox_create(
        user=org.owner,
        data={"name": "Olga's box", "email_address": "o@example.com", "host": "h", "username": "u"},
        password="p",
    )

    page = _client(getattr(org, role)).get("/mail/mailboxes/").content.decode()

    assert ("Olga&#x27;s box" in page) is (role in {"owner", "lead", "sales_head", "auditor"})


def test_a_reply_and_a_template_prefill_the_compose_form(
    org: Any, anna: Contact, received: Message
) -> None:
    from kam.outreach.models import EmailTemplate

    template = EmailTemplate.objects.create(
        name="Intro", subject="Our news", body="Dear {{ contact.first_name }}", owner=None
    )
    client = _client(org.owner)

    reply = client.get(f"/contacts/{anna.pk}/write-email/?reply_to={received.pk}").content.decode()
    picked = client.get(f"/contacts/{anna.pk}/write-email/?template={template.pk}").content.decode()
    foreign = _client(org.other).get(f"/contacts/{anna.pk}/write-email/?reply_to={received.pk}")

    assert 'value="Re: Question about the offer"' in reply
    assert 'value="Our news"' in picked
    assert "Dear {{ contact.first_name }}</textarea>" in picked
    assert foreign.status_code == 404


def test_a_reply_sent_from_the_page_stays_in_the_thread(
    org: Any, anna: Contact, received: Message, smtp_settings: SmtpServer
) -> None:
    response = _client(org.owner).post(
        f"/contacts/{anna.pk}/write-email/?reply_to={received.pk}",
        {"subject": "Re: Question about the offer", "body": "It costs 10."},
    )

    sent = Message.objects.get(direction="outbound")
    assert response.status_code == 302
    assert (sent.in_reply_to, sent.thread_key) == (received.message_id, received.thread_key)
    assert smtp_settings.wait_for(1)
    assert smtp_settings.messages[0]["In-Reply-To"] == "<q1@client.example>"
    detail = _client(org.owner).get(f"/mail/messages/{sent.pk}/").content.decode()
    assert "Thread" in detail
    assert f'href="/mail/messages/{received.pk}/"' in detail


def test_a_malformed_message_shows_its_reason(org: Any) -> None:
    message = message_ingest(raw=b"\xff\xfe not mail", owner=org.owner).message

    page = _client(org.owner).get(f"/mail/messages/{message.pk}/").content.decode()
    listed = _client(org.owner).get("/mail/messages/?is_malformed=true").content.decode()

    assert "no headers: this is not an e-mail message" in page
    assert f'id="message-{message.pk}"' in listed


def test_the_account_panel_lists_the_accounts_mail(
    org: Any, anna: Contact, received: Message
) -> None:
    owner = _client(org.owner).get(f"/accounts/{anna.account_id}/mail-panel/")
    other = _client(org.other).get(f"/accounts/{anna.account_id}/mail-panel/")

    assert "Question about the offer" in owner.content.decode()
    assert f"?account={anna.account_id}" in owner.content.decode()
    assert other.status_code == 404


def test_a_do_not_contact_contact_has_no_write_button(
    org: Any, anna: Contact, received: Message
) -> None:
    anna.do_not_contact = True
    anna.save()

    panel = _client(org.owner).get(f"/contacts/{anna.pk}/mail-panel/").content.decode()
    page = _client(org.owner).get(f"/contacts/{anna.pk}/write-email/").content.decode()

    assert "Write e-mail" not in panel
    assert "is marked “do not contact”" in page


def _box(org: Any) -> Mailbox:
    return mailbox_create(
        user=org.owner,
        data={"name": "Box", "email_address": "o@example.com", "host": "h", "username": "u"},
        password="old-pw",
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 200), ("admin", 200), ("sales_head", 403), ("auditor", 403), ("other", 404)],
)
def test_mailbox_settings_by_access(org: Any, role: str, status: int) -> None:
    mailbox = _box(org)

    response = _client(getattr(org, role)).get(f"/mail/mailboxes/{mailbox.pk}/edit/")

    assert response.status_code == status
    assert "old-pw" not in response.content.decode()


def test_editing_a_mailbox_keeps_the_password_unless_a_new_one_is_typed(org: Any) -> None:
    from kam.outreach import crypto

    mailbox = _box(org)
    data = {
        "name": "Renamed",
        "email_address": "o@example.com",
        "host": "h",
        "port": 993,
        "username": "u",
        "folder": "INBOX",
        "is_active": "on",
        "password": "",
        "version": mailbox.version,
    }
    client = _client(org.owner)

    kept = client.post(f"/mail/mailboxes/{mailbox.pk}/edit/", data)
    mailbox.refresh_from_db()
    password_after_rename = crypto.decrypt(mailbox.password_encrypted)
    changed = client.post(
        f"/mail/mailboxes/{mailbox.pk}/edit/",
        {**data, "password": "new-pw", "version": mailbox.version},
    )
    stale = client.post(
        f"/mail/mailboxes/{mailbox.pk}/edit/", {**data, "name": "Late", "version": 1}
    )

    mailbox.refresh_from_db()
    assert (kept.status_code, changed.status_code, stale.status_code) == (302, 302, 200)
    assert password_after_rename == "old-pw"
    assert crypto.decrypt(mailbox.password_encrypted) == "new-pw"
    assert mailbox.name == "Renamed"
    assert "changed by someone else" in stale.content.decode()


def test_removing_a_mailbox_keeps_its_mail(org: Any, anna: Contact) -> None:
    mailbox = _box(org)
    message_ingest(raw=raw_mail(), mailbox=mailbox, owner=org.owner)

    refused = _client(org.sales_head).post(f"/mail/mailboxes/{mailbox.pk}/delete/")
    removed = _client(org.owner).post(f"/mail/mailboxes/{mailbox.pk}/delete/")

    assert (refused.status_code, removed.status_code) == (403, 302)
    assert Mailbox.objects.count() == 0
    assert Message.objects.get().mailbox is None
