"""Fixtures of the outreach tests: a real SMTP server and a real IMAP server on 127.0.0.1."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kam.outreach.tests.mailservers import DovecotServer, SmtpServer


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, random port; `.messages` is what arrived.

    Point Django at it with the `smtp_settings` fixture, or pass `.host`/`.port` to a worker.
    """
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_settings(settings: pytest.FixtureRequest, smtp_server: SmtpServer) -> SmtpServer:
    """Django's SMTP backend pointed at `smtp_server` (no TLS, no login)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST = smtp_server.host  # type: ignore[attr-defined]
    settings.EMAIL_PORT = smtp_server.port  # type: ignore[attr-defined]
    settings.EMAIL_HOST_USER = ""  # type: ignore[attr-defined]
    settings.EMAIL_HOST_PASSWORD = ""  # type: ignore[attr-defined]
    settings.EMAIL_USE_TLS = False  # type: ignore[attr-defined]
    settings.EMAIL_USE_SSL = False  # type: ignore[attr-defined]
    return smtp_server


@pytest.fixture
def imap_server() -> Iterator[DovecotServer]:
    """A real Dovecot IMAP server on 127.0.0.1 (skipped where Dovecot is not installed).

    Its directory is outside pytest's private tmp dir: as root, Dovecot's unprivileged users
    must be able to reach the maildir.
    """
    if not DovecotServer.available():
        pytest.skip("Dovecot is not installed (/usr/sbin/dovecot); `.ci/run` installs it")
    server = DovecotServer(root=Path(tempfile.mkdtemp(prefix="kam-dovecot-")))
    server.start()
    try:
        yield server
    finally:
        server.cleanup()
