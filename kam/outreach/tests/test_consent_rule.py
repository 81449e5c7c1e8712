"""The consent rule every outreach channel asks: do-not-contact, opt-in per channel (withdrawn
counts as none), an address on the channel, the preferred channel first, the postal address."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kam.accounts.choices import AddressKind, Channel
from kam.accounts.models import AccountAddress
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.outreach import consent
from kam.outreach.tests.factories import consent as give

ALL = [Channel.EMAIL, Channel.CHAT, Channel.POST, Channel.FAX]


def person(**extra: Any) -> Any:
    values = {
        "pk": 1,
        "account_id": 7,
        "emails": ["anna@example.com"],
        "phones": ["+4930111"],
        "preferred_channel": "",
        "do_not_contact": False,
        "deleted_at": None,
        **extra,
    }
    return SimpleNamespace(**values)


POSTAL = {7: "Main 1\n10115 Berlin"}


def test_the_first_allowed_consented_channel_with_an_address_wins() -> None:
    choice = consent.choose(person(), ALL, {"email", "chat"}, postal=POSTAL)
    assert choice == consent.Choice("email", "anna@example.com")


def test_the_preferred_channel_comes_first_when_consented() -> None:
    choice = consent.choose(person(preferred_channel="chat"), ALL, {"email", "chat"}, postal=POSTAL)
    assert choice == consent.Choice("chat", "+4930111")


def test_a_preferred_channel_without_consent_falls_back_to_one_with_it() -> None:
    choice = consent.choose(person(preferred_channel="fax"), ALL, {"post"}, postal=POSTAL)
    assert choice == consent.Choice("post", "Main 1\n10115 Berlin")


def test_a_preferred_channel_the_campaign_does_not_use_is_ignored() -> None:
    choice = consent.choose(
        person(preferred_channel="chat"), ["email"], {"email", "chat"}, postal=POSTAL
    )
    assert choice.channel == "email"


def test_do_not_contact_refuses_every_channel_with_one_reason() -> None:
    choice = consent.choose(person(do_not_contact=True), ALL, set(ALL), postal=POSTAL)
    assert choice == consent.Choice("", "", "The contact is marked do not contact.")


def test_a_contact_in_the_trash_gets_nothing() -> None:
    choice = consent.choose(person(deleted_at=timezone.now()), ALL, set(ALL), postal=POSTAL)
    assert choice == consent.Choice("", "", "The contact is in the trash.")


def test_no_consent_at_all_names_each_channel() -> None:
    choice = consent.choose(person(), ["email", "fax"], set(), postal=POSTAL)
    assert choice == consent.Choice("", "", "No consent on E-mail. No consent on Fax.")


def test_consent_without_an_address_says_so() -> None:
    choice = consent.choose(person(emails=[], phones=[]), ["email", "chat"], {"email", "chat"})
    assert choice.reason == "No address for E-mail. No address for SMS / chat."
    assert choice.channel == ""


def test_an_empty_address_entry_is_no_address() -> None:
    choice = consent.choose(person(emails=["", None]), ["email"], {"email"})
    assert choice.reason == "No address for E-mail."


def test_post_without_a_postal_address_falls_to_the_next_channel() -> None:
    choice = consent.choose(person(), ["post", "email"], {"post", "email"}, postal={})
    assert choice == consent.Choice("email", "anna@example.com")


def test_fax_goes_to_the_phone_number() -> None:
    assert consent.choose(person(), ["fax"], {"fax"}) == consent.Choice("fax", "+4930111")


def test_a_campaign_without_channels_reaches_nobody() -> None:
    assert consent.choose(person(), [], {"email"}) == consent.Choice(
        "", "", "The campaign has no channel."
    )


@pytest.mark.django_db
def test_granted_channels_leaves_out_withdrawn_consent_in_one_query() -> None:
    anna, boris, clara = ContactFactory(), ContactFactory(), ContactFactory()
    give(anna, Channel.EMAIL, Channel.POST)
    give(boris, Channel.EMAIL, granted=False)
    give(boris, Channel.CHAT)
    with CaptureQueriesContext(connection) as queries:
        granted = consent.granted_channels([anna.pk, boris.pk, clara.pk])
    assert len(queries) == 1
    assert dict(granted) == {anna.pk: {"email", "post"}, boris.pk: {"chat"}}


@pytest.mark.django_db
def test_the_postal_address_is_the_postal_one_else_legal_else_delivery() -> None:
    both, legal_only, delivery_only, country_only = (AccountFactory() for _ in range(4))
    AccountAddress.objects.create(
        account=both, kind=AddressKind.LEGAL, street="Legal 1", city="Bonn"
    )
    AccountAddress.objects.create(
        account=both,
        kind=AddressKind.POSTAL,
        street="PO Box 9",
        postal_code="53111",
        city="Bonn",
        country="DE",
    )
    AccountAddress.objects.create(
        account=legal_only, kind=AddressKind.LEGAL, street="Legal 2", city="Köln"
    )
    AccountAddress.objects.create(
        account=delivery_only, kind=AddressKind.DELIVERY, street="Dock 3", city="Hamburg"
    )
    AccountAddress.objects.create(account=country_only, kind=AddressKind.POSTAL, country="DE")
    ids = [both.pk, legal_only.pk, delivery_only.pk, country_only.pk]
    assert consent.postal_addresses(ids) == {
        both.pk: "PO Box 9\n53111 Bonn\nDE",
        legal_only.pk: "Legal 2\nKöln",
        delivery_only.pk: "Dock 3\nHamburg",
    }


@pytest.mark.django_db
def test_may_send_asks_again_just_before_sending() -> None:
    contact = ContactFactory(emails=["x@example.com"])
    give(contact, Channel.EMAIL)
    assert consent.may_send(contact, Channel.EMAIL) == ""
    give(contact, Channel.EMAIL, granted=False)
    assert consent.may_send(contact, Channel.EMAIL) == "No consent on E-mail."
    contact.do_not_contact = True
    assert consent.may_send(contact, Channel.EMAIL) == "The contact is marked do not contact."


@pytest.mark.django_db
def test_address_for_post_reads_the_account_when_not_preloaded() -> None:
    account = AccountFactory()
    AccountAddress.objects.create(account=account, kind=AddressKind.POSTAL, street="Ring 5")
    contact = ContactFactory(account=account)
    assert consent.address_for(contact, Channel.POST) == "Ring 5"
    assert consent.address_for(contact, Channel.PHONE) == ""
