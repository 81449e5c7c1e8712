"""The mail API: messages (list, detail, send, import) and mailboxes (write-only password),
with the access matrix and bounded queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from kam.accounts.models import Contact
from kam.accounts.tests.factories import AccountFactory
from kam.outreach.models import EmailTemplate, Mailbox, Message
from kam.outreach.services.mail_boxes import mailbox_create
from kam.outreach.services.mail_in import message_ingest
from kam.outreach.tests.mail_factories import contact_with, raw_mail
from kam.outreach.tests.mailservers import SmtpServer
from kam.sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db
ROLES = ["owner", "lead", "peer", "other", "kam", "sales_head", "auditor", "staff", "marketing"]
SEES = {"owner", "lead", "sales_head", "auditor"}
CHANGES = {"owner", "lead", "sales_head"}
BOX = {
    "name": "Inbox",
    "email_address": "owner@example.com",
    "host": "imap.example.com",
    "port": 993,
    "username": "owner",
    "password": "s3cret-imap",
}


@pytest.fixture
def anna(org: Any) -> Contact:
    account = AccountFactory(owner=org.owner, name="Client GmbH")
    return contact_with(account, email="anna@client.example", first_name="Anna", last_name="K")


@pytest.fixture
def received(org: Any, anna: Contact) -> Message:
    return message_ingest(raw=raw_mail(), owner=org.owner).message


def test_anonymous_gets_nothing(api: APIClient, received: Message) -> None:
    for url in ("/api/v1/messages/", f"/api/v1/messages/{received.pk}/", "/api/v1/mailboxes/"):
        assert api.get(url).status_code in (401, 403)
    response = api.post("/api/v1/messages/", {"contact": received.contact_id}, format="json")
    assert response.status_code in (401, 403)


@pytest.mark.parametrize("role", ROLES)
def test_message_detail_and_list_by_access(
    org: Any, api_as: Any, received: Message, role: str
) -> None:
    client = api_as(getattr(org, role))

    detail = client.get(f"/api/v1/messages/{received.pk}/")
    listed = client.get("/api/v1/messages/").json()

    if role in SEES:
        assert detail.status_code == 200
        body = detail.json()
        assert (body["subject"], body["from_address"], body["contact"]) == (
            "Question about the offer",
            "anna@client.example",
            received.contact_id,
        )
        assert body["text_body"] == "Hello,\nwhat does it cost?\n"
        assert [m["id"] for m in listed["results"]] == [received.pk]
    else:
        assert detail.status_code == 404
        assert detail.json() == {"code": "not_found", "detail": "Not found.", "fields": {}}
        assert listed["results"] == []


def test_the_list_filters_by_contact_account_deal_and_direction(
    org: Any, api_as: Any, anna: Contact, received: Message
) -> None:
    other = contact_with(AccountFactory(owner=org.owner), email="bob@other.example")
    message_ingest(
        raw=raw_mail(sender="bob@other.example", message_id="<b1@other.example>"), owner=org.owner
    )
    client = api_as(org.owner)

    def ids(query: str) -> list[int]:
        return [m["id"] for m in client.get(f"/api/v1/messages/?{query}").json()["results"]]

    assert ids(f"contact={anna.pk}") == [received.pk]
    assert ids(f"account={other.account_id}") == [Message.objects.get(contact=other).pk]
    assert ids("direction=outbound") == []
    assert ids(f"deal={DealFactory(account=anna.account).pk}") == []
    assert client.get("/api/v1/messages/?direction=sideways").status_code == 400


def test_the_list_costs_the_same_for_many_rows(
    org: Any, api_as: Any, anna: Contact, django_assert_max_num_queries: Any
) -> None:
    for n in range(25):
        message_ingest(raw=raw_mail(message_id=f"<m{n}@client.example>"), owner=org.owner)
    client = api_as(org.owner)

    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/messages/")

    assert response.json()["count"] == 25


@pytest.mark.parametrize("role", ROLES)
def test_sending_needs_the_right_to_change_the_contact(
    org: Any, api_as: Any, anna: Contact, smtp_settings: SmtpServer, role: str
) -> None:
    response = api_as(getattr(org, role)).post(
        "/api/v1/messages/",
        {"contact": anna.pk, "subject": "Hi {{ contact.first_name }}", "body": "Text"},
        format="json",
    )

    if role in CHANGES:
        assert response.status_code == 201
        assert response.json()["subject"] == "Hi Anna"
        assert smtp_settings.wait_for(1)
        assert smtp_settings.messages[0]["To"] == "Anna K <anna@client.example>"
    else:
        assert response.status_code == (403 if role in SEES else 404)
        assert smtp_settings.count == 0
        assert Message.objects.count() == 0


def test_sending_to_a_missing_contact_is_a_404_like_an_invisible_one(
    org: Any, api_as: Any, smtp_settings: SmtpServer
) -> None:
    response = api_as(org.owner).post(
        "/api/v1/messages/", {"contact": 999999, "subject": "x", "body": "y"}, format="json"
    )

    assert response.status_code == 404


def test_sending_validates_the_input(org: Any, api_as: Any, anna: Contact) -> None:
    response = api_as(org.owner).post(
        "/api/v1/messages/", {"contact": "x", "cc": "nope"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"contact", "cc"}


def test_sending_to_a_do_not_contact_contact_is_refused(
    org: Any, api_as: Any, anna: Contact, smtp_settings: SmtpServer
) -> None:
    anna.do_not_contact = True
    anna.save()

    response = api_as(org.owner).post(
        "/api/v1/messages/", {"contact": anna.pk, "subject": "x", "body": "y"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "mail_refused"
    assert response.json()["fields"] == {"contact": ["This contact does not want to be contacted."]}
    assert smtp_settings.count == 0


def test_sending_from_a_template(
    org: Any, api_as: Any, anna: Contact, smtp_settings: SmtpServer
) -> None:
    client = api_as(org.owner)
    created = client.post(
        "/api/v1/email-templates/",
        {
            "name": "Intro",
            "subject": "For {{ account.name }}",
            "body": "Dear {{ contact.first_name }}",
        },
        format="json",
    )

    response = client.post(
        "/api/v1/messages/",
        {"contact": anna.pk, "template": created.json()["id"]},
        format="json",
    )

    assert created.status_code == 201
    assert response.status_code == 201
    assert smtp_settings.wait_for(1)
    assert smtp_settings.messages[0]["Subject"] == "For Client GmbH"
    assert smtp_settings.messages[0].get_content() == "Dear Anna\n"
    other_template = EmailTemplate.objects.create(
        name="Mine", subject="s", body="b", owner=org.other
    )
    refused = client.post(
        "/api/v1/messages/", {"contact": anna.pk, "template": other_template.pk}, format="json"
    )
    assert refused.json()["fields"] == {"template": ["Not found."]}


def test_importing_an_eml_through_the_api(org: Any, api_as: Any, anna: Contact) -> None:
    client = api_as(org.owner)
    upload = SimpleUploadedFile("q.eml", raw_mail(), content_type="message/rfc822")

    first = client.post("/api/v1/messages/import/", {"file": upload}, format="multipart")
    upload.seek(0)
    again = client.post("/api/v1/messages/import/", {"file": upload}, format="multipart")

    assert first.status_code == 201
    assert first.json() == {"created": 1, "duplicates": 0, "malformed": 0}
    assert again.json() == {"created": 0, "duplicates": 1, "malformed": 0}
    fresh = SimpleUploadedFile("n.eml", raw_mail(message_id="<n@x>"), content_type="message/rfc822")
    auditor = api_as(org.auditor).post(
        "/api/v1/messages/import/", {"file": fresh}, format="multipart"
    )
    assert auditor.status_code == 403
    assert Message.objects.count() == 1


def test_a_mailbox_password_is_write_only(org: Any, api_as: Any) -> None:
    client = api_as(org.owner)

    created = client.post("/api/v1/mailboxes/", BOX, format="json")
    listed = client.get("/api/v1/mailboxes/")
    detail = client.get(f"/api/v1/mailboxes/{created.json()['id']}/")

    assert created.status_code == 201
    for body in (created.json(), listed.json()["results"][0], detail.json()):
        assert "password" not in body
        assert "password_encrypted" not in body
        assert "s3cret-imap" not in str(body)
    assert created.json()["is_shared"] is False
    assert Mailbox.objects.get().owner == org.owner


@pytest.mark.parametrize("role", ROLES)
def test_mailboxes_by_access(org: Any, api_as: Any, role: str) -> None:
    mailbox = mailbox_create(
        user=org.owner,
        data={k: v for k, v in BOX.items() if k != "password"},
        password="p",
    )
    client = api_as(getattr(org, role))

    detail = client.get(f"/api/v1/mailboxes/{mailbox.pk}/")
    patch = client.patch(
        f"/api/v1/mailboxes/{mailbox.pk}/", {"name": "Renamed", "version": 1}, format="json"
    )

    sees = role in {"owner", "lead", "sales_head", "auditor"}
    assert detail.status_code == (200 if sees else 404)
    # Only its owner (or an admin) edits a mailbox: it holds his credentials.
    assert patch.status_code == (200 if role == "owner" else 403 if sees else 404)
    mailbox.refresh_from_db()
    assert mailbox.name == ("Renamed" if role == "owner" else "Inbox")


def test_only_an_admin_sets_up_a_shared_mailbox(org: Any, api_as: Any) -> None:
    refused = api_as(org.sales_head).post(
        "/api/v1/mailboxes/", {**BOX, "is_shared": True}, format="json"
    )
    created = api_as(org.admin).post(
        "/api/v1/mailboxes/", {**BOX, "is_shared": True}, format="json"
    )

    assert refused.status_code == 403
    assert created.status_code == 201
    assert created.json()["is_shared"] is True
    mailbox = Mailbox.objects.get()
    assert (mailbox.owner, mailbox.created_by) == (None, org.admin)
    assert api_as(org.owner).get(f"/api/v1/mailboxes/{mailbox.pk}/").status_code == 404


def test_a_mailbox_needs_a_password_and_a_valid_address(org: Any, api_as: Any) -> None:
    response = api_as(org.owner).post(
        "/api/v1/mailboxes/", {**BOX, "password": "", "email_address": "nope"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"password", "email_address"}


def test_a_stale_mailbox_edit_is_a_conflict(org: Any, api_as: Any) -> None:
    client = api_as(org.owner)
    mailbox_id = client.post("/api/v1/mailboxes/", BOX, format="json").json()["id"]
    client.patch(f"/api/v1/mailboxes/{mailbox_id}/", {"name": "A", "version": 1}, format="json")

    stale = client.patch(
        f"/api/v1/mailboxes/{mailbox_id}/", {"name": "B", "version": 1}, format="json"
    )

    assert stale.status_code == 409
    assert Mailbox.objects.get().name == "A"


def test_the_schema_lists_the_mail_endpoints(api_as: Any, org: Any) -> None:
    schema = api_as(org.owner).get("/api/schema/?format=json").json()

    for path in ("/api/v1/messages/", "/api/v1/messages/import/", "/api/v1/mailboxes/{id}/poll/"):
        assert path in schema["paths"]


def test_templates_are_kept_by_their_owner_and_shared_ones_by_admins(org: Any, api_as: Any) -> None:
    mine = api_as(org.owner).post(
        "/api/v1/email-templates/", {"name": "Mine", "subject": "s", "body": "b"}, format="json"
    )
    shared_refused = api_as(org.owner).post(
        "/api/v1/email-templates/",
        {"name": "All", "subject": "s", "body": "b", "is_shared": True},
        format="json",
    )
    shared = api_as(org.admin).post(
        "/api/v1/email-templates/",
        {"name": "All", "subject": "s", "body": "b", "is_shared": True},
        format="json",
    )
    mine_id, shared_id = mine.json()["id"], shared.json()["id"]

    assert (mine.status_code, shared_refused.status_code, shared.status_code) == (201, 403, 201)
    assert [
        t["name"] for t in api_as(org.other).get("/api/v1/email-templates/").json()["results"]
    ] == ["All"]
    assert (
        api_as(org.other)
        .patch(f"/api/v1/email-templates/{mine_id}/", {"name": "x", "version": 1}, format="json")
        .status_code
        == 404
    )
    assert (
        api_as(org.owner)
        .patch(f"/api/v1/email-templates/{shared_id}/", {"name": "x", "version": 1}, format="json")
        .status_code
        == 403
    )
    renamed = api_as(org.owner).patch(
        f"/api/v1/email-templates/{mine_id}/", {"name": "Renamed", "version": 1}, format="json"
    )
    assert renamed.json()["name"] == "Renamed"
    bad = api_as(org.owner).patch(
        f"/api/v1/email-templates/{mine_id}/", {"body": "{% load x %}", "version": 2}, format="json"
    )
    assert bad.json()["fields"] == {"body": ["The tag {% load %} is not allowed."]}
    assert api_as(org.owner).delete(f"/api/v1/email-templates/{mine_id}/").status_code == 204
    assert EmailTemplate.objects.filter(pk=mine_id).exists() is False
