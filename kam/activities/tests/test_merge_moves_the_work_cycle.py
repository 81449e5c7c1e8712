"""Merging accounts or contacts carries the work cycle with it: deals, their contacts, activities
and the activities' contacts move to the survivor, found through relation metadata (the accounts
app does not know these apps)."""

from __future__ import annotations

from typing import Any

import pytest

from kam.accounts.merge import account_merge, contact_merge, related_counts
from kam.accounts.models import Account, Contact
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.activities.models import Activity
from kam.activities.tests.factories import ActivityFactory, TaskFactory
from kam.sales.models import Deal
from kam.sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db


def test_account_merge_moves_deals_and_activities(org: Any) -> None:
    survivor = AccountFactory(name="Acme GmbH", owner=org.owner)
    loser = AccountFactory(name="ACME", owner=org.owner)
    kept_deal = DealFactory(account=survivor)
    moved_deals = [DealFactory(account=loser), DealFactory(account=loser)]
    moved_calls = [ActivityFactory(account=loser, deal=moved_deals[0]), TaskFactory(account=loser)]
    ActivityFactory(account=survivor, deal=kept_deal)
    before = {c.key: c.count for c in related_counts(loser)}
    assert before["sales.deal.account"] == 2
    assert before["activities.activity.account"] == 2

    account_merge(user=org.owner, survivor=survivor, loser=loser, field_choices={})

    assert set(Deal.objects.filter(account=survivor)) == {kept_deal, *moved_deals}
    assert Activity.objects.filter(account=survivor).count() == 3
    assert {a.pk for a in Activity.objects.filter(account=survivor)} >= {a.pk for a in moved_calls}
    assert not Deal.all_objects.filter(account=loser).exists()
    assert not Activity.all_objects.filter(account=loser).exists()
    assert Account.all_objects.get(pk=loser.pk).deleted_at is not None  # in the trash


def test_contact_merge_moves_deal_and_activity_links(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    survivor = ContactFactory(account=account, last_name="Meyer")
    loser = ContactFactory(account=account, last_name="Meier")
    deal = DealFactory(account=account)
    deal.contacts.add(loser)
    both = DealFactory(account=account)
    both.contacts.add(survivor, loser)
    meeting = ActivityFactory(account=account, kind="meeting")
    meeting.contacts.add(loser)

    contact_merge(user=org.owner, survivor=survivor, loser=loser, field_choices={})

    assert list(deal.contacts.all()) == [survivor]
    assert list(both.contacts.all()) == [survivor]  # one link, not two
    assert list(meeting.contacts.all()) == [survivor]
    assert Contact.all_objects.get(pk=loser.pk).deleted_at is not None
