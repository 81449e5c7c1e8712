"""Real mail servers for the tests: an SMTP server (aiosmtpd) and an IMAP server (Dovecot).

Both listen on 127.0.0.1 on a random free port and live for one test. The SMTP server keeps every
message it received, byte for byte and parsed; the IMAP server is a throw-away Dovecot with one
user and a maildir in a temporary directory.
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

DOVECOT = "/usr/sbin/dovecot"


@dataclass(frozen=True)
class Received:
    """One SMTP transaction as the server saw it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage


def parse(raw: bytes) -> EmailMessage:
    """The message as Python sees it, line ends made local (the wire's CRLF stays in `.raw`)."""
    parsed = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = bytes(envelope.original_content or envelope.content)
        self.server._add(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                raw=raw,
                message=parse(raw),
            )
        )
        return "250 OK"


class _Controller(Controller):
    """aiosmtpd's controller on port 0: learns the port the kernel picked before probing it."""

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class SmtpServer:
    """A running aiosmtpd server; `.messages` are the parsed e-mails received, in order."""

    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _controller: _Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = _Controller(_Handler(self), hostname=self.host, port=0)
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()

    def _add(self, item: Received) -> None:
        with self._lock:
            self.received.append(item)
            self._lock.notify_all()

    @property
    def messages(self) -> list[EmailMessage]:
        """A snapshot of the parsed messages received so far."""
        with self._lock:
            return [item.message for item in self.received]

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.received)

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Block until `count` messages have arrived (True) or `timeout` seconds passed (False)."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self.received) >= count, timeout)

    def clear(self) -> None:
        with self._lock:
            self.received.clear()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_DOVECOT_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = kam-test-{port}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
login_trusted_networks = 127.0.0.0/8
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
first_valid_uid = {uid}
first_valid_gid = {gid}
"""


@dataclass
class DovecotServer:
    """A throw-away Dovecot IMAP server (no TLS) with one user, `user` / `password`."""

    root: Path
    host: str = "127.0.0.1"
    port: int = 0
    user: str = "kam"
    password: str = "imap-secret-4711"  # noqa: S105 - a throw-away test server's password
    process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return os.path.exists(DOVECOT) and os.access(DOVECOT, os.X_OK)

    def start(self) -> DovecotServer:
        self.port = free_port()
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        conf = self.root / "dovecot.conf"
        conf.write_text(self._config())
        self.process = subprocess.Popen(  # noqa: S603 - a fixed binary with our own config
            [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self._wait_listening()
        return self

    def _config(self) -> str:
        """The config; as root, Dovecot's own unprivileged users run the login and mail processes
        (it refuses root there), and they get the mail directories."""
        import grp
        import pwd

        uid, gid = os.getuid(), os.getgid()
        login_user = internal_user = pwd.getpwuid(uid).pw_name
        if uid == 0:
            internal = pwd.getpwnam("dovecot")
            login_user, internal_user = "dovenull", "dovecot"
            uid, gid = internal.pw_uid, internal.pw_gid
            for sub in ("mail", "home"):
                os.chown(self.root / sub, uid, gid)
            os.chmod(self.root, 0o755)
        return _DOVECOT_CONF.format(
            root=self.root,
            port=self.port,
            uid=uid,
            gid=gid,
            login_user=login_user,
            internal_user=internal_user,
            internal_group=grp.getgrgid(gid).gr_name,
        )

    def _wait_listening(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as sock:
                    if sock.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not listen on {self.port}: {self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put one message into the user's folder through IMAP APPEND, as a mail server would."""
        from imapclient import IMAPClient

        with IMAPClient(self.host, port=self.port, ssl=False, timeout=10) as client:
            client.login(self.user, self.password)
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
