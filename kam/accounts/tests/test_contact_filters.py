"""The contact list's account and consent filters (also the vocabulary of campaign audiences)."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import QueryDict
from django.utils import timezone

from kam.accounts import choices
from kam.accounts.filters import ContactFilterSet
from kam.accounts.models import Contact, ContactConsent, SavedFilter, Tag
from kam.accounts.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def _names(query: str) -> list[str]:
    filters = ContactFilterSet(QueryDict(query), queryset=Contact.objects.order_by("last_name"))
    assert filters.is_valid(), filters.errors
    return [c.last_name for c in filters.qs]


@pytest.fixture
def base(org: Any) -> None:
    key_de = AccountFactory(tier=choices.Tier.KEY, country="DE", industry="Chemicals")
    key_de.tags.add(Tag.objects.create(name="fair-2026"))
    plain_fr = AccountFactory(tier=choices.Tier.STANDARD, country="FR", industry="Food")
    granted = ContactFactory(account=key_de, last_name="Anders")
    ContactFactory(account=key_de, last_name="Berger")
    withdrawn = ContactFactory(account=plain_fr, last_name="Claude")
    now = timezone.now()
    ContactConsent.objects.create(contact=granted, channel="email", is_granted=True, given_at=now)
    ContactConsent.objects.create(
        contact=withdrawn, channel="email", is_granted=False, given_at=now
    )
    ContactConsent.objects.create(contact=withdrawn, channel="post", is_granted=True, given_at=now)


@pytest.mark.usefixtures("base")
def test_account_facts_filter_contacts() -> None:
    assert _names("tier=key") == ["Anders", "Berger"]
    assert _names("country=fr") == ["Claude"]
    assert _names("industry=chemicals") == ["Anders", "Berger"]
    assert _names("tag=fair-2026") == ["Anders", "Berger"]
    assert _names("tier=key&tier=standard&country=DE") == ["Anders", "Berger"]


@pytest.mark.usefixtures("base")
def test_consent_filter_takes_only_granted_consents_on_that_channel() -> None:
    assert _names("consent=email") == ["Anders"]
    assert _names("consent=post") == ["Claude"]
    assert _names("consent=fax") == []


@pytest.mark.usefixtures("base")
def test_an_unknown_channel_is_a_validation_error() -> None:
    filters = ContactFilterSet(QueryDict("consent=pigeon"), queryset=Contact.objects.all())

    assert not filters.is_valid()
    assert list(filters.errors) == ["consent"]


def test_the_contact_list_filters_by_account_facts_within_what_the_user_sees(
    client: Any, org: Any
) -> None:
    mine = AccountFactory(owner=org.owner, tier=choices.Tier.KEY)
    ContactFactory(account=mine, last_name="Mine")
    ContactFactory(account=AccountFactory(owner=org.owner), last_name="Plain")
    ContactFactory(
        account=AccountFactory(owner=org.other, tier=choices.Tier.KEY), last_name="Alien"
    )
    client.force_login(org.owner)

    page = client.get("/contacts/", {"tier": "key"})

    assert [c.last_name for c in page.context["page"].object_list] == ["Mine"]


def test_contact_views_are_saved_for_the_contact_list_and_come_back_there(
    client: Any, org: Any
) -> None:
    client.force_login(org.owner)

    response = client.post(
        "/accounts/views/",
        {"list_name": "contacts", "name": "Key buyers", "query": "tier=key&consent=email"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/contacts/?tier=key&consent=email"
    saved = SavedFilter.objects.get(owner=org.owner)
    assert (saved.list_name, saved.name, saved.query) == (
        "contacts",
        "Key buyers",
        "tier=key&consent=email",
    )
    assert [v.name for v in client.get("/contacts/").context["saved_filters"]] == ["Key buyers"]
    assert list(client.get("/accounts/").context["saved_filters"]) == []


def test_a_view_for_an_unknown_list_is_refused(client: Any, org: Any) -> None:
    client.force_login(org.owner)

    response = client.post("/accounts/views/", {"list_name": "deals", "name": "X", "query": ""})

    assert response.status_code == 400
    assert not SavedFilter.objects.exists()
