"""Celery finds the outreach tasks here; each topic keeps its own module."""

from kam.outreach.tasks import calls, campaigns, delivery, events, mail

__all__ = ["calls", "campaigns", "delivery", "events", "mail"]
