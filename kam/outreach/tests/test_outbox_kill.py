"""Exactly once across a worker killed with SIGKILL in the middle of a 2,000-message campaign.

Everything is real: an SMTP server (aiosmtpd, in this process, counting per recipient), `kam
worker --concurrency=2` processes on Redis (db 13, or 14 for the second case) against a
database of the test's own (a SQLite file in tmp_path, or a PostgreSQL database created and
dropped here when DATABASE_URL points at PostgreSQL). Once ~600 messages have arrived, the
server stops answering at one point of the SMTP conversation, so every worker process is caught
there, and the worker group is killed:

- `rcpt`: mid-transaction, before the message is handed over (its row is `sending`): recovery
  must send it again, once;
- `data`: after the final "." reached the server, before its "250" reached the worker (the row
  is `handed_over`): recovery must count it as sent and never send it again.

These are the two sides of the outbox's hand-over marker. A kill at a random moment lands in one
of them too, except in the few microseconds between committing `handed_over` and writing the
"." (docs/outreach-delivery.md); catching the workers at a known step keeps the test exact
instead of leaving its outcome to the machine's timing. A new worker and the outbox's recovery
(the beat's task, sent through the broker) finish the campaign.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery import Celery
from kombu import Exchange, Queue

from kam.outreach.tests.delivery_support import Sink, SinkHandler

pytestmark = pytest.mark.worker

RECIPIENTS = 2000
KILL_AT = 600
# A Redis database per case, so the two cases may run at once on two pytest workers (CI's own
# worker uses 15, the campaign benchmark 12).
REDIS = {"rcpt": "redis://127.0.0.1:6379/13", "data": "redis://127.0.0.1:6379/14"}
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


@dataclass
class StallingHandler(SinkHandler):
    """A sink that, once `stall_after` messages arrived and while `stalling` is on, stops
    answering at `phase` ("rcpt": before the message; "data": after keeping it), so every
    worker process waits there until it is killed."""

    phase: str = "rcpt"
    stall_after: int = KILL_AT
    stalling: bool = True
    stalled: threading.Event = field(default_factory=threading.Event)

    def _stalls(self) -> bool:
        with self.lock:
            return self.stalling and len(self.received) >= self.stall_after

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.phase == "rcpt" and self._stalls():
            self.stalled.set()
            await asyncio.sleep(3600)  # the worker dies waiting for this answer
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if self.phase == "data" and self._stalls():
            self.stalled.set()
            await asyncio.sleep(3600)  # kept, but the worker never hears "250"
        return answer


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


@pytest.mark.parametrize("phase", ["rcpt", "data"])
def test_a_worker_killed_mid_campaign_sends_each_message_exactly_once(
    tmp_path: Path, database: str, phase: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not _redis_answers():
        pytest.skip("Redis is not answering at 127.0.0.1:6379: the kill test needs a real broker")
    redis = REDIS[phase]
    # Celery reads these before its own arguments: where CI runs its worker on another Redis
    # database, the test would talk to that one instead of its own.
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    broker = Celery("kill-test", broker=redis, backend=redis)
    broker.conf.broker_connection_retry_on_startup = True
    with broker.connection_for_write() as conn:
        conn.default_channel.client.flushdb()
        # Declared here, so a task sent before the worker has declared its queues is routed,
        # not dropped (Redis routes by the bindings the declarations leave).
        for name in ("mail", "default"):
            Queue(name, Exchange(name), routing_key=name)(conn.default_channel).declare()
    handler = StallingHandler(phase=phase)
    with Sink(handler) as sink:
        env = {
            **{k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}},
            "KAM_DATA_DIR": str(tmp_path),
            "DATABASE_URL": database,
            "CELERY_BROKER_URL": redis,
            "CELERY_RESULT_BACKEND": redis,
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
            nudged = [time.monotonic()]

            def stalled() -> bool:
                # What the beat does every minute in production: resume campaigns with
                # messages due, should a send task have gone missing.
                if time.monotonic() - nudged[0] > 10:
                    broker.send_task(
                        "kam.outreach.tasks.delivery.resume_outbox_task", queue="default"
                    )
                    nudged[0] = time.monotonic()
                return handler.stalled.is_set()

            _wait(stalled, 240, f"{KILL_AT} messages and the stall")
            time.sleep(1)  # the other pool process reaches the stall too
            _kill(worker)
            at_kill = len(sink.handler.received)
            in_flight = _statuses(database)
            time.sleep(0.5)
            assert len(sink.handler.received) == at_kill  # nothing arrives from a dead worker
            with handler.lock:
                handler.stalling = False
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
    # Caught in flight: before the hand-over ("rcpt") or after it ("data").
    assert in_flight.get("sending" if phase == "rcpt" else "handed_over", 0) >= 1, in_flight
    assert len(counts) == RECIPIENTS
    assert {address: n for address, n in counts.items() if n != 1} == {}
    assert set(counts) == {f"r{i}@example.com" for i in range(RECIPIENTS)}
    assert len(sink.handler.received) == RECIPIENTS
