"""Contact pages: create at an account (likely duplicates first), edit with the version check,
consent per channel, custom fields, the contact's own page, and the access rule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kam.accounts import services
from kam.accounts.models import Contact, ContactConsent, CustomField
from kam.accounts.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

FORM = {
    "first_name": "Anna",
    "middle_name": "",
    "last_name": "Schmidt",
    "job_title": "Head of purchasing",
    "buying_role": "economic_buyer",
    "emails": ["anna@acme.de", ""],
    "phones": ["+49 30 1234567"],
    "preferred_channel": "email",
    "birthday": "1980-05-17",
    "notes": "Prefers mornings.",
    "consent_email": "yes",
    "consent_email_given_at": "",
    "consent_email_how": "Signed form at the fair",
    "consent_phone": "no",
    "consent_phone_given_at": "2026-01-15",
    "consent_phone_how": "",
}


def test_contact_created_at_the_account_with_consents_and_audited(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner, country="DE")
    client.force_login(org.owner)

    # The account is in Germany: a phone typed as dialled there is understood.
    response = client.post(
        f"/accounts/{account.pk}/contacts/new/", {**FORM, "phones": ["030 1234567"]}
    )

    contact = Contact.objects.get()
    assert response["Location"] == f"/accounts/{account.pk}/#contact-{contact.pk}"
    assert (contact.emails, contact.phones, contact.owner) == (
        ["anna@acme.de"],
        ["+49301234567"],
        org.owner,
    )
    assert (contact.buying_role, str(contact.birthday)) == ("economic_buyer", "1980-05-17")
    consents = {c.channel: c for c in ContactConsent.objects.filter(contact=contact)}
    assert set(consents) == {"email", "phone"}
    assert (consents["email"].is_granted, consents["email"].how) == (
        True,
        "Signed form at the fair",
    )
    assert consents["phone"].is_granted is False
    assert timezone.localdate(consents["phone"].given_at).isoformat() == "2026-01-15"
    page = client.get(f"/accounts/{account.pk}/").content.decode()
    assert f'<a href="/contacts/{contact.pk}/">Anna Schmidt</a>' in page
    assert "Contact “Anna Schmidt” created" in page


def test_contact_form_keeps_input_and_names_each_bad_field(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner, country="DE")
    client.force_login(org.owner)

    response = client.post(
        f"/accounts/{account.pk}/contacts/new/",
        {
            **FORM,
            "last_name": "",
            "emails": ["anna@acme.de", "anna@@acme"],
            "birthday": "1980-13-45",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in page
    assert "Enter a valid date." in page
    assert 'value="anna@@acme"' in page
    assert 'value="Head of purchasing"' in page
    assert not Contact.objects.exists()


def test_contact_service_errors_land_on_their_fields(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner, country="DE")
    client.force_login(org.owner)

    response = client.post(
        f"/accounts/{account.pk}/contacts/new/", {**FORM, "emails": ["anna@@acme"]}
    )

    page = response.content.decode()
    assert "anna@@acme is not a valid e-mail address" in page
    assert 'aria-invalid="true"' in page
    assert not Contact.objects.exists()


def test_consent_cannot_be_dated_in_the_future(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)
    tomorrow = (timezone.localdate() + timedelta(days=2)).isoformat()

    response = client.post(
        f"/accounts/{account.pk}/contacts/new/", {**FORM, "consent_email_given_at": tomorrow}
    )

    assert "Consent cannot be given in the future." in response.content.decode()
    assert not Contact.objects.exists()
    assert not ContactConsent.objects.exists()


def test_likely_duplicates_are_shown_before_saving_then_save_anyway(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    existing = services.contact_create(
        user=org.owner, data={"account": account, "first_name": "Anna", "last_name": "Schmidt"}
    )
    client.force_login(org.owner)

    first = client.post(f"/accounts/{account.pk}/contacts/new/", FORM)
    second = client.post(
        f"/accounts/{account.pk}/contacts/new/", {**FORM, "ignore_duplicates": "on"}
    )

    page = first.content.decode()
    assert "This person may already be in KAM" in page
    assert f'href="/contacts/{existing.pk}/"' in page
    assert 'value="Head of purchasing"' in page
    assert second.status_code == 302
    assert Contact.objects.filter(last_name="Schmidt").count() == 2


def test_duplicates_check_shows_only_contacts_one_may_see(client: Any, org: Any) -> None:
    mine = AccountFactory(owner=org.owner)
    foreign = AccountFactory(owner=org.other)
    ContactFactory(account=foreign, last_name="Hidden", emails=["anna@acme.de"])
    client.force_login(org.owner)

    response = client.post(f"/accounts/{mine.pk}/contacts/new/", FORM)

    assert response.status_code == 302
    assert "Hidden" not in response.content.decode()


def test_contact_edit_conflict_keeps_input_and_second_save_applies(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    contact = ContactFactory(account=account, last_name="Old", job_title="Buyer")
    Contact.objects.filter(pk=contact.pk).update(job_title="Director", version=2)
    client.force_login(org.owner)

    stale = client.post(f"/contacts/{contact.pk}/edit/", {**FORM, "version": 1})
    again = client.post(f"/contacts/{contact.pk}/edit/", {**FORM, "version": 2})

    page = stale.content.decode()
    assert "changed by someone else" in page
    assert "Director" in page
    assert 'value="Schmidt"' in page
    assert again["Location"] == f"/contacts/{contact.pk}/"
    assert Contact.objects.get(pk=contact.pk).job_title == "Head of purchasing"


def test_contact_edit_form_shows_stored_values_and_unchanged_consent_is_not_rewritten(
    client: Any, org: Any
) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)
    client.post(f"/accounts/{account.pk}/contacts/new/", FORM)
    contact = Contact.objects.get()
    stamped = ContactConsent.objects.get(channel="phone").given_at

    form = client.get(f"/contacts/{contact.pk}/edit/").content.decode()
    client.post(
        f"/contacts/{contact.pk}/edit/",
        {**FORM, "consent_phone_given_at": "2026-01-15", "consent_email": "", "version": 1},
    )

    assert 'value="anna@acme.de"' in form
    assert 'value="Signed form at the fair"' in form
    assert ContactConsent.objects.get(channel="phone").given_at == stamped
    assert not ContactConsent.objects.filter(channel="email").exists()


def test_custom_fields_are_typed_and_required_ones_enforced(client: Any, org: Any) -> None:
    CustomField.objects.create(
        applies_to="contact", key="shoe", label="Shoe size", field_type="number", is_required=True
    )
    CustomField.objects.create(
        applies_to="contact", key="golf", label="Plays golf", field_type="boolean"
    )
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)

    bad = client.post(
        f"/accounts/{account.pk}/contacts/new/",
        {**FORM, "custom_shoe": "big", "custom_golf": "yes"},
    )
    good = client.post(
        f"/accounts/{account.pk}/contacts/new/", {**FORM, "custom_shoe": "42", "custom_golf": "yes"}
    )

    assert "big is not a valid number." in bad.content.decode()
    assert good.status_code == 302
    assert Contact.objects.get().custom == {"shoe": "42", "golf": True}


def test_contact_page_shows_reach_consent_and_history(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)
    client.post(f"/accounts/{account.pk}/contacts/new/", FORM)
    contact = Contact.objects.get()

    page = client.get(f"/contacts/{contact.pk}/").content.decode()

    assert '<h1 class="h3 mb-1">Anna Schmidt' in page
    assert 'href="mailto:anna@acme.de"' in page
    assert "Signed form at the fair" in page
    assert "Refused" in page
    assert f'href="/contacts/{contact.pk}/edit/"' in page
    assert "History" in page


def test_contact_list_links_each_contact_and_offers_a_new_one(client: Any, org: Any) -> None:
    contact = ContactFactory(account=AccountFactory(owner=org.owner, name="Acme"))
    client.force_login(org.owner)

    page = client.get("/contacts/").content.decode()
    found = client.get("/contacts/new/", {"q": "acm"}).content.decode()

    assert f'href="/contacts/{contact.pk}/"' in page
    assert 'href="/contacts/new/"' in page
    assert f'href="/accounts/{contact.account_id}/contacts/new/"' in found


def test_new_contact_finder_lists_only_accounts_one_may_change(client: Any, org: Any) -> None:
    AccountFactory(owner=org.other, name="Acme South")
    mine = AccountFactory(owner=org.owner, name="Acme North")
    client.force_login(org.owner)

    page = client.get("/contacts/new/", {"q": "Acme"}).content.decode()

    assert "Acme North" in page
    assert "Acme South" not in page
    assert f"/accounts/{mine.pk}/contacts/new/" in page


@pytest.mark.parametrize(
    ("role", "view", "change"),
    [
        ("other", 404, 404),
        ("staff", 404, 404),
        ("auditor", 200, 403),
        ("lead", 200, 302),
        ("sales_head", 200, 302),
        ("owner", 200, 302),
    ],
)
def test_contact_pages_follow_the_access_rule(
    client: Any, org: Any, role: str, view: int, change: int
) -> None:
    account = AccountFactory(owner=org.owner)
    contact = ContactFactory(account=account, last_name="Secretive", job_title="CFO")
    client.force_login(getattr(org, role))

    detail = client.get(f"/contacts/{contact.pk}/")
    edit = client.post(f"/contacts/{contact.pk}/edit/", {**FORM, "version": 1})
    create = client.post(
        f"/accounts/{account.pk}/contacts/new/",
        {**FORM, "last_name": "New", "emails": [], "phones": []},
    )

    assert (detail.status_code, edit.status_code, create.status_code) == (view, change, change)
    if change != 302:
        assert Contact.objects.get(pk=contact.pk).job_title == "CFO"
        assert not Contact.objects.filter(last_name="New").exists()
    if view == 404:
        assert b"Secretive" not in detail.content


def test_contact_list_costs_constant_queries(
    client: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    account = AccountFactory(owner=org.owner)
    for _n in range(30):
        ContactFactory(account=account)
    client.force_login(org.owner)

    with django_assert_max_num_queries(10):
        response = client.get("/contacts/")

    assert len(response.context["page"].object_list) == 30
