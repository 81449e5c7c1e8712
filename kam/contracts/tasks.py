from __future__ import annotations

from celery import shared_task

from kam.contracts.reminders import notices_send
from kam.contracts.services import contracts_roll_over


@shared_task(name="kam.contracts.tasks.process_contract_deadlines_task")
def process_contract_deadlines_task() -> dict[str, int]:
    """Hourly (beat): renew or expire contracts past their end, start signed ones, then send
    renewal notices and overdue-obligation alerts. Every step is claimed once: safe to rerun."""
    done = contracts_roll_over()
    done.update(notices_send())
    return done
