"""The vocabularies of the work cycle (deals, needs, objections)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    """What reaching a stage means for the deal: still open, won or lost."""

    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class ObjectionKind(models.TextChoices):
    PRICE = "price", _("Price")
    QUALITY = "quality", _("Quality")
    TIMING = "timing", _("Timing")
    COMPETITOR = "competitor", _("Competitor")
    TRUST = "trust", _("Trust")
    OTHER = "other", _("Other")
