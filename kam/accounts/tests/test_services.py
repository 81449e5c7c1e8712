"""Creating and editing accounts and contacts: validation users can trust, and access."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kam.accounts import services, validation
from kam.accounts.errors import AccountError
from kam.accounts.models import Account, Contact, CustomField
from kam.accounts.tests.factories import AccountFactory
from kam.core.errors import ConflictError, NotFoundError, PermissionDeniedError

pytestmark = pytest.mark.django_db


def test_create_normalises_what_people_type(org: Any) -> None:
    account = services.account_create(
        user=org.owner,
        data={
            "name": "  Romashka LLC ",
            "country": "de",
            "website": "https://www.Romashka.de/about",
            "emails": ["Info@Romashka.DE", "info@romashka.de"],
            "phones": ["030 1234567", "+49 30 1234567"],
            "tax_number": "DE 136 695 976",
        },
    )

    assert account.name == "Romashka LLC"
    assert account.country == "DE"
    assert account.domain == "romashka.de"
    assert account.name_key == "romashka"
    assert account.emails == ["info@romashka.de"]
    assert account.phones == ["+49301234567"]
    assert account.tax_number == "136695976"
    assert account.owner == org.owner


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "A", "emails": ["not-an-email"]}, "emails", "not-an-email is not a valid e-mail"),
        ({"name": "A", "phones": ["12"]}, "phones", "12 is not a valid phone number"),
        (
            {"name": "A", "country": "RU", "tax_number": "7707083894"},
            "tax_number",
            "7707083894 is not a valid tax number for RU",
        ),
        ({"name": "A", "colour": "red"}, "colour", "Unknown field."),
    ],
)
def test_bad_input_names_the_field_and_the_reason(
    org: Any, data: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(AccountError) as raised:
        services.account_create(user=org.owner, data=data)

    assert list(raised.value.fields) == [field]
    assert raised.value.fields[field][0].startswith(message)
    assert Account.objects.count() == 0


def test_a_valid_russian_inn_is_accepted(org: Any) -> None:
    account = services.account_create(
        user=org.owner, data={"name": "Sber", "country": "RU", "tax_number": "7707083893"}
    )

    assert account.tax_number == "7707083893"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("OOO «Ромашка»", "romashka"),
        ("ROMASHKA, L.L.C.", "romashka"),
        ("Müller GmbH & Co. KG", "muller"),
        ("The Group", "the group"),
    ],
)
def test_name_key_strips_legal_forms_case_punctuation_and_script(name: str, key: str) -> None:
    assert validation.name_key(name) == key


def test_only_head_of_sales_assigns_an_account_to_someone_else(org: Any) -> None:
    with pytest.raises(PermissionDeniedError):
        services.account_create(user=org.owner, data={"name": "A", "owner": org.peer})

    account = services.account_create(user=org.sales_head, data={"name": "A", "owner": org.peer})

    assert account.owner == org.peer


def test_auditor_cannot_create(org: Any) -> None:
    with pytest.raises(PermissionDeniedError):
        services.account_create(user=org.auditor, data={"name": "A"})


def test_linking_a_parent_needs_the_right_to_change_it(org: Any) -> None:
    foreign_group = AccountFactory(owner=org.other)

    with pytest.raises(NotFoundError):
        services.account_create(user=org.owner, data={"name": "Sub", "parent": foreign_group})
    assert Account.objects.filter(name="Sub").exists() is False


def test_a_group_cannot_become_its_own_descendant(org: Any) -> None:
    group = AccountFactory(owner=org.owner)
    child = AccountFactory(owner=org.owner, parent=group)

    with pytest.raises(AccountError) as raised:
        services.account_update(
            user=org.owner, account=group, expected_version=1, data={"parent": child}
        )

    assert list(raised.value.fields) == ["parent"]


def test_update_with_a_stale_version_conflicts(org: Any) -> None:
    account = AccountFactory(owner=org.owner, name="Old")
    services.account_update(
        user=org.owner, account=account, expected_version=1, data={"name": "New"}
    )

    with pytest.raises(ConflictError):
        services.account_update(
            user=org.owner, account=account, expected_version=1, data={"name": "Stale"}
        )
    assert Account.objects.get(pk=account.pk).name == "New"


def test_roles_without_permission_cannot_set_confidential_fields(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    account.team_members.add(org.marketing)

    with pytest.raises(PermissionDeniedError):
        services.account_update(
            user=org.marketing,
            account=account,
            expected_version=1,
            data={"credit_limit": Decimal("1")},
        )
    with pytest.raises(PermissionDeniedError):
        services.account_create(user=org.marketing, data={"name": "M", "credit_limit": 5})


def test_custom_fields_are_typed_and_checked(org: Any) -> None:
    CustomField.objects.create(
        applies_to="account", key="employees", label="Employees", field_type="number"
    )
    CustomField.objects.create(
        applies_to="account",
        key="segment",
        label="Segment",
        field_type="choice",
        options=["retail", "industry"],
    )

    account = services.account_create(
        user=org.owner,
        data={"name": "A", "custom": {"employees": "1 200".replace(" ", ""), "segment": "retail"}},
    )
    with pytest.raises(AccountError) as raised:
        services.account_create(
            user=org.owner,
            data={"name": "B", "custom": {"employees": "many", "size": 3, "segment": "farming"}},
        )

    assert account.custom == {"employees": "1200", "segment": "retail"}
    assert sorted(raised.value.fields) == ["custom.employees", "custom.segment", "custom.size"]


def test_contacts_inherit_their_accounts_access(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    contact = services.contact_create(
        user=org.owner,
        data={
            "account": account,
            "last_name": "Petrov",
            "emails": ["p@x.io"],
            "phones": ["+7 495 123-45-67"],
        },
    )

    assert contact.owner == org.owner
    assert contact.phones == ["+74951234567"]
    assert list(Contact.objects.visible_to(org.owner)) == [contact]
    assert list(Contact.objects.visible_to(org.other)) == []
    assert list(Contact.objects.visible_to(org.lead)) == [contact]
    with pytest.raises(NotFoundError):
        services.contact_create(user=org.other, data={"account": account, "last_name": "X"})


def test_consent_records_when_and_how(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    contact = services.contact_create(user=org.owner, data={"account": account, "last_name": "P"})

    services.contact_set_consent(
        user=org.owner,
        contact=contact,
        channel="email",
        is_granted=True,
        how="signed form at the exhibition",
    )
    consent = services.contact_set_consent(
        user=org.owner, contact=contact, channel="email", is_granted=False, how="asked by phone"
    )

    assert contact.consents.count() == 1
    assert (consent.is_granted, consent.how) == (False, "asked by phone")


def test_update_reads_phones_and_tax_numbers_in_the_stored_country(org: Any) -> None:
    account = services.account_create(user=org.owner, data={"name": "Globex", "country": "DE"})

    updated = services.account_update(
        user=org.owner, account=account, expected_version=1, data={"phones": ["030 7654321"]}
    )
    with pytest.raises(AccountError) as raised:
        services.account_update(
            user=org.owner, account=updated, expected_version=2, data={"tax_number": "123"}
        )

    assert updated.phones == ["+49307654321"]
    assert list(raised.value.fields) == ["tax_number"]


def test_a_conflict_shows_what_the_editor_typed_not_derived_keys(org: Any) -> None:
    account = services.account_create(user=org.owner, data={"name": "Globex"})
    services.account_update(
        user=org.owner, account=account, expected_version=1, data={"name": "Globex 2"}
    )

    with pytest.raises(ConflictError) as raised:
        services.account_update(
            user=org.owner, account=account, expected_version=1, data={"name": "Globex 3"}
        )

    assert set(raised.value.extra["current"]) == {"name", "version"}
