"""Celery tasks of the outbox: thin wrappers around services/delivery.py."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kam.outreach.tasks.delivery.send_campaign_task", queue="mail")
def send_campaign_task(campaign_id: int) -> dict[str, int]:
    """Send the queued messages of a campaign (safe to run twice, or on several workers)."""
    from kam.outreach.services.delivery import campaign_send

    counts = campaign_send(campaign_id=campaign_id)
    if counts.get("more") and not send_campaign_task.app.conf.task_always_eager:
        # Out of time budget with messages left: carry on in a fresh task.
        send_campaign_task.delay(campaign_id)
    return counts


@shared_task(name="kam.outreach.tasks.delivery.resume_outbox_task")
def resume_outbox_task() -> list[int]:
    """Every minute: recover expired leases and queue a send for each campaign with messages
    due (scheduled, retried, throttled or orphaned by a lost task)."""
    from kam.outreach.services.delivery import outbox_resume

    campaign_ids = outbox_resume()
    for campaign_id in campaign_ids:
        send_campaign_task.delay(campaign_id)
    return campaign_ids
