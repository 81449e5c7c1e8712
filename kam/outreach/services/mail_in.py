"""Incoming mail: one raw message in, a stored, threaded, linked Message out.

`message_ingest` is the one door (the IMAP poller and the .eml/.mbox upload both use it):
- dedupe by Message-ID (a message without one: by the hash of its bytes), so polling or
  importing twice never duplicates;
- a message that cannot be read is kept raw with `is_malformed` and the reason, never raised;
- thread by In-Reply-To / References, else by the normalised subject with the same sender;
- link to the contact and account by the sender's address (`accounts.MatchKey`), to a deal by
  the thread, to a campaign delivery when it answers one (sets the delivery's `replied_at`);
- attachments become documents on the message (refused files are recorded, not fatal);
- an inbound e-mail activity is logged on the account when the sender is known.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from kam.accounts.models import Account, Contact, MatchKey
from kam.activities.choices import Direction, Kind
from kam.activities.services import activity_create
from kam.core import access
from kam.core.audit import acting_as
from kam.core.errors import ApplicationError, PermissionDeniedError
from kam.documents import choices as document_choices
from kam.documents.services import document_create
from kam.outreach import choices
from kam.outreach.errors_mail import MailImportError
from kam.outreach.models import Delivery, Mailbox, Message, MessageAttachment
from kam.outreach.services import mail_parse
from kam.outreach.services.mail_parse import Malformed, Parsed

logger = logging.getLogger(__name__)
# How far back a reply without threading headers is matched to a thread by its subject.
SUBJECT_THREAD_DAYS = 60
ACTIVITY_SUBJECT = 255


@dataclass
class Ingested:
    message: Message
    is_new: bool


@dataclass(frozen=True)
class Links:
    contact: Contact | None = None
    account: Account | None = None
    deal_id: int | None = None
    delivery: Delivery | None = None
    thread_key: str = ""


def message_ingest(*, raw: bytes, mailbox: Mailbox | None = None, owner: Any = None) -> Ingested:
    """Store one received message (idempotent by Message-ID); never raises on bad content.

    `owner` is who the message belongs to when it is not linked (the mailbox owner, the user who
    imported it); attachments and the activity are filed in the name of `owner`, or the
    mailbox's creator for a shared mailbox.
    """
    try:
        parsed: Parsed | None = mail_parse.parse(raw)
        error = ""
    except Malformed as malformed:
        parsed, error = None, str(malformed)[:2000]
    message_id = parsed.message_id if parsed else mail_parse.raw_id(raw)
    existing = Message.objects.filter(message_id=message_id).first()
    if existing is not None:
        return Ingested(existing, is_new=False)
    try:
        with transaction.atomic():
            if parsed is None:
                return Ingested(_store_malformed(raw, message_id, error, mailbox, owner), True)
            return Ingested(_store(raw, parsed, mailbox, owner), is_new=True)
    except IntegrityError:
        # Another poller stored the same Message-ID a moment ago.
        return Ingested(Message.objects.get(message_id=message_id), is_new=False)
    except DatabaseError as refused:
        # A value the database will not take: keep the message raw rather than stall the poller
        # on it forever.
        logger.warning("e-mail %s kept raw: %s", message_id, refused)
        reason = f"{type(refused).__name__}: {refused}"[:2000]
        with transaction.atomic():
            return Ingested(_store_malformed(raw, message_id, reason, mailbox, owner), True)


def _store_malformed(
    raw: bytes, message_id: str, error: str, mailbox: Mailbox | None, owner: Any
) -> Message:
    return Message.objects.create(
        direction=choices.MessageDirection.INBOUND,
        mailbox=mailbox,
        message_id=message_id,
        owner=owner,
        is_malformed=True,
        parse_error=error,
        raw=raw,
        sent_at=timezone.now(),
    )


def _ours(parsed: Parsed, mailbox: Mailbox | None, owner: Any) -> bool:
    """Whether we wrote it (a sent message in an imported mailbox): from our own address."""
    own = {str(getattr(mailbox, "email_address", "") or "").lower()}
    own.add(str(getattr(owner, "email", "") or "").lower())
    return parsed.from_address in own - {""}


def _store(raw: bytes, parsed: Parsed, mailbox: Mailbox | None, owner: Any) -> Message:
    outbound = _ours(parsed, mailbox, owner)
    links = _links(parsed, outbound=outbound)
    message = Message.objects.create(
        direction=(
            choices.MessageDirection.OUTBOUND if outbound else choices.MessageDirection.INBOUND
        ),
        mailbox=mailbox,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=" ".join(parsed.references),
        thread_key=links.thread_key,
        from_address=parsed.from_address,
        from_name=parsed.from_name,
        to_addresses=parsed.to,
        cc_addresses=parsed.cc,
        subject=parsed.subject,
        subject_key=mail_parse.subject_key(parsed.subject),
        text_body=parsed.text,
        html_body=parsed.html,
        sent_at=parsed.sent_at or timezone.now(),
        account=links.account,
        contact=links.contact,
        deal_id=links.deal_id,
        delivery=links.delivery,
        owner=owner,
        raw=raw,
    )
    if links.delivery is not None and links.delivery.replied_at is None:
        Delivery.objects.filter(pk=links.delivery.pk, replied_at__isnull=True).update(
            replied_at=message.sent_at
        )
    actor = owner if owner is not None else getattr(mailbox, "created_by", None)
    _file_attachments(message, parsed, actor)
    if message.account_id is not None:
        _log_activity(message, actor)
    return message


# --- Linking ------------------------------------------------------------------------------------


def contact_for_address(address: str) -> tuple[Contact | None, Account | None]:
    """The live contact (or, failing one, the account) whose e-mail is `address`."""
    keys = MatchKey.objects.filter(kind=MatchKey.Kind.EMAIL, value=address.lower())
    contact_ids = [c for c in keys.values_list("contact_id", flat=True) if c]
    contact = (
        Contact.objects.filter(pk__in=contact_ids, account__deleted_at__isnull=True)
        .select_related("account")
        .order_by("pk")
        .first()
    )
    if contact is not None:
        return contact, contact.account
    account_ids = [a for a in keys.values_list("account_id", flat=True) if a]
    return None, Account.objects.filter(pk__in=account_ids).order_by("pk").first()


def _thread_parent(parsed: Parsed) -> Message | None:
    ids = parsed.thread_ids
    if ids:
        known = {m.message_id: m for m in Message.objects.filter(message_id__in=ids)}
        for candidate in ids:
            if candidate in known:
                return known[candidate]
        return None
    key = mail_parse.subject_key(parsed.subject)
    if not key or key == parsed.subject.lower():
        return None  # not a reply ("Re:") or nothing to match on
    since = timezone.now() - timedelta(days=SUBJECT_THREAD_DAYS)
    counterpart = Q(to_addresses__icontains=f'"{parsed.from_address}"') | Q(
        from_address=parsed.from_address
    )
    return (
        Message.objects.filter(subject_key=key, sent_at__gte=since, is_malformed=False)
        .filter(counterpart)
        .order_by("-sent_at", "-pk")
        .first()
    )


def _delivery_answered(parsed: Parsed) -> Delivery | None:
    ids = parsed.thread_ids
    if not ids:
        return None
    bracketed = [f"<{item}>" for item in ids]
    return Delivery.objects.filter(message_id__in=ids + bracketed).order_by("pk").first()


def _counterpart(parsed: Parsed, *, outbound: bool) -> tuple[Contact | None, Account | None]:
    """The sender of a received message; the first known recipient of one we sent."""
    if not outbound:
        return contact_for_address(parsed.from_address)
    account = None
    for address in [*parsed.to, *parsed.cc]:
        contact, found = contact_for_address(address)
        if contact is not None:
            return contact, found
        account = account or found
    return None, account


def _links(parsed: Parsed, *, outbound: bool = False) -> Links:
    contact, account = _counterpart(parsed, outbound=outbound)
    parent = _thread_parent(parsed)
    delivery = _delivery_answered(parsed)
    if contact is None and account is None and parent is not None:
        contact, account = parent.contact, parent.account
    if contact is None and account is None and delivery is not None:
        contact, account = delivery.contact, delivery.account
    deal_id = None
    if parent is not None and parent.deal_id and account is not None:
        deal_id = parent.deal_id if parent.account_id == account.pk else None
    thread_key = parent.thread_key or parent.message_id if parent else ""
    if not thread_key:
        thread_key = parsed.references[0] if parsed.references else parsed.message_id
    return Links(contact, account, deal_id, delivery, thread_key[: mail_parse.MAX_HEADER])


# --- Attachments and the activity -------------------------------------------------------------


def _file_attachments(message: Message, parsed: Parsed, actor: Any) -> None:
    for item in parsed.attachments:
        row = MessageAttachment(
            message=message,
            filename=item.filename,
            content_type=item.content_type[:255],
            size=len(item.data),
        )
        try:
            row.document = _as_document(message, item, actor)
        except ApplicationError as refused:
            row.error = refused.message[:500]
        except OSError as failed:  # the file store: full disk, permissions
            row.error = _("The file could not be stored: %(reason)s") % {"reason": failed}
        row.save()


def _as_document(message: Message, item: mail_parse.Attachment, actor: Any) -> Any:
    if actor is None or not access.is_active_user(actor):
        raise PermissionDeniedError(_("No active user to file it under."))
    with transaction.atomic():
        return document_create(
            user=actor,
            record=message,
            kind=document_choices.Kind.OTHER,
            title=item.filename,
            upload=item.data,
            filename=item.filename,
            comment=_("Attached to the e-mail “%(subject)s”") % {"subject": message.subject[:150]},
        )


def _activity_user(message: Message, actor: Any) -> Any:
    """Who logs the e-mail: the mailbox owner if he may change the account, else its owner."""
    account = message.account
    assert account is not None
    if actor is not None and access.can(actor, account, "change"):
        return actor
    owner = account.owner
    return owner if owner is not None and access.is_active_user(owner) else None


def _log_activity(message: Message, actor: Any) -> None:
    user = _activity_user(message, actor)
    if user is None:
        return
    when = min(message.sent_at or timezone.now(), timezone.now())
    outbound = message.direction == choices.MessageDirection.OUTBOUND
    data: dict[str, Any] = {
        "kind": Kind.EMAIL,
        "direction": Direction.OUTBOUND if outbound else Direction.INBOUND,
        "account": message.account,
        "subject": (message.subject or _("(no subject)"))[:ACTIVITY_SUBJECT],
        "body": message.text_body or strip_tags(message.html_body).strip(),
        "occurred_at": when,
        "contacts": [message.contact] if message.contact else [],
    }
    if message.deal_id:
        data["deal"] = message.deal
    try:
        with transaction.atomic():
            activity = activity_create(user=user, data=data)
    except ApplicationError as refused:
        logger.warning("inbound e-mail %s not logged as activity: %s", message.pk, refused)
        return
    Message.objects.filter(pk=message.pk).update(activity=activity)
    message.activity = activity


# --- Files and unknown senders ----------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    duplicates: int = 0
    malformed: int = 0


def messages_import(*, user: Any, data: bytes, filename: str) -> ImportResult:
    """Import an .eml (one message) or .mbox (many) file as `user`'s messages."""
    if not access.is_active_user(user) or access.is_read_only(user):
        raise PermissionDeniedError()
    if not data.strip():
        raise MailImportError(fields={"file": [_("The file is empty.")]})
    is_mbox = filename.lower().endswith(".mbox") or data.startswith(b"From ")
    try:
        raws = mail_parse.split_mbox(data) if is_mbox else [data]
    except Malformed as error:
        raise MailImportError(fields={"file": [str(error)]}) from None
    result = ImportResult()
    with acting_as(user):
        for raw in raws:
            ingested = message_ingest(raw=raw, owner=user)
            result.created += ingested.is_new
            result.duplicates += not ingested.is_new
            result.malformed += ingested.is_new and ingested.message.is_malformed
    return result


@transaction.atomic
def sender_link_contact(*, user: Any, address: str, contact: Contact) -> int:
    """Link the unlinked received messages from `address` that `user` sees to `contact` (just
    created from the "unknown senders" list) and log them on its account; returns how many."""
    if not access.can(user, contact.account, "change"):
        raise PermissionDeniedError()
    messages = list(
        Message.objects.visible_to(user)
        .filter(
            direction=choices.MessageDirection.INBOUND,
            from_address=address.lower(),
            contact__isnull=True,
            is_malformed=False,
        )
        .select_for_update()
    )
    for message in messages:
        message.contact, message.account = contact, contact.account
        message.save(update_fields=["contact", "account", "updated_at"])
        if message.activity_id is None:
            _log_activity(message, user)
    return len(messages)
