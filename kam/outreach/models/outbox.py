"""The outbox's own tables: the per-campaign send window (throttling) and the chat provider."""

from __future__ import annotations

from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.core.models import TimeStampedModel

# Only web addresses: a file://, ftp:// or gopher:// URL would let the provider setting reach
# what it should not.
http_url = URLValidator(schemes=["http", "https"])


class CampaignWindow(models.Model):
    """How many messages of a campaign were claimed in the current minute, shared by every
    worker so `Campaign.throttle_per_minute` holds across all of them."""

    campaign = models.OneToOneField(
        "outreach.Campaign", on_delete=models.CASCADE, related_name="send_window"
    )
    started_at = models.DateTimeField()
    claimed = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.claimed} since {self.started_at:%H:%M:%S}"


class ChatProvider(TimeStampedModel):
    """Where chat and SMS campaign messages go: an HTTP webhook set by an admin (admin site only).

    Each message is POSTed as JSON {to, text, reference}, signed with KAM_CHAT_WEBHOOK_SECRET.
    The first active row is used.
    """

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("webhook URL"), max_length=500, validators=[http_url])
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-is_active", "id"]

    def __str__(self) -> str:
        return self.name
