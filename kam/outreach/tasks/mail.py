"""Celery tasks of mail: thin wrappers around its services."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="kam.outreach.tasks.mail.poll_mailboxes_task")
def poll_mailboxes_task() -> int:
    """Every minute (beat): one poll task per active mailbox; returns how many were queued."""
    from kam.outreach.services.mail_boxes import mailboxes_due

    due = mailboxes_due()
    for mailbox_id in due:
        poll_mailbox_task.delay(mailbox_id)
    return len(due)


@shared_task(name="kam.outreach.tasks.mail.poll_mailbox_task")
def poll_mailbox_task(mailbox_id: int) -> dict[str, Any]:
    """Read one mailbox's new messages (a lease keeps a second run off it; safe to repeat)."""
    from kam.outreach.services.mail_boxes import mailbox_poll

    result = mailbox_poll(mailbox_id=mailbox_id)
    return {
        "polled": result.polled,
        "fetched": result.fetched,
        "created": result.created,
        "malformed": len(result.malformed),
        "error": result.error,
    }
