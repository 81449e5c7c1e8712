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


@shared_task(name="kam.orders.tasks.generate_order_confirmation_task")
def generate_order_confirmation_task(order_id: int, user_id: int) -> int | None:
    """After an order is confirmed: its confirmation PDF, stored on the order (once per
    confirmation: a second run finds it and does nothing). Returns the document's id."""
    from kam.orders.confirmations import confirmation_on_confirm

    return confirmation_on_confirm(order_id=order_id, user_id=user_id)


@shared_task(name="kam.orders.tasks.expire_quotes_task")
def expire_quotes_task() -> int:
    """Hourly (beat): sent quotes past their validity become expired (safe to run twice)."""
    from kam.orders.quotes_services import quotes_expire

    return quotes_expire()
