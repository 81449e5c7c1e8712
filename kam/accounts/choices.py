"""The vocabularies of the customer databank."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", _("Customer")
    PARTNER = "partner", _("Partner")
    CONTRACTOR = "contractor", _("Contractor")


class Tier(models.TextChoices):
    STANDARD = "standard", _("Standard")
    KEY = "key", _("Key")
    STRATEGIC = "strategic", _("Strategic")


class Status(models.TextChoices):
    LEAD = "lead", _("Lead")
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active customer")
    DORMANT = "dormant", _("Dormant")
    LOST = "lost", _("Lost")


class Source(models.TextChoices):
    EXHIBITION = "exhibition", _("Exhibition or fair")
    REFERRAL = "referral", _("Referral")
    COLD_CALL = "cold_call", _("Cold call")
    CAMPAIGN = "campaign", _("Campaign")
    INBOUND = "inbound", _("Inbound request")
    PURCHASED_BASE = "purchased_base", _("Purchased base")
    WEBSITE = "website", _("Website")
    PARTNER = "partner", _("Partner")
    OTHER = "other", _("Other")


class SizeBand(models.TextChoices):
    MICRO = "micro", _("1-9 employees")
    SMALL = "small", _("10-49 employees")
    MEDIUM = "medium", _("50-249 employees")
    LARGE = "large", _("250-999 employees")
    ENTERPRISE = "enterprise", _("1000+ employees")


class AddressKind(models.TextChoices):
    LEGAL = "legal", _("Legal")
    POSTAL = "postal", _("Postal")
    DELIVERY = "delivery", _("Delivery")


class BuyingRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("SMS / chat")
    POST = "post", _("Post")
    FAX = "fax", _("Fax")


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Yes / no")
    CHOICE = "choice", _("Choice")
