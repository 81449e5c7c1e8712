"""The test mail servers themselves: what one sends arrives, byte for byte."""

from __future__ import annotations

import smtplib

from imapclient import IMAPClient

from kam.outreach.tests.mailservers import DovecotServer, SmtpServer

RAW = (
    b"From: a@example.org\r\nTo: b@example.org\r\nSubject: Hello\r\n"
    b"Message-ID: <t1@example.org>\r\n\r\nBody\r\n"
)


def test_smtp_server_keeps_what_arrived_byte_for_byte(smtp_server: SmtpServer) -> None:
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.sendmail("a@example.org", ["b@example.org", "c@example.org"], RAW)

    assert smtp_server.wait_for(1)
    assert smtp_server.received[0].raw == RAW
    assert smtp_server.received[0].rcpt_tos == ("b@example.org", "c@example.org")
    assert smtp_server.messages[0]["Subject"] == "Hello"
    assert smtp_server.messages[0].get_content() == "Body\n"


def test_imap_server_serves_what_was_appended(imap_server: DovecotServer) -> None:
    imap_server.append(RAW)

    with IMAPClient(imap_server.host, port=imap_server.port, ssl=False, timeout=5) as client:
        client.login(imap_server.user, imap_server.password)
        client.select_folder("INBOX", readonly=True)
        uids = client.search()
        fetched = client.fetch(uids, ["RFC822"])

    assert uids == [1]
    assert fetched[1][b"RFC822"] == RAW
