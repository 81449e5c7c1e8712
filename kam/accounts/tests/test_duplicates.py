"""Duplicate detection: the match-key index, exact and fuzzy candidates, scores, access, API."""

from __future__ import annotations

from typing import Any

import pytest

from kam.accounts import duplicates, services
from kam.accounts.models import Account, MatchKey
from kam.accounts.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def _keys(**owner: Any) -> set[tuple[str, str]]:
    return set(MatchKey.objects.filter(**owner).values_list("kind", "value"))


def _romashka(user: Any, **extra: Any) -> Account:
    return services.account_create(
        user=user,
        data={
            "name": "Romashka LLC",
            "country": "RU",
            "website": "https://www.romashka.ru",
            "emails": ["Info@Romashka.ru"],
            "phones": ["+7 495 123-45-67"],
            **extra,
        },
    )


def test_account_services_keep_its_match_keys(org: Any) -> None:
    account = _romashka(org.owner)

    assert _keys(account=account) == {
        ("name", "romashka"),
        ("domain", "romashka.ru"),
        ("email", "info@romashka.ru"),
        ("phone", "+74951234567"),
    }

    services.account_update(
        user=org.owner,
        account=account,
        expected_version=account.version,
        data={"name": "Vasilek OOO", "website": "", "emails": ["sales@gmail.com"]},
    )

    # A free-mail domain identifies a person's mailbox, never a company.
    assert _keys(account=account) == {
        ("name", "vasilek"),
        ("email", "sales@gmail.com"),
        ("phone", "+74951234567"),
    }


def test_contact_services_keep_its_match_keys(org: Any) -> None:
    account = _romashka(org.owner)
    contact = services.contact_create(
        user=org.owner,
        data={
            "account": account,
            "first_name": "Иван",
            "last_name": "Петров",
            "emails": ["Ivan@Romashka.ru"],
            "phones": ["8 495 111-22-33"],
        },
    )

    assert _keys(contact=contact) == {
        ("name", f"{account.pk}:ivan petrov"),
        ("email", "ivan@romashka.ru"),
        ("phone", "+74951112233"),
    }

    services.contact_update(
        user=org.owner, contact=contact, expected_version=contact.version, data={"phones": []}
    )

    assert _keys(contact=contact) == {
        ("name", f"{account.pk}:ivan petrov"),
        ("email", "ivan@romashka.ru"),
    }


def test_rebuild_indexes_the_whole_base_from_scratch(org: Any) -> None:
    first = AccountFactory(name="Acme GmbH", name_key="acme", tax_number="136695976")
    AccountFactory(name="Beta AG", name_key="beta", domain="beta.de")
    ContactFactory(account=first, first_name="Anna", last_name="Berg", emails=["a@acme.de"])
    MatchKey.objects.create(kind="name", value="stale", account=first)

    written = duplicates.rebuild_match_keys(chunk_size=1)

    assert written == 6
    assert set(MatchKey.objects.values_list("kind", "value")) == {
        ("name", "acme"),
        ("tax", "136695976"),
        ("name", "beta"),
        ("domain", "beta.de"),
        ("name", f"{first.pk}:anna berg"),
        ("email", "a@acme.de"),
    }
    assert duplicates.rebuild_match_keys() == 6


def test_exact_keys_find_the_same_company_typed_another_way(org: Any) -> None:
    account = _romashka(org.owner)

    found = duplicates.find_account_duplicates(
        {"name": "ООО «Ромашка»", "website": "romashka.ru/contacts", "country": "ru"},
        user=org.owner,
    )

    assert [(c.id, c.score) for c in found] == [(account.pk, 97)]
    assert [(r.kind, r.value) for r in found[0].reasons] == [
        ("domain", "romashka.ru"),
        ("name", "romashka"),
    ]


def test_each_key_weighs_what_it_proves(org: Any) -> None:
    account = _romashka(org.owner, tax_number="7707083893")

    def score(data: dict[str, Any]) -> int:
        (candidate,) = duplicates.find_account_duplicates(data, user=org.owner)
        assert candidate.id == account.pk
        return candidate.score

    assert score({"tax_number": "7707083893", "country": "RU"}) == 95
    # An e-mail also gives its domain (a company's, not a free-mail one): 85 and 80.
    assert score({"emails": "info@romashka.ru"}) == 97
    assert score({"emails": "ceo@romashka.ru"}) == 80
    assert score({"website": "http://romashka.ru"}) == 80
    assert score({"phones": "+7 (495) 123 45 67"}) == 70
    assert score({"tax_number": "7707083893", "name": "Romashka"}) == 99


def test_similar_names_are_found_fuzzily_within_their_block(org: Any) -> None:
    close = services.account_create(user=org.owner, data={"name": "Romaschka GmbH"})
    services.account_create(user=org.owner, data={"name": "Rosatom"})
    services.account_create(user=org.owner, data={"name": "Vasilek"})

    found = duplicates.find_account_duplicates({"name": "Romashka"}, user=org.owner)

    assert [(c.id, c.score) for c in found] == [(close.pk, 71)]
    assert [(r.kind, r.value) for r in found[0].reasons] == [("similar_name", "romaschka (94%)")]


def test_the_same_name_in_another_country_counts_half(org: Any) -> None:
    account = services.account_create(user=org.owner, data={"name": "Siemens AG", "country": "DE"})

    (candidate,) = duplicates.find_account_duplicates(
        {"name": "Siemens OOO", "country": "RU"}, user=org.owner
    )

    assert (candidate.id, candidate.score) == (account.pk, 43)


def test_candidates_are_only_what_the_user_may_see(org: Any) -> None:
    account = _romashka(org.owner)
    probe = {"name": "Romashka", "website": "romashka.ru"}

    assert duplicates.find_account_duplicates(probe, user=org.other) == []
    assert duplicates.find_account_duplicates(probe, user=org.staff) == []
    assert [c.id for c in duplicates.find_account_duplicates(probe, user=org.lead)] == [account.pk]
    assert [c.id for c in duplicates.find_account_duplicates(probe, user=org.auditor)] == [
        account.pk
    ]


def test_a_record_is_not_its_own_duplicate(org: Any) -> None:
    account = _romashka(org.owner)
    twin = _romashka(org.owner, name="Romashka")

    assert [c.id for c in duplicates.find_account_duplicates(account, user=org.owner)] == [twin.pk]
    assert (
        duplicates.find_account_duplicates(
            {"name": "Romashka"}, user=org.owner, exclude_id=account.pk, limit=5
        )[0].id
        == twin.pk
    )


def test_contact_duplicates_by_email_anywhere_and_by_name_at_the_account(org: Any) -> None:
    account = _romashka(org.owner)
    other_account = services.account_create(user=org.owner, data={"name": "Vasilek"})
    ivan = services.contact_create(
        user=org.owner,
        data={"account": account, "first_name": "Ivan", "last_name": "Petrov"},
    )
    anna = services.contact_create(
        user=org.owner,
        data={
            "account": other_account,
            "first_name": "Anna",
            "last_name": "Berg",
            "emails": ["anna@berg.de"],
            "phones": ["+49 30 1234567"],
        },
    )
    find = duplicates.find_contact_duplicates

    by_email = find(
        {"last_name": "X", "emails": "ANNA@berg.de", "account": account}, user=org.owner
    )
    by_name = find(
        {"first_name": "Petrov", "last_name": "Ivan", "account": account.pk}, user=org.owner
    )
    similar = find(
        {"first_name": "Ivan", "last_name": "Petrow", "account": account}, user=org.owner
    )
    by_phone = find({"last_name": "Z", "phones": "+49301234567"}, user=org.owner)

    assert [(c.id, c.score) for c in by_email] == [(anna.pk, 95)]
    assert [(c.id, c.score) for c in by_name] == [(ivan.pk, 85)]
    assert [(c.id, c.score, c.reasons[0].kind) for c in similar] == [(ivan.pk, 68, "similar_name")]
    assert [(c.id, c.score) for c in by_phone] == [(anna.pk, 75)]
    assert find({"last_name": "Ivan", "emails": "anna@berg.de"}, user=org.other) == []


def test_api_lists_account_candidates_before_saving(api_as: Any, org: Any) -> None:
    account = _romashka(org.owner)

    response = api_as(org.owner).get(
        "/api/v1/accounts/duplicates/",
        {"name": "Romashka Ltd", "emails": "x@y.z, INFO@romashka.ru"},
    )

    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "results": [
            {
                "id": account.pk,
                "score": 98,
                "reasons": [
                    {"kind": "email", "value": "info@romashka.ru"},
                    {"kind": "name", "value": "romashka"},
                ],
                "name": "Romashka LLC",
                "country": "RU",
                "domain": "romashka.ru",
                "tax_number": "",
                "owner": "owner",
            }
        ],
    }


def test_api_account_candidates_access_and_validation(
    api: Any, api_as: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    _romashka(org.owner)

    anonymous = api.get("/api/v1/accounts/duplicates/", {"name": "Romashka"})
    empty = api_as(org.owner).get("/api/v1/accounts/duplicates/")
    with django_assert_max_num_queries(6):
        hidden = api_as(org.other).get("/api/v1/accounts/duplicates/", {"name": "Romashka"})

    assert anonymous.status_code == 401
    assert empty.status_code == 400
    assert empty.json()["fields"] == {
        "non_field_errors": ["Give at least one of: name, website, tax_number, emails, phones."]
    }
    assert hidden.json() == {"count": 0, "results": []}


def test_api_lists_contact_candidates(api_as: Any, org: Any) -> None:
    account = _romashka(org.owner)
    ivan = services.contact_create(
        user=org.owner,
        data={"account": account, "first_name": "Ivan", "last_name": "Petrov", "emails": "i@r.ru"},
    )

    found = api_as(org.owner).get(
        "/api/v1/contacts/duplicates/",
        {"first_name": "ivan", "last_name": "petrov", "account": account.pk},
    )
    invisible_account = api_as(org.other).get(
        "/api/v1/contacts/duplicates/", {"last_name": "Petrov", "account": account.pk}
    )

    assert found.status_code == 200
    assert found.json()["results"] == [
        {
            "id": ivan.pk,
            "score": 85,
            "reasons": [{"kind": "name", "value": f"{account.pk}:ivan petrov"}],
            "first_name": "Ivan",
            "last_name": "Petrov",
            "account": account.pk,
            "account_name": "Romashka LLC",
            "emails": ["i@r.ru"],
            "phones": [],
        }
    ]
    assert invisible_account.status_code == 404
