"""Reading an RFC 5322 message into the fields KAM keeps (stdlib `email`, policy=default).

Pure: no database. A message that cannot be read (no headers, no sender address, a body in an
unknown charset, a header the parser chokes on) raises `Malformed` with the reason; the caller
keeps it raw.
"""

from __future__ import annotations

import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

# Reply and forward prefixes in the languages our users write in, repeated or bracketed.
_PREFIX = re.compile(
    r"^\s*((re|fwd?|aw|wg|sv|vs|tr|rif|ответ|отв|пересл)\s*(\[\d+\])?\s*:\s*)+", re.I
)
_MSGID = re.compile(r"<([^<>\s]+)>")
MAX_HEADER = 998


class Malformed(Exception):
    """The message cannot be read; `str()` says why."""


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Parsed:
    message_id: str
    in_reply_to: str
    references: list[str]
    from_address: str
    from_name: str
    to: list[str]
    cc: list[str]
    subject: str
    text: str
    html: str
    sent_at: datetime | None
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """The ids this message answers, nearest first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        return ids + [ref for ref in reversed(self.references) if ref not in ids]


def raw_id(raw: bytes) -> str:
    """The stand-in Message-ID of a message that has none: its content's hash."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def subject_key(subject: str) -> str:
    """The subject without reply/forward prefixes, lower-cased and with spaces folded."""
    return " ".join(_PREFIX.sub("", subject).split()).lower()[:255]


def message_ids(value: str | None) -> list[str]:
    """The ids in a Message-ID / In-Reply-To / References header, brackets stripped."""
    if not value:
        return []
    found = _MSGID.findall(str(value))
    if found:
        return [item[:MAX_HEADER] for item in found]
    bare = str(value).strip()
    return [bare[:MAX_HEADER]] if bare and " " not in bare else []


def _addresses(message: EmailMessage, name: str) -> list[Address]:
    header = message[name]
    if header is None:
        return []
    return [a for a in getattr(header, "addresses", ()) if a.username and a.domain]


def _address(item: Address) -> str:
    return f"{item.username}@{item.domain}".lower()[:320]


def _date(message: EmailMessage) -> datetime | None:
    value = message["Date"]
    if value is None:
        return None
    try:
        when = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return (
        _lf(text.get_content()) if text is not None else "",  # type: ignore[attr-defined]
        _lf(html.get_content()) if html is not None else "",  # type: ignore[attr-defined]
    )


def _lf(content: object) -> str:
    """Text with the wire's CRLF line ends made plain newlines (the raw bytes keep them), and
    without NUL characters (no database text column takes them)."""
    return clean(str(content).replace("\r\n", "\n"))


def clean(text: str) -> str:
    return text.replace("\x00", "")


def _attachments(message: EmailMessage) -> list[Attachment]:
    found = []
    for part in message.iter_attachments():
        if part.get_content_maintype() == "multipart":
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        name = clean(part.get_filename() or "") or "attachment"
        found.append(
            Attachment(filename=str(name)[:255], content_type=part.get_content_type(), data=data)
        )
    return found


def parse(raw: bytes) -> Parsed:
    """The fields of `raw`; Malformed (with the reason) when it cannot be read."""
    try:
        return _parse(raw)
    except Malformed:
        raise
    except Exception as error:  # noqa: BLE001 - any parser failure means "keep it raw"
        raise Malformed(f"{type(error).__name__}: {error}") from error


def _parse(raw: bytes) -> Parsed:
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    if not list(message.keys()):
        raise Malformed("no headers: this is not an e-mail message")
    senders = _addresses(message, "From")
    if not senders:
        raise Malformed(f"no valid sender address (From: {str(message['From'] or '')[:200]!r})")
    text, html = _bodies(message)
    ids = message_ids(message["Message-ID"])
    subject = clean(str(message["Subject"] or ""))
    return Parsed(
        message_id=ids[0] if ids else raw_id(raw),
        in_reply_to=next(iter(message_ids(message["In-Reply-To"])), ""),
        references=message_ids(message["References"]),
        from_address=_address(senders[0]),
        from_name=clean(senders[0].display_name)[:255],
        to=[_address(a) for a in _addresses(message, "To")],
        cc=[_address(a) for a in _addresses(message, "Cc")],
        subject=" ".join(subject.split())[:MAX_HEADER],
        text=text,
        html=html,
        sent_at=_date(message),
        attachments=_attachments(message),
    )


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox file (mboxo/mboxrd: "From " lines separate, ">From " unquoted)."""
    messages: list[list[bytes]] = []
    for line in data.splitlines(keepends=True):
        if line.startswith(b"From ") and (not messages or _after_blank(messages[-1])):
            messages.append([])
            continue
        if not messages:
            raise Malformed('not an mbox file: it does not start with a "From " line')
        if re.match(rb"^>+From ", line):
            line = line[1:]
        messages[-1].append(line)
    return [_crlf(b"".join(lines).removesuffix(b"\n").removesuffix(b"\r")) for lines in messages]


def _after_blank(lines: list[bytes]) -> bool:
    return not lines or lines[-1].strip() == b""


def _crlf(data: bytes) -> bytes:
    return re.sub(rb"\r?\n", b"\r\n", data)
