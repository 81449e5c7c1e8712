from __future__ import annotations

import socket
from typing import Any

from celery import shared_task
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone


@shared_task(name="kam.core.tasks.ping_task")
def ping_task(value: int) -> dict[str, Any]:
    """Round trip through the broker: proves a worker runs with Django and the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s", [int(value) * 2])
        (doubled,) = cursor.fetchone()
    return {"value": doubled, "worker": socket.gethostname(), "database": connection.vendor}


@shared_task(name="kam.core.tasks.clear_expired_sessions_task")
def clear_expired_sessions_task() -> int:
    """Daily: drop expired sessions so the session table does not grow without bound."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
