"""The vocabularies of activities and tasks."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Chat")
    FAX = "fax", _("Fax")
    LETTER = "letter", _("Letter")
    NOTE = "note", _("Note")
    PRESENTATION = "presentation", _("Presentation")
    TASK = "task", _("Task")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class Status(models.TextChoices):
    """Planned (a meeting ahead, a task to do), done, or cancelled."""

    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


# Kinds that are a contact with the client: they count for the cadence and the repeat-contact
# count (notes and tasks are our own bookkeeping).
CLIENT_INTERACTIONS = frozenset(
    {
        Kind.CALL,
        Kind.MEETING,
        Kind.EMAIL,
        Kind.CHAT,
        Kind.FAX,
        Kind.LETTER,
        Kind.PRESENTATION,
    }
)
# Kinds that may be planned ahead (status planned) rather than logged after the fact.
PLANNABLE = frozenset({Kind.CALL, Kind.MEETING, Kind.PRESENTATION, Kind.TASK})
# The default cadence per account tier: days without contact before the account is flagged.
DEFAULT_CADENCE_DAYS = {"strategic": 14, "key": 30, "standard": 90}
