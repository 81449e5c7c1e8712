"""Exactly once across a worker killed with SIGKILL in the middle of a 2,000-message campaign.

Everything is real: an SMTP server (aiosmtpd, in this process, counting per recipient), `kam
worker --concurrency=2` processes on Redis (db 13) against a database of the test's own (a SQLite
file in tmp_path, or a PostgreSQL database created and dropped here when DATABASE_URL points at
PostgreSQL). The worker group is killed once ~600 messages have arrived; a new worker and the
outbox's recovery (the beat's task, sent through the broker) finish the campaign.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery import Celery

from kam.outreach.tests.delivery_support import Sink

pytestmark = pytest.mark.worker

RECIPIENTS = 2000
KILL_AT = 600
REDIS = "redis://127.0.0.1:6379/13"
LEASE_SECONDS = 4

SETUP = """
import json, os, secrets
from django.utils import timezone
from kam.accounts.models import Contact, ContactConsent
from kam.accounts.tests.factories import AccountFactory
from kam.outreach.models import Campaign, Delivery
from kam.users.tests.factories import UserFactory

n = int(os.environ["KILL_RECIPIENTS"])
owner = UserFactory(username="owner")
account = AccountFactory(owner=owner, name="Recipients")
contacts = Contact.objects.bulk_create(
    Contact(account=account, first_name="R", last_name=f"N{i}", emails=[f"r{i}@example.com"])
    for i in range(n)
)
now = timezone.now()
ContactConsent.objects.bulk_create(
    ContactConsent(contact=c, channel="email", is_granted=True, given_at=now) for c in contacts
)
campaign = Campaign.objects.create(
    name="Kill test", kind="newsletter", status="sending", subject="News {{ contact.last_name }}",
    body="Hello {{ contact.first_name }} {{ contact.last_name }}", channels=["email"], owner=owner,
    launched_at=now,
)
Delivery.objects.bulk_create(
    Delivery(campaign=campaign, contact=c, account=account, channel="email",
             address=c.emails[0], token=secrets.token_urlsafe(32))
    for c in contacts
)
print(json.dumps({"campaign": campaign.pk}))
"""


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    """A database of this test's own: PostgreSQL when the suite runs on it, else SQLite."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'kill.sqlite3'}"
        return
    import psycopg

    name = f"kam_kill_{secrets.token_hex(4)}"
    parts = urlsplit(configured)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _statuses(url: str) -> dict[str, int]:
    query = "SELECT status, COUNT(*) FROM outreach_delivery GROUP BY status"
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)) as conn:
            return dict(conn.execute(query).fetchall())
    import psycopg

    with psycopg.connect(url) as conn:
        return dict(conn.execute(query).fetchall())  # type: ignore[arg-type]


def _wait(condition: Callable[[], bool], timeout: float, what: str, tick: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(tick)


def _kam(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kam.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "kam.cli", "worker", "--concurrency=2", "--loglevel=warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
        start_new_session=True,  # its own process group: the kill takes the pool children too
    )


def _kill(worker: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)


def test_a_worker_killed_mid_campaign_sends_each_message_exactly_once(
    tmp_path: Path, database: str
) -> None:
    if not _redis_answers():
        pytest.skip("Redis is not answering at 127.0.0.1:6379: the kill test needs a real broker")
    broker = Celery("kill-test", broker=REDIS, backend=REDIS)
    broker.conf.broker_connection_retry_on_startup = True
    with broker.connection_for_write() as conn:
        conn.default_channel.client.flushdb()
    with Sink() as sink:
        env = {
            **{k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}},
            "KAM_DATA_DIR": str(tmp_path),
            "DATABASE_URL": database,
            "CELERY_BROKER_URL": REDIS,
            "CELERY_RESULT_BACKEND": REDIS,
            "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
            "DEFAULT_FROM_EMAIL": "news@kam.example.com",
            "KAM_BASE_URL": "https://kam.example.com",
            "KAM_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "KAM_OUTBOX_BATCH_SIZE": "10",
            "KILL_RECIPIENTS": str(RECIPIENTS),
            "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        _kam(env, "migrate", "-v0")
        campaign = json.loads(_kam(env, "shell", "-c", SETUP).stdout.strip().splitlines()[-1])
        log = tmp_path / "worker.log"
        worker = _worker(env, log)
        try:
            # The launch queues the send once per worker process, as campaign launch would.
            for _ in range(2):
                broker.send_task(
                    "kam.outreach.tasks.delivery.send_campaign_task",
                    args=[campaign["campaign"]],
                    queue="mail",
                )
            _wait(lambda: len(sink.handler.received) >= KILL_AT, 240, f"{KILL_AT} messages")
            _kill(worker)
            at_kill = len(sink.handler.received)
            in_flight = _statuses(database)
            time.sleep(0.5)
            assert len(sink.handler.received) == at_kill  # nothing arrives from a dead worker
            worker = _worker(env, log)

            def finished() -> bool:
                broker.send_task("kam.outreach.tasks.delivery.resume_outbox_task", queue="default")
                return _statuses(database) == {"sent": RECIPIENTS}

            _wait(finished, 300, "every message sent", tick=LEASE_SECONDS)
        finally:
            _kill(worker)
            with broker.connection_for_write() as conn:
                conn.default_channel.client.flushdb()
        counts = sink.handler.per_recipient()
    assert KILL_AT <= at_kill < RECIPIENTS, (at_kill, in_flight)
    assert len(counts) == RECIPIENTS
    assert {address: n for address, n in counts.items() if n != 1} == {}
    assert set(counts) == {f"r{i}@example.com" for i in range(RECIPIENTS)}
    assert len(sink.handler.received) == RECIPIENTS
