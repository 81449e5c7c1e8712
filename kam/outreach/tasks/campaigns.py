"""Celery tasks of campaigns: thin wrappers around its services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kam.outreach.tasks.campaigns.launch_due_campaigns_task")
def launch_due_campaigns_task() -> list[int]:
    """Launch the scheduled campaigns that are due (each once; safe to run twice)."""
    from kam.outreach.services.campaigns import launch_due_campaigns

    return launch_due_campaigns()
