from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    CONTRACT = "contract", _("Contract")
    ADDENDUM = "addendum", _("Addendum")
    SPECIFICATION = "specification", _("Specification")
    INVOICE = "invoice", _("Invoice")
    ACT = "act", _("Act")
    LETTER = "letter", _("Letter")
    PRESENTATION = "presentation", _("Presentation")
    OTHER = "other", _("Other")


class Direction(models.TextChoices):
    """Incoming and outgoing documents go to the register and get its number; internal ones
    (a presentation, a draft) do not."""

    INCOMING = "incoming", _("Incoming")
    OUTGOING = "outgoing", _("Outgoing")
    INTERNAL = "internal", _("Internal")


REGISTERED = (Direction.INCOMING, Direction.OUTGOING)
REGISTER_PREFIX = {Direction.INCOMING: "IN", Direction.OUTGOING: "OUT"}

# Kinds whose downloads are audited: they carry prices, terms and amounts.
CONFIDENTIAL_KINDS = frozenset(
    {Kind.CONTRACT, Kind.ADDENDUM, Kind.SPECIFICATION, Kind.INVOICE, Kind.ACT}
)


class TemplateKey(models.TextChoices):
    QUOTE = "quote", _("Quote")
    CONTRACT = "contract", _("Contract")
    ORDER_CONFIRMATION = "order_confirmation", _("Order confirmation")


class Format(models.TextChoices):
    DOCX = "docx", "DOCX"
    PDF = "pdf", "PDF"
