"""The vocabularies of the catalog: rule scopes, agreement statuses, sales channels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleScope(models.TextChoices):
    """What a price rule covers; the most specific wins (product > line > all products)."""

    PRODUCT = "product", _("Product")
    LINE = "line", _("Product line")
    ALL = "all", _("All products")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")


class Channel(models.TextChoices):
    """Where an order comes from; promotions may be limited to some channels."""

    DIRECT = "direct", _("Direct (account manager)")
    WEB = "web", _("Web shop")
    PHONE = "phone", _("Phone")
    PARTNER = "partner", _("Partner")
