"""A 100,000-recipient e-mail campaign through the outbox, two workers, into a local SMTP sink.

Workload: `kam migrate` into a fresh SQLite database; in a child process, SIZE contacts (default
100,000; `KAM_BENCH_CAMPAIGN_SIZE=N` or `python -m benchmarks.campaign --size N`) with e-mail
consent and a launched campaign whose SIZE outbox rows are queued (bulk-inserted, not timed).
An SMTP sink (aiosmtpd in a child process) counts what arrives. Two `kam worker --concurrency=1`
processes on Redis db 12 (or the embedded broker when Redis is not answering at 127.0.0.1:6379)
are started and waited for; timed: from queueing `send_campaign_task` once per worker until the
sink has received SIZE messages and every outbox row is `sent`. Each message is rendered from
the campaign's template, its consent re-checked, claimed under a lease, handed over with a
commit before the final "." of DATA, and recorded.

Baseline: the same number of messages, of the same size, built beforehand, sent by a bare
`smtplib` loop (`sendmail`, one connection) to a fresh sink in a child process: the floor for
pushing these messages through SMTP from Python on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import smtplib
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from benchmarks.harness import Benchmark, Context, Figure, Measurement, kam_argv, run_process

SIZE = int(os.environ.get("KAM_BENCH_CAMPAIGN_SIZE", "100000"))
REDIS_URL = "redis://127.0.0.1:6379/12"

SETUP = """
import json, os, secrets
from django.utils import timezone
from kam.accounts.models import Account, Contact, ContactConsent
from kam.outreach.models import Campaign, Delivery
from kam.users.models import User

n = int(os.environ["KAM_BENCH_CAMPAIGN_SIZE"])
owner = User.objects.create(username="bench-owner", role="account_manager")
accounts = Account.objects.bulk_create(
    Account(name=f"Company {i}", name_key=f"company {i}", owner=owner) for i in range(n // 20 + 1)
)
now = timezone.now()
campaign = Campaign.objects.create(
    name="Benchmark", kind="newsletter", status="sending", owner=owner, launched_at=now,
    subject="News for {{ account.name }}", channels=["email"],
    body="Dear {{ contact.first_name }} {{ contact.last_name }},\\n\\nour new line is out: https://shop.example.com/new\\n",
)
for start in range(0, n, 5000):
    contacts = Contact.objects.bulk_create(
        Contact(account=accounts[i // 20], first_name="R", last_name=f"N{i}",
                emails=[f"r{i}@example.com"])
        for i in range(start, min(n, start + 5000))
    )
    ContactConsent.objects.bulk_create(
        ContactConsent(contact=c, channel="email", is_granted=True, given_at=now) for c in contacts
    )
    Delivery.objects.bulk_create(
        Delivery(campaign=campaign, contact=c, account_id=c.account_id, channel="email",
                 address=c.emails[0], token=secrets.token_urlsafe(32))
        for c in contacts
    )
print(json.dumps({"campaign": campaign.pk}))
"""


# --- the SMTP sink (a child process) ----------------------------------------------------------


def _serve_sink(port: int, count_file: Path) -> None:
    from aiosmtpd.controller import Controller

    received = [0]

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            received[0] += len(envelope.rcpt_tos)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            count_file.write_text(str(received[0]))
            time.sleep(0.1)
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SinkProcess:
    def __init__(self, ctx: Context, name: str) -> None:
        self.port = _free_port()
        self.count_file = ctx.tmp / f"{name}-received"
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "benchmarks.campaign", "--sink", str(self.port)]
            + ["--count-file", str(self.count_file)],
            env=ctx.env(),
        )
        _wait(lambda: self.count_file.exists(), 30, "the SMTP sink")

    def received(self) -> int:
        text = self.count_file.read_text().strip()
        return int(text) if text else 0

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _wait(condition: Any, timeout: float, what: str, tick: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(tick)


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"SELECT 12\r\nFLUSHDB\r\nPING\r\n")
            time.sleep(0.1)
            return b"+PONG" in sock.recv(64)
    except OSError:
        return False


# --- workload ---------------------------------------------------------------------------------


def _sent(db: Path) -> int:
    with closing(sqlite3.connect(db, timeout=30)) as conn:
        query = "SELECT COUNT(*) FROM outreach_delivery WHERE status = 'sent'"
        return int(conn.execute(query).fetchone()[0])


def _start_workers(env: dict[str, str], tmp: Path) -> list[subprocess.Popen[bytes]]:
    workers = []
    for n in (1, 2):
        log = tmp / f"worker{n}.log"
        workers.append(
            subprocess.Popen(  # noqa: S603
                kam_argv("worker", "--concurrency=1", "--loglevel=info", f"--hostname=w{n}@%h"),
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    for n in (1, 2):
        log = tmp / f"worker{n}.log"
        _wait(lambda log=log: b" ready." in log.read_bytes(), 120, f"worker {n}")
    return workers


def workload(ctx: Context) -> Measurement:
    data_dir = ctx.tmp / "kam"
    redis = _redis_answers()
    sink = SinkProcess(ctx, "workload")
    env = ctx.env(
        KAM_DATA_DIR=str(data_dir),
        KAM_BENCH_CAMPAIGN_SIZE=str(SIZE),
        EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
        DEFAULT_FROM_EMAIL="news@kam.example.com",
        KAM_BASE_URL="https://kam.example.com",
        **({"CELERY_BROKER_URL": REDIS_URL, "CELERY_RESULT_BACKEND": REDIS_URL} if redis else {}),
    )
    workers: list[subprocess.Popen[bytes]] = []
    try:
        run_process(kam_argv("migrate", "--verbosity", "0"), env=env).check()
        setup = run_process(kam_argv("shell", "-c", SETUP), env=env).check()
        campaign = json.loads(setup.stdout.strip().splitlines()[-1])["campaign"]
        workers = _start_workers(env, ctx.tmp)
        queue = (
            "from kam.outreach.tasks.delivery import send_campaign_task as t\n"
            f"for _ in range(2): t.delay({campaign})"
        )
        started = time.perf_counter()
        run_process(kam_argv("shell", "-c", queue), env=env).check()
        db = data_dir / "kam.sqlite3"
        _wait(lambda: sink.received() >= SIZE and _sent(db) == SIZE, 6 * 3600, "the campaign", 0.2)
        seconds = time.perf_counter() - started
    finally:
        for worker in workers:
            os.killpg(worker.pid, 15)
            worker.wait(timeout=60)
        sink.stop()
    broker = "Redis db 12" if redis else "the embedded broker"
    note = f"{SIZE:,} messages in {seconds:.1f} s, two workers on {broker}, SQLite"
    return Measurement({"rate": Figure("messages/s", SIZE / seconds, "msg/s", True, note)})


# --- baseline ---------------------------------------------------------------------------------


def _message_template() -> bytes:
    """One message shaped like the outbox's (headers, text and HTML parts), with placeholders."""
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "news@kam.example.com"
    message["To"] = "r@@N@@@example.com"
    message["Subject"] = "News for Company @@C@@"
    message["Message-ID"] = f"<{'x' * 43}.1@kam.example.com>"
    message["List-Unsubscribe"] = f"<https://kam.example.com/u/{'x' * 43}/>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content("Dear R N@@N@@,\n\nour new line is out: https://shop.example.com/new\n")
    message.add_alternative("<p>Dear R N@@N@@,</p><p>our new line is out</p>", subtype="html")
    return message.as_bytes()


def _messages() -> list[tuple[str, bytes]]:
    template = _message_template()
    return [
        (
            f"r{n}@example.com",
            template.replace(b"@@N@@", str(n).encode()).replace(b"@@C@@", str(n // 20).encode()),
        )
        for n in range(SIZE)
    ]


def baseline(ctx: Context, measured: Measurement) -> Measurement:
    messages = _messages()
    sink = SinkProcess(ctx, "baseline")
    try:
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", sink.port, local_hostname="localhost") as smtp:
            for address, data in messages:
                smtp.sendmail("news@kam.example.com", [address], data)
        _wait(lambda: sink.received() >= SIZE, 600, "the sink's count")
        seconds = time.perf_counter() - started
    finally:
        sink.stop()
    note = f"{SIZE:,} prebuilt messages in {seconds:.1f} s over one connection"
    return Measurement({"rate": Figure("messages/s", SIZE / seconds, "msg/s", True, note)})


BENCHMARK = Benchmark(
    name="campaign",
    title=f"a {SIZE:,}-recipient e-mail campaign through the outbox, two `kam worker`s, SMTP sink",
    baseline_title="the same number of prebuilt messages by a bare smtplib loop, one connection",
    workload=workload,
    baseline=baseline,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.campaign")
    parser.add_argument("--size", type=int, default=None, help="recipients (default 100,000)")
    parser.add_argument("--sink", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--count-file", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sink is not None and args.count_file is not None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        threading.current_thread().name = "sink"
        _serve_sink(args.sink, args.count_file)
        return
    if args.size is not None:
        os.environ["KAM_BENCH_CAMPAIGN_SIZE"] = str(args.size)
    from benchmarks import __main__ as cli

    cli.main(["campaign"])


if __name__ == "__main__":
    main()
