"""Documents attached to any record, their file versions, the register's counters and the
templates documents are generated from.

A document hangs off one record of any app through a generic relation (content type + id), so
the documents app sits low in the layers and a contract or an order gets documents without a
foreign key pointing up. Who may see or change a document is who may see or change its record:
`selectors.documents_visible_to` and `permissions.access_document` ask `core.access` with the
record's own `AccessSpec`.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.core.models import SoftDeleteModel, TimeStampedModel
from kam.documents import choices


def stored_name(instance: Any, filename: str) -> str:
    """A random name under the media root: the uploaded name never reaches the file system."""
    token = uuid.uuid4().hex
    return f"documents/{token[:2]}/{token}"


def template_name(instance: Any, filename: str) -> str:
    return f"document-templates/{uuid.uuid4().hex}.docx"


class Document(SoftDeleteModel):
    """A document (contract, letter, invoice...) on one record, with its file versions.

    Incoming and outgoing documents carry a register number (IN-2026-00042) given once, at
    creation, gap-free per direction and year.
    """

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("record id"))
    record = GenericForeignKey("content_type", "object_id")

    kind = models.CharField(_("kind"), max_length=16, choices=choices.Kind.choices)
    title = models.CharField(_("title / subject"), max_length=255)
    number = models.CharField(_("document number"), max_length=64, blank=True)
    date = models.DateField(_("document date"), null=True, blank=True)
    direction = models.CharField(
        _("direction"),
        max_length=8,
        choices=choices.Direction.choices,
        default=choices.Direction.INTERNAL,
    )
    correspondent_account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("correspondent (account)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="correspondence",
    )
    correspondent_contact = models.ForeignKey(
        "accounts.Contact",
        verbose_name=_("correspondent (contact)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="correspondence",
    )
    register_number = models.CharField(
        _("register number"), max_length=32, blank=True, editable=False
    )
    register_year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    register_sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True, editable=False)
    template_key = models.CharField(
        _("generated from"),
        max_length=32,
        choices=choices.TemplateKey.choices,
        blank=True,
        editable=False,
    )
    current_version = models.ForeignKey(
        "documents.DocumentVersion",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="created_documents",
    )

    unversioned_fields: ClassVar[frozenset[str]] = frozenset({"current_version"})

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "-created_at"],
                name="document_record_idx",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["direction", "-registered_at"],
                name="document_register_idx",
                condition=models.Q(register_sequence__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["direction", "register_year", "register_sequence"],
                condition=models.Q(register_sequence__isnull=False),
                name="document_register_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.register_number} {self.title}".strip()

    @property
    def is_registered(self) -> bool:
        return self.register_sequence is not None

    @property
    def is_confidential_kind(self) -> bool:
        return self.kind in choices.CONFIDENTIAL_KINDS


class DocumentVersion(models.Model):
    """One uploaded (or generated) file of a document; versions are numbered 1, 2, 3... and
    never replaced, so every earlier file stays downloadable."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(upload_to=stored_name, max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    comment = models.CharField(_("comment"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["document", "-number"]
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="document_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.filename} (v{self.number})"


class RegisterCounter(models.Model):
    """The last register number given per direction and year; locked while a number is taken,
    so numbers are gap-free: a rolled-back registration rolls its number back too."""

    direction = models.CharField(max_length=8, choices=choices.Direction.choices)
    year = models.PositiveSmallIntegerField()
    last_sequence = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["direction", "year"], name="register_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.year}: {self.last_sequence}"


class DocumentTemplate(TimeStampedModel):
    """An administrator's own DOCX template for a generated document (replaces the shipped one)."""

    key = models.CharField(
        _("template"), max_length=32, choices=choices.TemplateKey.choices, unique=True
    )
    file = models.FileField(upload_to=template_name, max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["key"]
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")

    def __str__(self) -> str:
        return str(self.get_key_display())
