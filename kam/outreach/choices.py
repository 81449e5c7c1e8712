"""The vocabularies of outreach. One section per topic."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# --- mail -------------------------------------------------------------------------------------


class MessageDirection(models.TextChoices):
    INBOUND = "inbound", _("Received")
    OUTBOUND = "outbound", _("Sent")


# --- calls ------------------------------------------------------------------------------------


class CallDirection(models.TextChoices):
    INBOUND = "inbound", _("Incoming")
    OUTBOUND = "outbound", _("Outgoing")


class CallState(models.TextChoices):
    """Where a call is, as the telephony provider reports it. A call moves forward only:
    ringing -> answered -> ended, or ringing -> missed; a late or repeated event never moves
    it back."""

    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("Answered")
    ENDED = "ended", _("Ended")
    MISSED = "missed", _("Missed")


# How far along each state is; `ended` and `missed` are final.
CALL_STATE_RANK = {
    CallState.RINGING: 0,
    CallState.ANSWERED: 1,
    CallState.ENDED: 2,
    CallState.MISSED: 2,
}
CALL_FINAL_STATES = frozenset({CallState.ENDED, CallState.MISSED})
CALL_LIVE_STATES = frozenset({CallState.RINGING, CallState.ANSWERED})

# --- campaigns --------------------------------------------------------------------------------


class CampaignKind(models.TextChoices):
    NEW_PRODUCT = "new_product", _("New product")
    PROMOTION = "promotion", _("Promotion")
    INVITATION = "invitation", _("Invitation")
    NEWSLETTER = "newsletter", _("Newsletter")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class DeliveryStatus(models.TextChoices):
    """Where one message to one recipient is. `sending` and `handed_over` are the outbox's
    in-flight states (see services/delivery.py); the rest are outcomes."""

    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    HANDED_OVER = "handed_over", _("Handed over")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    BOUNCED = "bounced", _("Bounced")
    OPENED = "opened", _("Opened")
    CLICKED = "clicked", _("Clicked")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Not sent (no consent)")


# Campaigns that may still be edited, launched or cancelled.
CAMPAIGN_OPEN = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)
# Deliveries still on their way (the campaign is not finished while one is).
DELIVERY_PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.HANDED_OVER)
# Outcomes of a message that left us: the denominator of the report's rates.
DELIVERY_SENT = (
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.BOUNCED,
    DeliveryStatus.OPENED,
    DeliveryStatus.CLICKED,
    DeliveryStatus.UNSUBSCRIBED,
)


# --- events -----------------------------------------------------------------------------------


class EventKind(models.TextChoices):
    EXHIBITION = "exhibition", _("Exhibition")
    FAIR = "fair", _("Fair")
    PRESENTATION = "presentation", _("Presentation")
    WEBINAR = "webinar", _("Webinar")
    PRODUCT_LAUNCH = "product_launch", _("Product launch")


class GuestStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    REGISTERED = "registered", _("Registered")
    DECLINED = "declined", _("Declined")
    ATTENDED = "attended", _("Attended")
