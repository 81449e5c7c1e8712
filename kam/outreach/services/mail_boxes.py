"""Mailboxes: set up (password encrypted), edited, removed, and polled over IMAP.

A user keeps his own mailboxes; shared ones (no owner) are managed by admins only. Polling is
incremental (UIDVALIDITY + the last UID read) and guarded by a lease on the row, so two runs
never poll one mailbox at once; every message goes through `mail_in.message_ingest`, which
dedupes by Message-ID, so a repeated poll never duplicates.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from kam.core import access
from kam.core.audit import acting_as
from kam.core.errors import NotFoundError, PermissionDeniedError
from kam.core.services import versioned_update
from kam.outreach import crypto
from kam.outreach.errors_mail import MailboxError
from kam.outreach.models import Mailbox
from kam.outreach.services.mail_in import message_ingest

EDITABLE = frozenset(
    {"name", "email_address", "host", "port", "use_ssl", "username", "folder", "is_active"}
)
FETCH_CHUNK = 50
_FETCH_KEY = b"BODY[]"


def can_manage(user: Any, mailbox: Mailbox) -> bool:
    """Admins manage every mailbox; a user his own (the head of sales sees, but does not edit,
    others' mailboxes: they hold personal credentials)."""
    if not access.is_active_user(user) or access.is_read_only(user):
        return False
    return access.can_administer(user) or (
        mailbox.owner_id is not None and mailbox.owner_id == user.pk
    )


def _check(user: Any, values: dict[str, Any]) -> None:
    port = values.get("port")
    if port is not None and not access.can_administer(user):
        allowed = list(settings.KAM_MAIL_IMAP_PORTS)
        if int(port) not in allowed:
            ports = ", ".join(str(p) for p in allowed)
            raise MailboxError(
                fields={"port": [_("Only IMAP ports %(ports)s may be used.") % {"ports": ports}]}
            )


def _validate(mailbox: Mailbox) -> None:
    try:
        mailbox.full_clean(exclude=["password_encrypted", "created_by", "owner"])
    except ValidationError as error:
        raise MailboxError(_("Some values are not valid."), fields=error.message_dict) from None


@transaction.atomic
def mailbox_create(
    *, user: Any, data: dict[str, Any], password: str, is_shared: bool = False
) -> Mailbox:
    """Set up a mailbox for `user` (or a shared one: admins only); stores the password
    encrypted."""
    if not access.is_active_user(user) or access.is_read_only(user):
        raise PermissionDeniedError()
    if is_shared and not access.can_administer(user):
        raise PermissionDeniedError(_("Only an administrator can set up a shared mailbox."))
    if not password:
        raise MailboxError(fields={"password": [_("This field is required.")]})
    values = {k: v for k, v in data.items() if k in EDITABLE}
    _check(user, values)
    mailbox = Mailbox(owner=None if is_shared else user, created_by=user, **values)
    mailbox.password_encrypted = crypto.encrypt(password)
    _validate(mailbox)
    with acting_as(user):
        mailbox.save()
    return mailbox


@transaction.atomic
def mailbox_update(
    *,
    user: Any,
    mailbox: Mailbox,
    expected_version: int,
    data: dict[str, Any],
    password: str | None = None,
) -> Mailbox:
    """Edit a mailbox one manages; a new `password` replaces the stored one (re-encrypted)."""
    if not can_manage(user, mailbox):
        raise NotFoundError() if not access.can(user, mailbox) else PermissionDeniedError()
    changes = {k: v for k, v in data.items() if k in EDITABLE}
    _check(user, changes)
    if password:
        changes["password_encrypted"] = crypto.encrypt(password)
    if {"host", "port", "username", "folder"} & set(changes):
        changes["uid_validity"], changes["last_uid"] = None, 0
    return versioned_update(
        instance=mailbox, expected_version=expected_version, changes=changes, user=user
    )


@transaction.atomic
def mailbox_delete(*, user: Any, mailbox: Mailbox) -> None:
    """Remove a mailbox; the messages read from it stay."""
    if not can_manage(user, mailbox):
        raise NotFoundError() if not access.can(user, mailbox) else PermissionDeniedError()
    with acting_as(user):
        mailbox.delete()


# --- Polling ----------------------------------------------------------------------------------


@dataclass
class PollResult:
    polled: bool = False
    fetched: int = 0
    created: int = 0
    malformed: list[int] = field(default_factory=list)
    error: str = ""


def _claim(mailbox_id: int) -> bool:
    """Take the poll lease (one UPDATE: only one of two concurrent runs gets it)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.KAM_MAIL_POLL_LEASE_SECONDS)
    free = Q(poll_started_at__isnull=True) | Q(poll_started_at__lt=stale)
    return bool(
        Mailbox.objects.filter(free, pk=mailbox_id, is_active=True).update(poll_started_at=now)
    )


def mailbox_poll(*, mailbox_id: int) -> PollResult:
    """Read the new messages of one mailbox; never raises for a server or message problem:
    the error is kept on the mailbox (`last_error`) and the next run tries again."""
    if not _claim(mailbox_id):
        return PollResult()
    mailbox = Mailbox.objects.select_related("owner", "created_by").get(pk=mailbox_id)
    result = PollResult(polled=True)
    try:
        _poll(mailbox, result)
    except (TimeoutError, IMAPClientError, OSError, ssl.SSLError, crypto.CredentialError) as e:
        result.error = f"{type(e).__name__}: {e}"[:2000]
    finally:
        _release(mailbox, result)
    return result


def _release(mailbox: Mailbox, result: PollResult) -> None:
    errors = [result.error] if result.error else []
    if result.malformed:
        ids = ", ".join(str(pk) for pk in result.malformed[:20])
        errors.append(
            _("%(count)s malformed message(s) kept raw: %(ids)s")
            % {"count": len(result.malformed), "ids": ids}
        )
    Mailbox.objects.filter(pk=mailbox.pk).update(
        poll_started_at=None, last_polled_at=timezone.now(), last_error="\n".join(errors)
    )


def _poll(mailbox: Mailbox, result: PollResult) -> None:
    password = crypto.decrypt(mailbox.password_encrypted)
    with IMAPClient(
        mailbox.host,
        port=mailbox.port,
        ssl=mailbox.use_ssl,
        timeout=settings.KAM_MAIL_IMAP_TIMEOUT,
    ) as client:
        client.login(mailbox.username, password)
        status = client.select_folder(mailbox.folder, readonly=True)
        validity = int(status[b"UIDVALIDITY"])
        last_uid = mailbox.last_uid if mailbox.uid_validity == validity else 0
        uids = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
        uids = uids[: settings.KAM_MAIL_POLL_BATCH]
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = uids[start : start + FETCH_CHUNK]
            _ingest_chunk(mailbox, client.fetch(chunk, ["BODY.PEEK[]"]), chunk, result)
            Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=validity, last_uid=chunk[-1])
        if not uids:
            Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=validity, last_uid=last_uid)


def _ingest_chunk(
    mailbox: Mailbox, fetched: dict[int, dict[bytes, Any]], uids: list[int], result: PollResult
) -> None:
    for uid in uids:
        raw = fetched.get(uid, {}).get(_FETCH_KEY)
        if not isinstance(raw, bytes):
            continue
        result.fetched += 1
        ingested = message_ingest(raw=raw, mailbox=mailbox, owner=mailbox.owner)
        if ingested.is_new:
            result.created += 1
            if ingested.message.is_malformed:
                result.malformed.append(ingested.message.pk)


def mailboxes_due() -> list[int]:
    """The active mailboxes, for the beat task to fan out one poll task each."""
    return list(Mailbox.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
