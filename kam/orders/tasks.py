from __future__ import annotations

from celery import shared_task

from kam.orders.alerts import alerts_send


@shared_task(name="kam.orders.tasks.send_order_alerts_task")
def send_order_alerts_task() -> dict[str, int]:
    """Hourly (beat): late order lines to their order's owner, overdue department tasks to the
    account owner, each once."""
    return alerts_send()


@shared_task(name="kam.orders.tasks.settle_bonuses_task")
def settle_bonuses_task() -> dict[str, int]:
    """Daily (beat): settle the volume bonuses whose period has ended, each once."""
    from kam.orders.bonus import bonuses_settle_due

    return bonuses_settle_due()
