from __future__ import annotations

from celery import shared_task

from kam.activities.calendar import send_meeting_invitations_task  # noqa: F401  (the worker loads tasks.py)
from kam.activities.reminders import notices_send


@shared_task(name="kam.activities.tasks.send_activity_notices_task")
def send_activity_notices_task() -> dict[str, int]:
    """Every minute (beat): due reminders and newly overdue tasks, each notified exactly once."""
    return notices_send()
