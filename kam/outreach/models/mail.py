"""Mailboxes KAM reads and the e-mail messages it sent or received."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.core.access import AccessSpec
from kam.core.models import TimeStampedModel, VersionedModel
from kam.core.querysets import KamQuerySet
from kam.outreach import choices


class Mailbox(VersionedModel):
    """An IMAP mailbox polled for incoming mail: a user's own, or shared (no owner)."""

    name = models.CharField(_("name"), max_length=100)
    email_address = models.EmailField(_("address"))
    host = models.CharField(_("IMAP host"), max_length=255)
    port = models.PositiveIntegerField(_("IMAP port"), default=993)
    use_ssl = models.BooleanField(_("SSL"), default=True)
    username = models.CharField(_("user name"), max_length=255)
    # Encrypted at rest (services/mail.py); never returned by the API.
    password_encrypted = models.TextField(editable=False, blank=True)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="mailboxes",
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    # Who set the mailbox up: a shared mailbox's attachments are filed in his name.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Incremental polling: the folder's UIDVALIDITY and the highest UID already read. A new
    # UIDVALIDITY (the folder was rebuilt) starts again at 0; Message-IDs still dedupe.
    uid_validity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    # The poll lease: set while one worker polls, so a second run leaves the mailbox alone.
    poll_started_at = models.DateTimeField(null=True, blank=True, editable=False)

    access: ClassVar[AccessSpec] = AccessSpec(owner="owner")
    unversioned_fields: ClassVar[frozenset[str]] = frozenset(
        {"last_polled_at", "last_error", "uid_validity", "last_uid", "poll_started_at"}
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email_address}>"


class Message(TimeStampedModel):
    """One e-mail, sent or received, linked to the contact, account and deal it is about."""

    direction = models.CharField(max_length=8, choices=choices.MessageDirection.choices)
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    # The RFC 5322 Message-ID, angle brackets stripped. A message without one (or a malformed
    # one) gets "sha256:<hex of its raw bytes>", so importing it twice still finds it.
    message_id = models.CharField(max_length=998, blank=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)
    thread_key = models.CharField(max_length=998, blank=True, db_index=True)
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    from_name = models.CharField(max_length=255, blank=True)
    to_addresses = models.JSONField(_("to"), default=list, blank=True)
    cc_addresses = models.JSONField(_("cc"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    # The subject without "Re:", "Fwd:"... lower-cased: threads messages that lost their headers.
    subject_key = models.CharField(max_length=255, blank=True, db_index=True)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    sent_at = models.DateTimeField(_("date"), null=True, blank=True)
    account = models.ForeignKey(
        "accounts.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    deal = models.ForeignKey(
        "sales.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    activity = models.OneToOneField(
        "activities.Activity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="message",
    )
    # The campaign message this one answers (a reply to a campaign e-mail).
    delivery = models.ForeignKey(
        "outreach.Delivery",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    is_malformed = models.BooleanField(default=False)
    parse_error = models.TextField(blank=True)
    # The message exactly as received or sent (RFC 5322 bytes, CRLF line ends).
    raw = models.BinaryField(blank=True, editable=False)

    access: ClassVar[AccessSpec] = AccessSpec(via="account", owner="owner")
    objects: ClassVar[Any] = KamQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(
                fields=["direction", "contact", "from_address"], name="outreach_message_sender_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"],
                condition=~models.Q(message_id=""),
                name="outreach_message_id_unique",
            )
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id


class MessageAttachment(TimeStampedModel):
    """A file attached to a received message: the document it became, or why it was refused."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=255, blank=True)
    size = models.PositiveIntegerField(default=0)
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.CharField(_("refused because"), max_length=500, blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(via="message")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class EmailTemplate(VersionedModel):
    """A reusable e-mail (subject and text in Django template syntax over the contact, account,
    deal and sender); a user's own, or shared with everyone (no owner, kept by admins)."""

    name = models.CharField(_("name"), max_length=100)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="email_templates",
    )

    access: ClassVar[AccessSpec] = AccessSpec(owner="owner")

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
