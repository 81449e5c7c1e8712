"""Importing an account's parent, tags and addresses: resolution, creation, updates, bad values."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from auditlog.models import LogEntry

from kam.accounts import services
from kam.accounts.importing.engine import ImportOptions, ImportSummary, run_import
from kam.accounts.models import Account, AccountAddress, Contact, Tag

pytestmark = pytest.mark.django_db


def run(
    user: Any, tmp_path: Path, text: str, target: str = "accounts", **options: Any
) -> tuple[ImportSummary, list[list[str]]]:
    path = tmp_path / "file.csv"
    path.write_text(text, encoding="utf-8")
    report = io.StringIO()
    summary = run_import(
        path=path, user=user, options=ImportOptions(target=target, **options), report=report
    )
    return summary, list(csv.reader(io.StringIO(report.getvalue())))[1:]


def parent_of(name: str) -> str | None:
    parent = Account.objects.get(name=name).parent
    return None if parent is None else parent.name


# --- parents ----------------------------------------------------------------------------------


def test_a_parent_is_found_by_name_tax_number_or_id_in_the_base(tmp_path: Path, org: Any) -> None:
    group = services.account_create(
        user=org.owner, data={"name": "Acme Holding", "country": "DE", "tax_number": "DE136695976"}
    )
    text = (
        "Name,Parent Account\n"
        "Acme Berlin,ACME HOLDING\n"
        f"Acme Hamburg,DE 136 695 976\n"
        f"Acme Munich,{group.pk}\n"
    )

    summary, errors = run(org.owner, tmp_path, text)

    assert (summary.created, errors) == (3, [])
    assert {parent_of(n) for n in ("Acme Berlin", "Acme Hamburg", "Acme Munich")} == {
        "Acme Holding"
    }


def test_a_parent_earlier_in_the_file_is_linked_within_a_batch_and_across_batches(
    tmp_path: Path, org: Any
) -> None:
    text = (
        "Name,Parent Company,Tax ID,Country\n"
        "Group One,,,\n"
        "Sub A,Group One,,\n"
        "Sub B,Group One,,\n"  # the next batch: Group One is in the base by then
        "Group Two,,7707083893,RU\n"
        "Sub C,7707083893,,\n"
    )

    summary, errors = run(org.owner, tmp_path, text, batch_size=2)

    assert (summary.created, errors) == (5, [])
    assert [parent_of(n) for n in ("Sub A", "Sub B", "Sub C", "Group One")] == [
        "Group One",
        "Group One",
        "Group Two",
        None,
    ]


def test_a_parent_named_by_a_duplicate_row_is_the_account_that_row_matched(
    tmp_path: Path, org: Any
) -> None:
    existing = services.account_create(
        user=org.owner, data={"name": "Beta", "website": "beta.example"}
    )
    text = "Name,Website,Parent\nBeta Group Ltd,beta.example,\nBeta Sub,,Beta Group Ltd\n"

    summary, errors = run(org.owner, tmp_path, text)

    assert (summary.created, summary.skipped, errors) == (1, 1, [])
    assert Account.objects.get(name="Beta Sub").parent_id == existing.pk


def test_an_unknown_or_ambiguous_parent_is_a_row_error_naming_column_and_value(
    tmp_path: Path, org: Any
) -> None:
    services.account_create(user=org.owner, data={"name": "Twin", "country": "DE"})
    services.account_create(user=org.owner, data={"name": "Twin GmbH", "country": "AT"})
    text = "Name,Parent Account\nOrphan,Nobody Inc\nConfused,Twin\nLater,Child\nChild,\n"

    summary, errors = run(org.owner, tmp_path, text)

    assert (summary.created, summary.errors) == (1, 3)
    assert errors == [
        [
            "2",
            "Parent Account",
            "Nobody Inc",
            "There is no account 'Nobody Inc' (name the parent by its name, tax number or id; "
            "it must be in the base or earlier in the file).",
        ],
        [
            "3",
            "Parent Account",
            "Twin",
            "2 accounts are called 'Twin': give the parent's tax number or id instead.",
        ],
        [
            "4",
            "Parent Account",
            "Child",
            "There is no account 'Child' (name the parent by its name, tax number or id; it "
            "must be in the base or earlier in the file).",
        ],
    ]
    assert list(Account.objects.values_list("name", flat=True)) == ["Child", "Twin", "Twin GmbH"]


def test_a_parent_the_user_may_not_see_is_unknown(tmp_path: Path, org: Any) -> None:
    hidden = services.account_create(user=org.other, data={"name": "Southern Group"})
    services.account_create(user=org.peer, data={"name": "Peer Group"})
    text = f"Name,Parent Account\nA,Southern Group\nB,{hidden.pk}\nC,Peer Group\n"

    summary, errors = run(org.owner, tmp_path, text)

    assert (summary.created, summary.errors) == (0, 3)
    assert [e[3].split(" (")[0] for e in errors] == [
        "There is no account 'Southern Group'",
        f"There is no account '{hidden.pk}'",
        "There is no account 'Peer Group'",
    ]
    assert Account.objects.filter(parent__isnull=False).count() == 0


def test_an_update_sets_the_parent_through_the_service_and_refuses_a_cycle(
    tmp_path: Path, org: Any
) -> None:
    group = services.account_create(user=org.owner, data={"name": "Group"})
    child = services.account_create(user=org.owner, data={"name": "Child", "parent": group})
    text = "Name,Parent Account\nGroup,Child\nLoose,Group\n"
    services.account_create(user=org.owner, data={"name": "Loose"})

    summary, errors = run(org.owner, tmp_path, text, on_duplicate="update")

    assert (summary.updated, summary.errors) == (1, 1)
    assert errors[0][:2] == ["2", "Parent Account"]
    assert errors[0][3] == "An account cannot be its own group's child."
    group.refresh_from_db()
    assert (group.parent_id, parent_of("Loose"), child.parent_id) == (None, "Group", group.pk)


def test_a_dry_run_resolves_parents_and_writes_nothing(tmp_path: Path, org: Any) -> None:
    text = "Name,Parent Account\nTop,\nMid,Top\nLow,Mid\nBad,Nowhere\n"

    summary, errors = run(org.owner, tmp_path, text, dry_run=True, batch_size=2)

    assert (summary.created, summary.errors, [e[0] for e in errors]) == (3, 1, ["5"])
    assert Account.objects.count() == 0


# --- tags -------------------------------------------------------------------------------------


def test_tags_are_split_created_when_missing_and_audited(tmp_path: Path, org: Any) -> None:
    Tag.objects.create(name="key")
    text = 'Name,Tags\nAcme,"key; retail, retail"\nBeta,key|wholesale\nGamma,\n'

    summary, errors = run(org.owner, tmp_path, text)

    assert (summary.created, errors) == (3, [])
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["key", "retail", "wholesale"]
    tags = {a.name: sorted(t.name for t in a.tags.all()) for a in Account.objects.all()}
    assert tags == {"Acme": ["key", "retail"], "Beta": ["key", "wholesale"], "Gamma": []}
    entry = LogEntry.objects.get_for_object(Account.objects.get(name="Acme")).get()
    assert entry.changes_dict["tags"] == {
        "type": "m2m",
        "operation": "add",
        "objects": ["key", "retail"],
    }


def test_a_tag_too_long_is_a_row_error(tmp_path: Path, org: Any) -> None:
    summary, errors = run(org.owner, tmp_path, f"Name,Tags\nAcme,ok;{'x' * 51}\n")

    assert (summary.created, errors) == (
        0,
        [["2", "Tags", "x" * 51, "A tag has at most 50 characters."]],
    )
    assert Tag.objects.count() == 0


def test_an_update_adds_tags_to_the_accounts_own(tmp_path: Path, org: Any) -> None:
    acme = services.account_create(user=org.owner, data={"name": "Acme"})
    services.account_set_tags(user=org.owner, account=acme, names=["old"])

    summary, _ = run(org.owner, tmp_path, "Name,Tags\nAcme,new\n", on_duplicate="update")
    again, _ = run(org.owner, tmp_path, "Name,Tags\nAcme,new;old\n", on_duplicate="update")

    assert (summary.updated, again.updated, again.skipped) == (1, 0, 1)
    assert sorted(acme.tags.values_list("name", flat=True)) == ["new", "old"]


# --- addresses --------------------------------------------------------------------------------


def test_the_three_addresses_of_a_salesforce_export_are_imported(tmp_path: Path, org: Any) -> None:
    text = (
        "Account Name,Billing Street,Billing City,Billing Zip/Postal Code,Billing Country,"
        "Mailing Street,Mailing City,Shipping Street,Shipping City,Shipping Country\n"
        "Acme,Hauptstr. 1,Berlin,10115,Germany,Postfach 12,Berlin,Dock 4,Rotterdam,NL\n"
    )

    summary, errors = run(org.owner, tmp_path, text)

    assert (summary.created, errors) == (1, [])
    addresses = {
        a.kind: (a.street, a.city, a.postal_code, str(a.country))
        for a in AccountAddress.objects.filter(account__name="Acme")
    }
    assert addresses == {
        "legal": ("Hauptstr. 1", "Berlin", "10115", "DE"),
        "postal": ("Postfach 12", "Berlin", "", "DE"),  # no country column: the account's
        "delivery": ("Dock 4", "Rotterdam", "", "NL"),
    }
    assert LogEntry.objects.filter(content_type__model="accountaddress").count() == 3


def test_hubspot_street_lines_are_joined(tmp_path: Path, org: Any) -> None:
    text = (
        "Company name,Street Address,Street Address 2,City,State/Region,Postal Code\n"
        "Acme,1 Main St,Suite 5,Springfield,IL,62701\n"
    )

    run(org.owner, tmp_path, text)

    address = AccountAddress.objects.get()
    assert (address.kind, address.street, address.region) == ("legal", "1 Main St, Suite 5", "IL")


def test_bad_address_values_are_row_errors(tmp_path: Path, org: Any) -> None:
    text = (
        "Name,Shipping Country,Billing Zip/Postal Code\n"
        "Acme,Narnia,\n"
        f"Beta,,{'9' * 21}\n"
        "Gamma,FR,75001\n"
    )

    summary, errors = run(org.owner, tmp_path, text)

    assert (summary.created, summary.errors) == (1, 2)
    assert errors == [
        [
            "2",
            "Shipping Country",
            "Narnia",
            "Unknown country 'Narnia': give its ISO code (DE) or its English name (Germany).",
        ],
        [
            "3",
            "Billing Zip/Postal Code",
            "9" * 21,
            "Ensure this value has at most 20 characters (it has 21).",
        ],
    ]
    assert list(AccountAddress.objects.values_list("kind", "postal_code", "country")) == [
        ("delivery", "", "FR"),
        ("legal", "75001", ""),
    ]


def test_an_update_fills_and_changes_addresses(tmp_path: Path, org: Any) -> None:
    acme = services.account_create(user=org.owner, data={"name": "Acme", "country": "DE"})
    AccountAddress.objects.create(account=acme, kind="legal", street="Old 1", city="Bonn")
    text = "Name,Billing Street,Shipping City\nAcme,New 2,Hamburg\n"

    summary, _ = run(org.owner, tmp_path, text, on_duplicate="update")

    assert summary.updated == 1
    addresses = {a.kind: (a.street, a.city) for a in acme.addresses.all()}
    assert addresses == {"legal": ("New 2", "Bonn"), "delivery": ("", "Hamburg")}


def test_a_contacts_file_gives_the_new_companys_address(tmp_path: Path, org: Any) -> None:
    text = (
        "Last Name,Company,Company Street,Company City,Country\n"
        "Petrov,Romashka,Tverskaya 1,Moscow,RU\n"
        "Ivanov,Romashka,Tverskaya 1,Moscow,RU\n"
        "Sidorov,Lyutik,,,RU\n"
    )

    summary, errors = run(org.owner, tmp_path, text, target="contacts")

    assert (summary.created, summary.accounts_created, errors) == (3, 2, [])
    address = AccountAddress.objects.get()
    assert (address.account.name, address.street, address.city, str(address.country)) == (
        "Romashka",
        "Tverskaya 1",
        "Moscow",
        "RU",
    )
    assert Contact.objects.filter(account=address.account).count() == 2


def test_a_bad_company_address_in_a_contacts_file_names_its_column(
    tmp_path: Path, org: Any
) -> None:
    text = f"Last Name,Company,Company Postal Code\nPetrov,Romashka,{'1' * 21}\n"

    summary, errors = run(org.owner, tmp_path, text, target="contacts")

    assert (summary.created, summary.accounts_created) == (0, 0)
    assert errors == [
        [
            "2",
            "Company Postal Code",
            "1" * 21,
            "Ensure this value has at most 20 characters (it has 21).",
        ]
    ]


def test_queries_per_batch_of_accounts_with_parents_tags_and_addresses_are_constant(
    tmp_path: Path, org: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(rows: int) -> int:
        lines = ["Name,Parent Account,Tags,Billing City,Shipping City"]
        lines += [
            f"Firm{rows}x{i},{f'Firm{rows}x{i - 1}' if i % 2 else ''},t{i % 3};all,C{i},S{i}"
            for i in range(rows)
        ]
        path = tmp_path / f"q{rows}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with CaptureQueriesContext(connection) as captured:
            summary = run_import(
                path=path,
                user=org.owner,
                options=ImportOptions(target="accounts", batch_size=20),
            )
        assert (summary.created, summary.errors) == (rows, 0)
        return len(captured)

    queries(20)  # the first import reads what is cached for the process
    one, two, three = queries(20 * 2), queries(20 * 4), queries(20 * 6)

    assert three - two == two - one
    assert (two - one) // 2 <= (70 if connection.vendor == "sqlite" else 25)
    assert AccountAddress.objects.count() == 2 * (20 + 40 + 80 + 120)
