"""The outbox: sends each queued Delivery exactly once (being written; see the lead's notes)."""

from __future__ import annotations


def campaign_send(*, campaign_id: int) -> dict[str, int]:
    """Send what is due of campaign `campaign_id`; returns counts by outcome."""
    raise NotImplementedError(campaign_id)
