"""Celery tasks of events: thin wrappers around its services.

Events need no background work: invitations go out as campaigns (their outbox and tasks), and
RSVP answers, check-ins and leads are written while the user waits.
"""

from __future__ import annotations
