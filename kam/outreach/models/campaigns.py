"""Campaigns and their outbox: one Delivery row per recipient, written in the launch transaction."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.accounts.choices import Channel
from kam.core.access import AccessSpec
from kam.core.models import SoftDeleteModel, TimeStampedModel
from kam.outreach import choices


class Campaign(SoftDeleteModel):
    """An announcement (new product, promotion, invitation, newsletter) sent to an audience."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=choices.CampaignKind.choices)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=choices.CampaignStatus.choices,
        default=choices.CampaignStatus.DRAFT,
    )
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("message"))
    # The channels this campaign may use; each recipient gets his preferred consented one.
    channels = models.JSONField(_("channels"), default=list)
    audience_filter = models.ForeignKey(
        "accounts.SavedFilter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
        verbose_name=_("audience"),
    )
    # The contact-list query the audience was taken from (kept when the saved filter changes).
    audience_query = models.CharField(_("audience filters"), max_length=2000, blank=True)
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    promotion = models.ForeignKey(
        "catalog.Promotion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.ForeignKey(
        "outreach.Event",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
    )
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    throttle_per_minute = models.PositiveIntegerField(
        _("messages per minute"), null=True, blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns"
    )
    launched_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)

    access: ClassVar[AccessSpec] = AccessSpec(owner="owner")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Delivery(TimeStampedModel):
    """The outbox row: one campaign message to one contact on one channel, sent exactly once."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="deliveries"
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    address = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        max_length=12, choices=choices.DeliveryStatus.choices, default=choices.DeliveryStatus.QUEUED
    )
    reason = models.CharField(max_length=500, blank=True)
    # Random, unguessable: the unsubscribe, RSVP and tracking links carry it instead of ids.
    token = models.CharField(max_length=64, unique=True)
    message_id = models.CharField(max_length=998, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    # Which claim (one worker's batch) holds the row while it is in flight; "" otherwise.
    claim = models.CharField(max_length=32, blank=True, editable=False)
    # A temporary failure waits until then before the next try (backoff).
    not_before = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(via="account")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "contact"], name="outreach_delivery_once_per_contact"
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "status"], name="outreach_delivery_status_idx"),
            models.Index(fields=["status", "lease_until"], name="outreach_delivery_lease_idx"),
            models.Index(fields=["claim"], name="outreach_delivery_claim_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}→{self.contact_id} ({self.status})"


class CampaignDeal(TimeStampedModel):
    """A deal a campaign response (a reply, a click) was turned into: at most one per delivery,
    so the button pressed twice (or the bulk action after it) never opens a second deal."""

    delivery = models.OneToOneField(
        Delivery, on_delete=models.CASCADE, related_name="campaign_deal"
    )
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deals")
    deal = models.ForeignKey("sales.Deal", on_delete=models.CASCADE, related_name="campaign_links")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    access: ClassVar[AccessSpec] = AccessSpec(via="deal")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign_id}→deal {self.deal_id}"
