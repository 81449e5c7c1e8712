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
