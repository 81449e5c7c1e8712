"""Builders shared by the calendar, invitation and brief tests (this module holds no tests)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from kam.activities.choices import Kind, Status
from kam.activities.models import Activity
from kam.sales.models import Deal, Pipeline, Stage


def meeting(*, account: Any, owner: Any, start: datetime | None = None, **fields: Any) -> Activity:
    start = start or (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    values: dict[str, Any] = {
        "subject": "Quarterly review",
        "status": Status.PLANNED,
        "ends_at": start + timedelta(minutes=90),
        "location": "Client's office, room 3",
        "agenda": "Volumes for next year",
        **fields,
    }
    return Activity.objects.create(
        kind=Kind.MEETING, account=account, owner=owner, occurred_at=start, **values
    )


def task(*, account: Any, owner: Any, due: datetime, **fields: Any) -> Activity:
    values: dict[str, Any] = {"subject": "Send the offer", "status": Status.PLANNED, **fields}
    return Activity.objects.create(
        kind=Kind.TASK, account=account, owner=owner, due_at=due, **values
    )


def interaction(*, account: Any, owner: Any, subject: str, days_ago: int) -> Activity:
    return Activity.objects.create(
        kind=Kind.CALL,
        account=account,
        owner=owner,
        subject=subject,
        status=Status.DONE,
        occurred_at=timezone.now() - timedelta(days=days_ago),
    )


def deal(*, account: Any, owner: Any, title: str, **fields: Any) -> Deal:
    pipeline, _ = Pipeline.objects.get_or_create(name="Calendar tests")
    stage, _ = Stage.objects.get_or_create(
        pipeline=pipeline, position=1, defaults={"name": "Needs identified", "probability": 40}
    )
    return Deal.objects.create(
        account=account,
        owner=owner,
        title=title,
        pipeline=pipeline,
        stage=stage,
        probability=stage.probability,
        **fields,
    )
