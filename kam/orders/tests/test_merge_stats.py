"""Merging two accounts recomputes what orders and activities derive per account (through the
core registry's merge hooks: accounts never imports them)."""

from __future__ import annotations

from typing import Any

import pytest

from kam.accounts import merge
from kam.accounts.tests.factories import AccountFactory
from kam.activities.models import AccountContactStats
from kam.activities.services import contact_stats_refresh
from kam.activities.tests.factories import ActivityFactory
from kam.orders.models import AccountOrderStats
from kam.orders.services import account_stats_refresh
from kam.orders.tests.factories import make_order

pytestmark = pytest.mark.django_db


def test_the_survivor_counts_the_losers_orders_and_contacts_after_a_merge(org: Any) -> None:
    survivor, loser = AccountFactory(owner=org.owner), AccountFactory(owner=org.owner)
    make_order(user=org.owner, account=survivor)
    make_order(user=org.owner, account=loser)
    make_order(user=org.owner, account=loser)
    ActivityFactory(account=survivor, owner=org.owner, kind="call")
    ActivityFactory(account=loser, owner=org.owner, kind="meeting")
    for account in (survivor, loser):
        account_stats_refresh(account=account)
        contact_stats_refresh(account_id=account.pk)
    assert AccountOrderStats.objects.get(account_id=survivor.pk).orders_count == 1

    merge.account_merge(user=org.owner, survivor=survivor, loser=loser, field_choices={})

    assert AccountOrderStats.objects.get(account_id=survivor.pk).orders_count == 3
    assert AccountContactStats.objects.get(account_id=survivor.pk).repeat_contact_count == 2
