"""The Celery app. Settings come from Django's settings under the CELERY_ namespace."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

from kam.config.env import settings_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module())

app = Celery("kam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("default", "mail", "insights", "reports")]
app.conf.beat_schedule = {
    "clear-expired-sessions": {
        "task": "kam.core.tasks.clear_expired_sessions_task",
        "schedule": 60 * 60 * 24,
    },
    "sweep-import-jobs": {
        "task": "kam.accounts.tasks.sweep_import_jobs_task",
        "schedule": 5 * 60,
    },
    # Due reminders and newly overdue tasks; each notice is claimed once, so a late or doubled
    # run never notifies twice.
    "send-activity-notices": {
        "task": "kam.activities.tasks.send_activity_notices_task",
        "schedule": 60,
    },
    # catalog
    # documents
    # contracts
    # Renewals, expiry and start of contracts, then renewal notices and overdue obligations; each
    # step is claimed once, so a late or doubled run never renews or notifies twice.
    "process-contract-deadlines": {
        "task": "kam.contracts.tasks.process_contract_deadlines_task",
        "schedule": 60 * 60,
    },
    # orders
    # Late order lines to their order's owner, overdue department tasks to the account owner;
    # each claimed once, so a doubled run never notifies twice.
    "send-order-alerts": {
        "task": "kam.orders.tasks.send_order_alerts_task",
        "schedule": 60 * 60,
    },
    # Volume bonuses whose period has ended: each target settled once (a unique claim), the
    # account owner notified; a doubled run settles nothing twice.
    "settle-bonuses": {
        "task": "kam.orders.tasks.settle_bonuses_task",
        "schedule": 60 * 60 * 6,
    },
    # Sent quotes past their validity become expired, so lists and the deal page say so.
    "expire-quotes": {
        "task": "kam.orders.tasks.expire_quotes_task",
        "schedule": 60 * 60,
    },
    # Outreach (docs/outreach.md):
    # Every active mailbox gets its own poll task; a lease keeps two runs off one mailbox.
    "poll-mailboxes": {
        "task": "kam.outreach.tasks.mail.poll_mailboxes_task",
        "schedule": 60,
    },
    # Scheduled campaigns whose time has come; each is claimed once (draft/scheduled → sending
    # in one conditional update), so a late or doubled run never launches twice.
    "launch-due-campaigns": {
        "task": "kam.outreach.tasks.campaigns.launch_due_campaigns_task",
        "schedule": 60,
    },
    # The outbox: expired leases recovered, and a send queued for each campaign with messages due
    # (scheduled, retried, throttled, or whose task a restarted broker lost). Safe to run twice.
    "resume-outbox": {
        "task": "kam.outreach.tasks.delivery.resume_outbox_task",
        "schedule": 60,
    },
}
app.autodiscover_tasks()
