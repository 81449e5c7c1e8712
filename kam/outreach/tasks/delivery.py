"""Celery tasks of the outbox: thin wrappers around services/delivery.py."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kam.outreach.tasks.delivery.send_campaign_task")
def send_campaign_task(campaign_id: int) -> dict[str, int]:
    """Send the queued messages of a campaign (safe to run twice, or on several workers)."""
    from kam.outreach.services.delivery import campaign_send

    return campaign_send(campaign_id=campaign_id)
