"""Polling a real IMAP server (Dovecot on 127.0.0.1): incremental, idempotent, never crashed by
a bad message, one poller per mailbox, and the password encrypted at rest."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from kam.accounts.tests.factories import AccountFactory
from kam.documents.models import Document
from kam.outreach import crypto
from kam.outreach.models import Mailbox, Message
from kam.outreach.services.mail_boxes import mailbox_create, mailbox_poll
from kam.outreach.tasks.mail import poll_mailbox_task, poll_mailboxes_task
from kam.outreach.tests.mail_factories import contact_with, raw_mail
from kam.outreach.tests.mailservers import DovecotServer

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def mailbox(org: Any, imap_server: DovecotServer, settings: Any) -> Mailbox:
    settings.KAM_MAIL_IMAP_PORTS = [imap_server.port]
    return mailbox_create(
        user=org.owner,
        data={
            "name": "My inbox",
            "email_address": "owner@example.com",
            "host": imap_server.host,
            "port": imap_server.port,
            "use_ssl": False,
            "username": imap_server.user,
        },
        password=imap_server.password,
    )


def test_the_password_is_stored_encrypted(mailbox: Mailbox, imap_server: DovecotServer) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT password_encrypted FROM outreach_mailbox WHERE id = %s", [mailbox.pk]
        )
        (stored,) = cursor.fetchone()

    assert imap_server.password not in stored
    assert stored.startswith("gAAAA")  # a Fernet token
    assert crypto.decrypt(stored) == imap_server.password


def test_polling_twice_reads_each_message_once(
    org: Any, mailbox: Mailbox, imap_server: DovecotServer
) -> None:
    anna = contact_with(AccountFactory(owner=org.owner), email="anna@client.example")
    imap_server.append(raw_mail())
    imap_server.append(
        raw_mail(
            message_id="<q2@client.example>",
            attachments=[("offer.pdf", "application/pdf", PDF)],
        )
    )

    first = mailbox_poll(mailbox_id=mailbox.pk)
    second = mailbox_poll(mailbox_id=mailbox.pk)

    assert (first.polled, first.fetched, first.created, first.error) == (True, 2, 2, "")
    assert (second.polled, second.fetched, second.created) == (True, 0, 0)
    assert Message.objects.filter(mailbox=mailbox, contact=anna).count() == 2
    assert Document.objects.get().title == "offer.pdf"
    mailbox.refresh_from_db()
    assert (mailbox.last_uid, mailbox.last_error, mailbox.poll_started_at) == (2, "", None)
    assert mailbox.last_polled_at is not None


def test_a_rebuilt_folder_is_read_again_without_duplicates(
    mailbox: Mailbox, imap_server: DovecotServer
) -> None:
    imap_server.append(raw_mail())
    mailbox_poll(mailbox_id=mailbox.pk)
    Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=1)  # as if the server renumbered

    again = mailbox_poll(mailbox_id=mailbox.pk)

    assert (again.fetched, again.created) == (1, 0)
    assert Message.objects.count() == 1


def test_a_malformed_message_is_kept_and_reported_and_the_rest_is_read(
    org: Any, mailbox: Mailbox, imap_server: DovecotServer
) -> None:
    # IMAP cannot carry NUL bytes (Dovecot stores them as 0x80): broken, but transportable.
    broken = b"\xff\xfe garbage without any header\r\n"
    imap_server.append(broken)
    imap_server.append(raw_mail())

    result = mailbox_poll(mailbox_id=mailbox.pk)

    bad = Message.objects.get(is_malformed=True)
    assert (result.created, result.malformed) == (2, [bad.pk])
    assert bytes(bad.raw) == broken
    assert bad.parse_error == "no headers: this is not an e-mail message"
    assert Message.objects.filter(is_malformed=False).count() == 1
    mailbox.refresh_from_db()
    assert mailbox.last_error == f"1 malformed message(s) kept raw: {bad.pk}"


def test_a_wrong_password_is_reported_on_the_mailbox(
    org: Any, mailbox: Mailbox, imap_server: DovecotServer
) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(password_encrypted=crypto.encrypt("wrong"))

    result = mailbox_poll(mailbox_id=mailbox.pk)

    mailbox.refresh_from_db()
    assert result.error.startswith("LoginError: ")
    assert mailbox.last_error == result.error
    assert mailbox.poll_started_at is None


def test_a_mailbox_being_polled_is_left_alone(mailbox: Mailbox, imap_server: DovecotServer) -> None:
    from django.utils import timezone

    imap_server.append(raw_mail())
    Mailbox.objects.filter(pk=mailbox.pk).update(poll_started_at=timezone.now())

    result = mailbox_poll(mailbox_id=mailbox.pk)

    assert result.polled is False
    assert Message.objects.count() == 0


def test_the_beat_task_polls_every_active_mailbox(
    mailbox: Mailbox, imap_server: DovecotServer, settings: Any
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    imap_server.append(raw_mail())

    queued = poll_mailboxes_task.apply().get()

    assert queued == 1
    assert Message.objects.filter(mailbox=mailbox).count() == 1
    assert poll_mailbox_task.apply(args=[mailbox.pk]).get()["created"] == 0


@pytest.mark.parametrize(
    ("role", "status", "read"),
    [("owner", 202, 1), ("admin", 202, 1), ("sales_head", 403, 0), ("other", 404, 0)],
)
def test_read_now_through_the_api(
    org: Any,
    api_as: Any,
    mailbox: Mailbox,
    imap_server: DovecotServer,
    role: str,
    status: int,
    read: int,
) -> None:
    imap_server.append(raw_mail())

    response = api_as(getattr(org, role)).post(f"/api/v1/mailboxes/{mailbox.pk}/poll/")

    assert response.status_code == status
    assert Message.objects.count() == read  # the test settings run tasks at once


def test_read_now_on_the_page(org: Any, mailbox: Mailbox, imap_server: DovecotServer) -> None:
    from django.test import Client

    imap_server.append(raw_mail())
    client = Client()
    client.force_login(org.owner)

    response = client.post(f"/mail/mailboxes/{mailbox.pk}/poll/")
    page = client.get("/mail/mailboxes/").content.decode()

    assert response.status_code == 302
    assert Message.objects.count() == 1
    assert "My inbox" in page


@pytest.mark.django_db(transaction=True)
def test_two_pollers_at_once_store_each_message_once(
    org: Any, mailbox: Mailbox, imap_server: DovecotServer
) -> None:
    import threading

    from django.db import connections

    for n in range(8):
        imap_server.append(raw_mail(message_id=f"<c{n}@client.example>"))
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def poll() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(mailbox_poll(mailbox_id=mailbox.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(result.created for result in results) == 8
    assert Message.objects.count() == 8
    assert Mailbox.objects.get(pk=mailbox.pk).last_uid == 8
