"""Exports: visibility and confidential fields, formula neutralisation, CSV/XLSX/vCard, audit."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import vobject
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from kam.accounts import exporting, selectors, services
from kam.accounts.errors import AccountError
from kam.accounts.models import Account, Contact
from kam.accounts.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def _csv(chunks: Any) -> list[list[str]]:
    data = b"".join(chunks)
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture
def base(org: Any) -> dict[str, Any]:
    acme = services.account_create(
        user=org.owner,
        data={
            "name": '=HYPERLINK("http://evil","Acme")',
            "country": "DE",
            "website": "https://acme.de",
            "phones": ["+49 30 1234567"],
            "tier": "key",
            "credit_limit": Decimal("-5000.00"),
            "notes": "@SUM(1+1)\tand more",
        },
    )
    services.contact_create(
        user=org.owner,
        data={
            "account": acme,
            "first_name": "Anna",
            "middle_name": "Maria",
            "last_name": "Berg",
            "job_title": "CFO",
            "emails": ["anna@acme.de", "a.berg@acme.de"],
            "phones": ["+49 30 7654321"],
            "notes": "Met at the fair",
        },
    )
    theirs = services.account_create(user=org.other, data={"name": "Other Co", "tier": "key"})
    mine = AccountFactory(name="Marketing Co", owner=org.marketing, credit_limit=Decimal("10"))
    return {"acme": acme, "theirs": theirs, "mine": mine}


def test_csv_shows_only_visible_rows_and_neutralises_formulas(org: Any, base: Any) -> None:
    rows = _csv(
        exporting.export_accounts(user=org.owner, queryset=Account.objects.all(), fmt="csv")
    )

    header, (acme,) = rows[0], rows[1:]
    record = dict(zip(header, acme, strict=True))
    assert header[:4] == ["ID", "Name", "Legal name", "Country"]
    assert record["Name"] == '\'=HYPERLINK("http://evil","Acme")'
    assert record["Phones"] == "'+49301234567"
    assert record["Notes"] == "'@SUM(1+1)\tand more"
    assert record["Credit limit"] == "-5000.00"  # a number, not a formula
    assert (record["Tier"], record["Owner"], record["Country"]) == ("Key", "owner", "DE")


def test_confidential_columns_are_left_out_for_roles_without_the_permission(
    org: Any, base: Any
) -> None:
    marketing = _csv(
        exporting.export_accounts(user=org.marketing, queryset=Account.objects.all(), fmt="csv")
    )
    head = _csv(
        exporting.export_accounts(user=org.sales_head, queryset=Account.objects.all(), fmt="csv")
    )

    assert "Credit limit" not in marketing[0]
    assert "Payment terms (days)" not in marketing[0]
    assert [row[1] for row in marketing[1:]] == ["Marketing Co"]
    assert "Credit limit" in head[0]
    assert "Payment terms (days)" in head[0]
    assert sorted(row[1] for row in head[1:]) == [
        '\'=HYPERLINK("http://evil","Acme")',
        "Marketing Co",
        "Other Co",
    ]


def test_an_unscoped_queryset_is_scoped_again(org: Any, base: Any) -> None:
    everything = Account.objects.all()

    rows = _csv(exporting.export_accounts(user=org.other, queryset=everything, fmt="csv"))

    assert [row[1] for row in rows[1:]] == ["Other Co"]


def test_xlsx_cells_are_text_that_never_runs(org: Any, base: Any) -> None:
    data = b"".join(
        exporting.export_accounts(user=org.owner, queryset=Account.objects.all(), fmt="xlsx")
    )

    sheet = load_workbook(io.BytesIO(data)).active
    header, acme = [list(row) for row in sheet.iter_rows(values_only=True)]
    record = dict(zip(header, acme, strict=True))
    assert record["Name"] == '\'=HYPERLINK("http://evil","Acme")'
    assert record["Credit limit"] == -5000
    assert sheet["B2"].data_type == "s"


def test_vcards_are_read_back_by_a_vcard_parser(org: Any, base: Any) -> None:
    data = b"".join(
        exporting.export_contacts(user=org.owner, queryset=Contact.objects.all(), fmt="vcf")
    )

    (card,) = list(vobject.readComponents(data.decode()))
    assert card.version.value == "3.0"
    assert card.fn.value == "Anna Maria Berg"
    assert (card.n.value.family, card.n.value.given, card.n.value.additional) == (
        "Berg",
        "Anna",
        "Maria",
    )
    assert card.org.value == ['=HYPERLINK("http://evil","Acme")']
    assert card.title.value == "CFO"
    assert [e.value for e in card.contents["email"]] == ["anna@acme.de", "a.berg@acme.de"]
    assert [t.value for t in card.contents["tel"]] == ["+49307654321"]
    assert card.note.value == "Met at the fair"


def test_vcards_are_for_contacts_only(org: Any) -> None:
    with pytest.raises(AccountError) as raised:
        exporting.export_accounts(user=org.owner, queryset=Account.objects.all(), fmt="vcf")

    assert raised.value.message == (
        "vCard is a format for contacts; export accounts as CSV or XLSX."
    )


def test_contacts_csv_has_the_headers_the_importer_reads_back(
    tmp_path: Path, org: Any, base: Any
) -> None:
    from kam.accounts.importing.jobs import preview_file

    data = b"".join(
        exporting.export_contacts(user=org.owner, queryset=Contact.objects.all(), fmt="csv")
    )
    path = tmp_path / "contacts.csv"
    path.write_bytes(data)

    preview = preview_file(path, user=org.owner, target="contacts")

    assert preview["mapping"] == {
        "First name": "first_name",
        "Middle name": "middle_name",
        "Last name": "last_name",
        "Job title": "job_title",
        "Buying role": "buying_role",
        "E-mails": "emails",
        "Phones": "phones",
        "Preferred channel": "preferred_channel",
        "Do not contact": "do_not_contact",
        "Birthday": "birthday",
        "Notes": "notes",
        "Owner": "owner",
        "Account": "account.name",
        "Company website": "account.website",
        "Country": "account.country",
    }


def test_exports_are_audited(org: Any, base: Any) -> None:
    queryset = selectors.account_list(user=org.owner)
    b"".join(
        exporting.export_accounts(
            user=org.owner, queryset=queryset, fmt="csv", filters={"tier": "key"}
        )
    )

    entry = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).get()
    assert (entry.actor, entry.object_id) == (org.owner, org.owner.pk)
    assert entry.additional_data == {
        "event": "export",
        "model": "accounts.account",
        "format": "csv",
        "count": 1,
        "filters": {"tier": "key"},
    }


def test_the_command_requires_the_user_whose_visibility_applies(org: Any) -> None:
    with pytest.raises(CommandError) as raised:
        call_command("export", "accounts")

    assert str(raised.value).startswith("Name the user whose visibility applies: --as USERNAME")


def test_the_command_filters_and_writes_a_file(tmp_path: Path, org: Any, base: Any) -> None:
    services.account_create(user=org.owner, data={"name": "Small", "tier": "standard"})
    output = tmp_path / "key.csv"

    call_command(
        "export", "accounts", "--as", "owner", "--filter", "tier=key", "--output", str(output),
        stderr=io.StringIO(),
    )  # fmt: skip

    rows = _csv([output.read_bytes()])
    assert [row[1] for row in rows[1:]] == ['\'=HYPERLINK("http://evil","Acme")']


def test_the_command_refuses_unknown_or_invalid_filters(org: Any) -> None:
    with pytest.raises(CommandError) as unknown:
        call_command("export", "accounts", "--as", "owner", "--filter", "colour=red")
    with pytest.raises(CommandError) as invalid:
        call_command("export", "accounts", "--as", "owner", "--filter", "tier=gold")
    with pytest.raises(CommandError) as nobody:
        call_command("export", "accounts", "--as", "nobody")

    assert str(unknown.value).startswith("--filter 'colour=red': expected KEY=VALUE, KEY one of ")
    assert str(invalid.value) == (
        "--filter: tier: Select a valid choice. gold is not one of the available choices."
    )
    assert str(nobody.value) == "--as: there is no active user 'nobody'"


def test_the_command_writes_to_stdout(org: Any, base: Any, capsysbinary: Any) -> None:
    call_command("export", "contacts", "--as", "owner", "--format", "vcf")

    out = capsysbinary.readouterr().out
    assert out.startswith(b"BEGIN:VCARD\r\nVERSION:3.0\r\n")
    assert out.count(b"BEGIN:VCARD") == 1
