"""Renewal notices and overdue-obligation alerts: in the notifications and by e-mail, once each.
The Celery task runs for real (eagerly, as the test settings configure Celery)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.core import mail

from kam.accounts.tests.factories import AccountFactory
from kam.contracts.models import Contract
from kam.contracts.tasks import process_contract_deadlines_task
from kam.contracts.tests.factories import ContractFactory, ObligationFactory
from kam.users.models import Notification

pytestmark = pytest.mark.django_db
TODAY = "2026-11-15 12:00:00+00:00"


def _run() -> dict[str, int]:
    with time_machine.travel(TODAY, tick=False):
        result: dict[str, int] = process_contract_deadlines_task.delay().get()
    return result


def test_the_renewal_notice_reaches_the_owner_once(org: Any, settings: Any) -> None:
    settings.KAM_BASE_URL = "https://kam.example.com"
    contract = ContractFactory(
        account=AccountFactory(owner=org.owner, name="Acme"),
        number="C-2026-0042",
        title="Fleet supply",
        status="active",
        end_date=datetime.date(2026, 12, 31),
        is_auto_renewal=True,
        renewal_term_months=12,
        notice_period_days=60,
        notice_date=datetime.date(2026, 11, 1),
    )
    ContractFactory(  # its notice date is still ahead
        account=contract.account, status="active", notice_date=datetime.date(2026, 11, 16)
    )

    first, second = _run(), _run()

    assert first == {
        "renewed": 0,
        "expired": 0,
        "activated": 0,
        "renewals": 1,
        "overdue": 0,
        "emails": 1,
    }
    assert second["renewals"] == 0
    notice = Notification.objects.get(recipient=org.owner)
    assert notice.title == "Renewal notice: C-2026-0042 Fleet supply"
    assert notice.url == f"/contracts/{contract.pk}/"
    (message,) = mail.outbox
    assert message.to == [org.owner.email]
    assert message.body.splitlines()[:2] == [
        "The contract ends on 12/31/2026 and renews automatically for 12 months unless notice "
        "is given.",
        "Account: Acme",
    ]
    assert f"https://kam.example.com/contracts/{contract.pk}/" in message.body


def test_an_overdue_obligation_alerts_the_owner_and_the_departments_staff_once(
    org: Any,
) -> None:
    contract = ContractFactory(
        account=AccountFactory(owner=org.owner, name="Acme"), number="C-2026-0007", status="active"
    )
    late = ObligationFactory(
        contract=contract,
        description="Deliver the second batch",
        due_date=datetime.date(2026, 11, 14),
        department=org.logistics,
    )
    ObligationFactory(contract=contract, due_date=datetime.date(2026, 11, 15))  # due today
    ObligationFactory(contract=contract, due_date=datetime.date(2026, 11, 1), status="done")
    ObligationFactory(  # a draft contract binds nobody yet
        contract=ContractFactory(account=contract.account), due_date=datetime.date(2026, 11, 1)
    )

    first, second = _run(), _run()

    assert (first["overdue"], first["emails"]) == (1, 3)
    assert (second["overdue"], second["emails"]) == (0, 0)
    notices = {n.recipient.username: n for n in Notification.objects.select_related("recipient")}
    assert sorted(notices) == ["owner", "service", "staff"]
    assert notices["owner"].url == f"/contracts/{contract.pk}/"
    assert notices["staff"].url == "/obligations/"
    assert notices["staff"].title == "Overdue obligation: Deliver the second batch"
    assert notices["staff"].body == (
        "Due 11/14/2026 under contract C-2026-0007 (ours side), account Acme."
    )
    assert "outsider" not in notices
    late.refresh_from_db()
    assert late.overdue_notified_at is not None


def test_the_job_renews_before_it_notifies(org: Any) -> None:
    ContractFactory(
        account=AccountFactory(owner=org.owner),
        status="active",
        end_date=datetime.date(2026, 11, 10),
        is_auto_renewal=True,
        renewal_term_months=1,
        notice_period_days=30,
        notice_date=datetime.date(2026, 10, 11),
    )

    result = _run()

    # Renewed to 2026-12-10: the new notice date (2026-11-10) has come, so a new notice goes out.
    assert (result["renewed"], result["renewals"]) == (1, 1)
    assert Contract.objects.get().end_date == datetime.date(2026, 12, 10)
