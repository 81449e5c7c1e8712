"""Two launches of one campaign at the same moment (threads, each on its own connection): one
writes the outbox, the other is refused, and each contact has exactly one delivery. Needs
PostgreSQL's row locks (`DATABASE_URL=postgres://...`); SQLite serialises writers anyway."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from kam.accounts.tests.factories import AccountFactory
from kam.outreach.models import Delivery
from kam.outreach.services import campaigns as services
from kam.outreach.tests.factories import reachable_contact

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_launches_write_one_set_of_deliveries(org: Any, monkeypatch: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent launches need PostgreSQL (set DATABASE_URL=postgres://...)")
    monkeypatch.setattr(services, "_queue_sending", lambda campaign_id: None)
    account = AccountFactory(owner=org.owner)
    for _n in range(300):
        reachable_contact(account)
    campaign = services.campaign_create(
        user=org.owner,
        data={
            "name": "Race",
            "kind": "newsletter",
            "subject": "S",
            "body": "B",
            "channels": ["email"],
        },
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def launch() -> None:
        try:
            barrier.wait()
            services.campaign_launch(user=org.owner, campaign=campaign, chunk_size=50)
            outcomes.append("launched")
        except services.CampaignStateError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=launch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["launched", "refused"]
    assert Delivery.objects.filter(campaign=campaign).count() == 300
    assert Delivery.objects.values("contact").distinct().count() == 300
