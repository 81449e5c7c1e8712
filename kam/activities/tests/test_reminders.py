"""Reminders and overdue tasks: in the notifications and by e-mail, exactly once, in the user's
time zone. The Celery task runs for real (eagerly, as the test settings configure Celery)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from kam.accounts.tests.factories import AccountFactory
from kam.activities.tasks import send_activity_notices_task
from kam.activities.tests.factories import ActivityFactory, TaskFactory
from kam.users.models import Notification


def _run() -> dict[str, int]:
    result: dict[str, int] = send_activity_notices_task.delay().get()
    return result


@pytest.mark.django_db
def test_a_due_reminder_reaches_the_ui_and_the_mailbox_in_the_users_time_zone(
    org: Any, settings: Any
) -> None:
    settings.KAM_BASE_URL = "https://kam.example.com"
    org.owner.timezone = "Asia/Tokyo"
    org.owner.save()
    start = datetime(2030, 1, 15, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
    meeting = ActivityFactory(
        account=AccountFactory(owner=org.owner, name="Acme"),
        kind="meeting",
        status="planned",
        subject="Quarterly review",
        occurred_at=start,
        remind_at=timezone.now() - timedelta(minutes=1),
    )

    assert _run() == {"reminders": 1, "overdue": 0, "emails": 1}

    notice = Notification.objects.get(recipient=org.owner)
    assert notice.title == "Reminder: Quarterly review"
    assert notice.url == f"/activities/{meeting.pk}/"
    (message,) = mail.outbox
    assert message.to == [org.owner.email]
    assert message.subject == "Reminder: Quarterly review"
    assert message.body.splitlines()[:2] == [
        "Meeting at Jan. 15, 2030, 10 a.m. (Asia/Tokyo).",
        "Account: Acme",
    ]
    assert f"https://kam.example.com/activities/{meeting.pk}/" in message.body


@pytest.mark.django_db
def test_running_twice_never_notifies_twice(org: Any) -> None:
    TaskFactory(
        account=AccountFactory(owner=org.owner),
        remind_at=timezone.now() - timedelta(minutes=5),
        due_at=timezone.now() - timedelta(minutes=1),
    )

    first, second = _run(), _run()

    assert first == {"reminders": 1, "overdue": 1, "emails": 2}
    assert second == {"reminders": 0, "overdue": 0, "emails": 0}
    assert Notification.objects.filter(recipient=org.owner).count() == 2
    assert len(mail.outbox) == 2
    assert {m.subject.split(":")[0] for m in mail.outbox} == {"Reminder", "Overdue task"}


@pytest.mark.django_db
def test_the_assignee_is_told_not_the_owner_and_future_or_done_items_wait(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    TaskFactory(account=account, assignee=org.peer, due_at=timezone.now() - timedelta(hours=1))
    TaskFactory(
        account=account,
        due_at=timezone.now() + timedelta(hours=1),
        remind_at=timezone.now() + timedelta(minutes=30),
    )
    TaskFactory(account=account, status="done", due_at=timezone.now() - timedelta(days=1))

    assert _run() == {"reminders": 0, "overdue": 1, "emails": 1}
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["peer"]


@pytest.mark.django_db
def test_a_new_due_date_rearms_the_overdue_notice(org: Any) -> None:
    from kam.activities import services

    task = TaskFactory(
        account=AccountFactory(owner=org.owner), due_at=timezone.now() - timedelta(hours=1)
    )
    _run()
    task.refresh_from_db()
    services.activity_update(
        user=org.owner,
        activity=task,
        expected_version=task.version,
        data={"due_at": timezone.now() - timedelta(minutes=1)},
    )

    assert _run()["overdue"] == 1
    assert Notification.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_notify_once(org: Any) -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("threads need a database shared between connections")
    for n in range(10):
        TaskFactory(
            account=AccountFactory(owner=org.owner),
            subject=f"T{n}",
            remind_at=timezone.now() - timedelta(minutes=1),
            due_at=timezone.now() - timedelta(seconds=30),
        )
    barrier = threading.Barrier(3)
    results: list[dict[str, int]] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(send_activity_notices_task.apply().get())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r["reminders"] for r in results) == 10
    assert sum(r["overdue"] for r in results) == 10
    assert Notification.objects.count() == 20
    assert len(mail.outbox) == 20
