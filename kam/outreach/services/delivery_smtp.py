"""The outbox's e-mail transport: one SMTP connection per batch, and DATA finished only after
the caller has committed the hand-over (services/delivery.py explains why).

With a non-SMTP e-mail backend (console, file, locmem: development) the message goes through
Django's backend after the hand-over instead.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass
from email import generator
from email.utils import parseaddr
from io import BytesIO
from types import TracebackType
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.utils import DNS_NAME
from django.utils.translation import gettext as _

from kam.outreach.rendering import Rendered

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
_LEADING_DOT = re.compile(rb"(?m)^\.")


@dataclass(frozen=True)
class Result:
    """The server's final answer (`code` None when there was none: try again later)."""

    code: int | None
    reply: str = ""
    note: str = ""
    is_lease_lost: bool = False


def _domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "kam.localhost"


def message_id_for(token: str, campaign_id: int) -> str:
    """Our Message-ID for a campaign message (no angle brackets): stable across retries."""
    return f"{token}.{campaign_id}@{_domain()}"


def build_message(*, to: str, rendered: Rendered, message_id: str) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={
            "Message-ID": f"<{message_id}>",
            # RFC 2369 and RFC 8058: mail clients offer a one-click unsubscribe button.
            "List-Unsubscribe": f"<{rendered.unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


def wire_bytes(message: EmailMultiAlternatives) -> bytes:
    """The message as DATA carries it: CRLF lines, leading dots doubled, no terminator."""
    mime = message.message()
    out = BytesIO()
    # Long headers (List-Unsubscribe with its token) are not folded: some clients mishandle it.
    policy = mime.policy.clone(max_line_length=998)
    generator.BytesGenerator(out, mangle_from_=False, policy=policy).flatten(mime, linesep="\r\n")
    data = out.getvalue()
    data = _LEADING_DOT.sub(b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


class Session:
    """One batch's connection to the mail server, opened on first use, reopened after a drop."""

    def __init__(self) -> None:
        self.smtp: smtplib.SMTP | None = None
        self.backend: Any = None

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
        self.drop()

    def drop(self) -> None:
        """Close without QUIT: an unfinished DATA is discarded by the server."""
        if self.smtp is not None:
            with contextlib.suppress(OSError):
                self.smtp.close()
        self.smtp = None

    def _open(self) -> smtplib.SMTP:
        if self.smtp is None:
            factory = smtplib.SMTP_SSL if settings.EMAIL_USE_SSL else smtplib.SMTP
            smtp = factory(
                settings.EMAIL_HOST or "localhost",
                int(settings.EMAIL_PORT),
                local_hostname=DNS_NAME.get_fqdn(),
                timeout=settings.EMAIL_TIMEOUT or 30,
            )
            # The final "." goes out as a small write of its own right after the hand-over
            # commit; without NODELAY, Nagle holds it until the body is acknowledged (up to
            # 40 ms of delayed ACK), which would slow every message and widen the window.
            if smtp.sock is not None:
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo()
            if settings.EMAIL_USE_TLS:
                smtp.starttls()
                smtp.ehlo()
            if settings.EMAIL_HOST_USER:
                smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
            self.smtp = smtp
        return self.smtp

    def transmit(
        self, message: EmailMultiAlternatives, *, recipient: str, hand_over: Callable[[], bool]
    ) -> Result:
        """Send one message; `hand_over()` is called (and must commit) just before the final
        "." of DATA; when it answers False the message is abandoned unfinished."""
        if settings.EMAIL_BACKEND != SMTP_BACKEND:
            return self._through_backend(message, hand_over)
        sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL
        try:
            smtp = self._open()
            refused = self._begin(smtp, sender, recipient)
            if refused is not None:
                return refused
            smtp.send(wire_bytes(message))
        except (smtplib.SMTPException, OSError) as error:
            self.drop()
            return Result(None, _("The mail server could not be reached: %s") % error)
        if not hand_over():
            self.drop()
            return Result(None, is_lease_lost=True)
        return self._finish(smtp)

    @staticmethod
    def _begin(smtp: smtplib.SMTP, sender: str, recipient: str) -> Result | None:
        """MAIL, RCPT and DATA; None when the server waits for the message (354)."""
        for command, accepted in (("mail", (250,)), ("rcpt", (250, 251)), ("data", (354,))):
            if command == "mail":
                code, reply = smtp.mail(sender)
            elif command == "rcpt":
                code, reply = smtp.rcpt(recipient)
            else:
                smtp.putcmd("data")
                code, reply = smtp.getreply()
            if code not in accepted:
                smtp.rset()
                return Result(code, f"{code} {_text(reply)}")
        return None

    def _finish(self, smtp: smtplib.SMTP) -> Result:
        try:
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
        except (smtplib.SMTPException, OSError) as error:
            self.drop()
            note = (
                _(
                    "The server did not answer after the message was handed over (%s); "
                    "counted as sent."
                )
                % error
            )
            return Result(250, note=note)
        return Result(code, f"{code} {_text(reply)}")

    def _through_backend(
        self, message: EmailMultiAlternatives, hand_over: Callable[[], bool]
    ) -> Result:
        if self.backend is None:
            self.backend = get_connection()
        if not hand_over():
            return Result(None, is_lease_lost=True)
        self.backend.send_messages([message])
        return Result(250)
