"""Importing accounts and contacts: mapping, validation, duplicates, access, bad files, crashes."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from kam.accounts import services
from kam.accounts.importing import engine
from kam.accounts.importing.engine import ImportOptions, ImportSummary, run_import
from kam.accounts.importing.reader import ImportFileError
from kam.accounts.models import (
    Account,
    Contact,
    ImportJob,
    ImportLedger,
    ImportRowError,
    MatchKey,
)
from kam.core.errors import PermissionDeniedError

pytestmark = pytest.mark.django_db

ACCOUNTS_SF = (
    "Account Name,Billing Country,Website,Phone,VAT,Type,Industry,Employees\n"
    "Acme GmbH,Germany,https://www.acme.de,030 1234567,DE 136 695 976,Customer - Direct,"
    "Machinery,250\n"
    "Romashka OOO,RU,romashka.ru,+7 495 123-45-67,,Prospect,,\n"
)


def write(
    tmp_path: Path, text: str | bytes, name: str = "file.csv", encoding: str = "utf-8"
) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


def run(
    user: Any, path: Path, target: str = "accounts", **options: Any
) -> tuple[ImportSummary, list[list[str]]]:
    """Import and return the summary and the report's rows (row, column, value, reason)."""
    report = io.StringIO()
    summary = run_import(
        path=path, user=user, options=ImportOptions(target=target, **options), report=report
    )
    rows = list(csv.reader(io.StringIO(report.getvalue())))
    assert rows[0] == ["row", "column", "value", "reason"]
    return summary, rows[1:]


def counts(summary: ImportSummary) -> tuple[int, int, int, int]:
    return summary.created, summary.updated, summary.skipped, summary.errors


# --- accounts -----------------------------------------------------------------------------------


def test_accounts_from_a_salesforce_export_are_validated_and_normalised(
    tmp_path: Path, org: Any
) -> None:
    summary, errors = run(org.owner, write(tmp_path, ACCOUNTS_SF))

    assert (counts(summary), errors) == ((2, 0, 0, 0), [])
    assert summary.mapping == {
        "Account Name": "name",
        "Billing Country": "country",
        "Website": "website",
        "Phone": "phones",
        "VAT": "tax_number",
        "Type": "kind",
        "Industry": "industry",
        "Employees": "size_band",
    }
    acme = Account.objects.get(name="Acme GmbH")
    assert (acme.country, acme.domain, acme.name_key, acme.tax_number) == (
        "DE",
        "acme.de",
        "acme",
        "136695976",
    )
    assert (acme.phones, acme.kind, acme.size_band, acme.owner) == (
        ["+49301234567"],
        "customer",
        "large",
        org.owner,
    )
    assert Account.objects.get(name="Romashka OOO").phones == ["+74951234567"]
    assert set(MatchKey.objects.filter(account=acme).values_list("kind", "value")) == {
        ("name", "acme"),
        ("domain", "acme.de"),
        ("tax", "136695976"),
        ("phone", "+49301234567"),
    }


def test_imported_records_are_audited_as_created_by_the_importer(tmp_path: Path, org: Any) -> None:
    run(org.owner, write(tmp_path, ACCOUNTS_SF))

    acme = Account.objects.get(name="Acme GmbH")
    entry = LogEntry.objects.get_for_object(acme).get()
    assert (entry.action, entry.actor, entry.additional_data) == (
        LogEntry.Action.CREATE,
        org.owner,
        {"event": "import", "job": None},
    )
    assert entry.changes["name"] == ["None", "Acme GmbH"]
    assert entry.changes["phones"] == ["None", '["+49301234567"]']
    assert "legal_name" not in entry.changes  # empty: nothing was given


@pytest.mark.parametrize(
    ("header", "target", "mapping"),
    [
        (
            "Company name,Company Domain Name,Phone Number,Country/Region,Company owner,"
            "Lifecycle Stage",
            "accounts",
            ["name", "website", "phones", "country", "owner", "status"],
        ),
        (
            "Name,Tax ID,Email,Street,Tags",
            "accounts",
            ["name", "tax_number", "emails", "legal_address.street", "tags"],
        ),
        (
            "Account Name,Parent Account,Billing Street,Billing City,Billing State/Province,"
            "Billing Zip/Postal Code,Billing Country,Shipping Street,Shipping City,"
            "Shipping Zip/Postal Code,Shipping Country",
            "accounts",
            ["name", "parent", "legal_address.street", "legal_address.city",
             "legal_address.region", "legal_address.postal_code", "country",
             "delivery_address.street", "delivery_address.city", "delivery_address.postal_code",
             "delivery_address.country"],
        ),
        (
            "Company name,Parent Company,Street Address,Street Address 2,City,State/Region,"
            "Postal Code,Country/Region",
            "accounts",
            ["name", "parent", "legal_address.street", "legal_address.street",
             "legal_address.city", "legal_address.region", "legal_address.postal_code",
             "country"],
        ),
        (
            "name,Parent Company,street,street2,city,zip,State,Country,Tags",
            "accounts",
            ["name", "parent", "legal_address.street", "legal_address.street",
             "legal_address.city", "legal_address.postal_code", "legal_address.region",
             "country", "tags"],
        ),
        (
            "First Name,Last Name,Title,Email,Mobile Phone,Account Name,Mailing Country",
            "contacts",
            ["first_name", "last_name", "job_title", "emails", "phones", "account.name",
             "account.country"],
        ),
        (
            "Name,Job Position,Email,Mobile,Related Company,Country",
            "contacts",
            ["full_name", "job_title", "emails", "phones", "account.name", "account.country"],
        ),
        (
            "Фамилия;Имя;Должность;Телефон;Компания;ИНН",
            "contacts",
            ["last_name", "first_name", "job_title", "phones", "account.name",
             "account.tax_number"],
        ),
    ],
    ids=["hubspot-companies", "odoo-companies", "salesforce-addresses", "hubspot-addresses",
         "odoo-addresses", "salesforce-contacts", "odoo-contacts", "russian"],
)  # fmt: skip
def test_headers_of_common_exports_are_recognised(
    tmp_path: Path, org: Any, header: str, target: str, mapping: list[str]
) -> None:
    from kam.accounts.importing.jobs import preview_file

    preview = preview_file(write(tmp_path, header + "\n"), user=org.owner, target=target)

    assert list(preview["mapping"].values()) == mapping


def test_an_explicit_mapping_overrides_and_drops_columns(tmp_path: Path, org: Any) -> None:
    path = write(tmp_path, "Firma,Land,Website\nAcme,DE,acme.de\n")

    summary, _ = run(org.owner, path, mapping={"Firma": "name", "Land": "country", "Website": None})

    assert summary.mapping == {"Firma": "name", "Land": "country"}
    acme = Account.objects.get()
    assert (acme.name, acme.country, acme.website) == ("Acme", "DE", "")


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"Firma": "name"}, "The mapping names columns the file does not have: Firma."),
        ({"Name": "colour"}, "The mapping names fields that accounts do not have: colour."),
    ],
)
def test_a_wrong_mapping_is_refused_before_anything_is_written(
    tmp_path: Path, org: Any, mapping: dict[str, str], message: str
) -> None:
    with pytest.raises(ImportFileError) as raised:
        run(org.owner, write(tmp_path, "Name\nAcme\n"), mapping=mapping)

    assert raised.value.message.startswith(message)
    assert Account.objects.count() == 0


def test_a_file_without_a_name_column_is_refused(tmp_path: Path, org: Any) -> None:
    with pytest.raises(ImportFileError) as raised:
        run(org.owner, write(tmp_path, "Website,Phone\nacme.de,1\n"))

    assert raised.value.message == (
        "No column gives the account's name: add a column such as 'Account Name' or "
        "'Company name', or map one with a mapping."
    )


def test_row_errors_name_the_row_the_column_the_value_and_the_reason(
    tmp_path: Path, org: Any
) -> None:
    path = write(
        tmp_path,
        "Name,Email,Phone,Country,VAT\n"
        "Good,info@good.de,,DE,\n"
        "Bad mail,not-an-email,,,\n"
        ",x@y.de,,,\n"
        "Bad phone,,12,,\n"
        "Bad country,,,Narnia,\n"
        "Bad tax,,,RU,7707083894\n",
    )

    summary, errors = run(org.owner, path)

    assert counts(summary) == (1, 0, 0, 5)
    assert errors == [
        [
            "3",
            "Email",
            "not-an-email",
            "not-an-email is not a valid e-mail address: An email address must have an @-sign.",
        ],
        ["4", "Name", "", "This field is required."],
        ["5", "Phone", "12", "12 is not a valid phone number"],
        [
            "6",
            "Country",
            "Narnia",
            "Unknown country 'Narnia': give its ISO code (DE) or its English name (Germany).",
        ],
        ["7", "VAT", "7707083894", "7707083894 is not a valid tax number for RU"],
    ]
    assert list(Account.objects.values_list("name", flat=True)) == ["Good"]


def test_duplicates_are_skipped_updated_or_created_as_asked(tmp_path: Path, org: Any) -> None:
    existing = services.account_create(
        user=org.owner, data={"name": "Acme AG", "country": "DE", "industry": "Old"}
    )
    path = write(tmp_path, "Company,Country,Industry,Phone\nACME GmbH,DE,Machinery,030 1234567\n")

    skipped, _ = run(org.owner, path, on_duplicate="skip")
    path = write(
        tmp_path, "Company,Country,Industry,Phone\nACME GmbH,DE,Machinery,030 1234567\n ,,,\n"
    )
    updated, _ = run(org.owner, path, on_duplicate="update")
    again, _ = run(
        org.owner, write(tmp_path, "Company,Industry\nAcme,Machinery\n"), on_duplicate="update"
    )
    created, _ = run(org.owner, write(tmp_path, "Company\nAcme\n"), on_duplicate="create")

    existing.refresh_from_db()
    assert [counts(s) for s in (skipped, updated, again, created)] == [
        (0, 0, 1, 0),
        (0, 1, 0, 0),
        (0, 0, 1, 0),
        (1, 0, 0, 0),
    ]
    assert (existing.name, existing.industry, existing.phones, existing.version) == (
        "Acme AG",
        "Machinery",
        ["+49301234567"],
        2,
    )
    assert Account.objects.filter(name_key="acme").count() == 2


def test_rows_that_repeat_in_the_file_are_one_record(tmp_path: Path, org: Any) -> None:
    path = write(
        tmp_path, "Name,Website\nAcme GmbH,acme.de\nACME Ltd,www.acme.de\nBeta,\nBeta AG,\n"
    )

    summary, _ = run(org.owner, path, batch_size=3)

    assert counts(summary) == (2, 0, 2, 0)
    assert sorted(Account.objects.values_list("name", flat=True)) == ["Acme GmbH", "Beta"]


def test_a_manager_cannot_update_anothers_account_by_importing(tmp_path: Path, org: Any) -> None:
    theirs = services.account_create(user=org.owner, data={"name": "Acme", "industry": "Old"})
    path = write(tmp_path, "Name,Industry\nAcme,Hacked\n")

    summary, _ = run(org.other, path, on_duplicate="update")

    theirs.refresh_from_db()
    assert (theirs.industry, theirs.version) == ("Old", 1)
    # He does not even learn it exists: his own account is created.
    assert counts(summary) == (1, 0, 0, 0)
    assert Account.objects.get(owner=org.other).industry == "Hacked"


def test_a_team_lead_may_update_his_members_accounts(tmp_path: Path, org: Any) -> None:
    theirs = services.account_create(user=org.owner, data={"name": "Acme", "industry": "Old"})

    summary, _ = run(org.lead, write(tmp_path, "Name,Industry\nAcme,New\n"), on_duplicate="update")

    theirs.refresh_from_db()
    assert (counts(summary), theirs.industry, theirs.owner) == ((0, 1, 0, 0), "New", org.owner)


def test_only_the_head_of_sales_assigns_imported_accounts_to_others(
    tmp_path: Path, org: Any
) -> None:
    path = write(tmp_path, "Name,Account Owner\nAcme,peer\nBeta,owner\n")

    by_manager, errors = run(org.owner, path)
    by_head, _ = run(org.sales_head, path)

    assert counts(by_manager) == (1, 0, 0, 1)
    assert errors == [
        ["2", "Account Owner", "peer", "Only the head of sales or an admin can assign accounts."]
    ]
    assert counts(by_head) == (1, 0, 1, 0)
    assert Account.objects.get(name="Acme").owner == org.peer
    with pytest.raises(PermissionDeniedError):
        run(org.owner, path, owner=org.peer)
    with pytest.raises(PermissionDeniedError):
        run(org.auditor, path)


def test_confidential_columns_are_not_imported_for_roles_without_the_permission(
    tmp_path: Path, org: Any
) -> None:
    path = write(tmp_path, 'Name,Credit Limit\nAcme,"1 000,50"\n')

    marketing, _ = run(org.marketing, path)
    write(tmp_path, 'Name,Credit Limit\nBeta,"1 000,50"\n')
    manager, _ = run(org.owner, path)

    assert marketing.warnings == [
        "Column 'Credit Limit' (credit_limit) is confidential and you may not set it; not imported."
    ]
    assert Account.objects.get(name="Acme").credit_limit is None
    assert str(Account.objects.get(name="Beta").credit_limit) == "1000.50"
    assert manager.warnings == []


def test_a_dry_run_writes_nothing_and_counts_what_a_run_would_do(tmp_path: Path, org: Any) -> None:
    services.account_create(user=org.owner, data={"name": "Acme"})
    path = write(tmp_path, "Name,Email\nAcme,\nBeta,\nBETA AG,\nBad,x\nGamma,\n")

    preview, errors = run(org.owner, path, dry_run=True, batch_size=2)
    assert (Account.objects.count(), ImportLedger.objects.count()) == (1, 0)
    real, _ = run(org.owner, path, batch_size=2)

    assert counts(preview) == counts(real) == (2, 0, 2, 1)
    assert errors == [
        [
            "5",
            "Email",
            "x",
            "x is not a valid e-mail address: An email address must have an @-sign.",
        ]
    ]


# --- contacts -----------------------------------------------------------------------------------

CONTACTS = (
    "First Name;Last Name;Title;Email;Phone;Company;Company Website;Country\n"
    "Ivan;Petrov;CEO;ivan@romashka.ru;8 495 111-22-33;OOO Romashka;romashka.ru;Russia\n"
    "Anna;Schmidt;CFO;anna@acme.de;030 1234567;ACME GmbH;https://www.acme.de;DE\n"
    "Peter;Berg;CTO;peter@acme.de;;Acme;acme.de;DE\n"
)


def test_contacts_find_their_account_or_create_it_once(tmp_path: Path, org: Any) -> None:
    romashka = services.account_create(
        user=org.owner, data={"name": "Romashka LLC", "website": "www.romashka.ru", "country": "RU"}
    )

    summary, errors = run(org.owner, write(tmp_path, CONTACTS), target="contacts")

    assert (counts(summary), summary.accounts_created, errors) == ((3, 0, 0, 0), 1, [])
    ivan, anna, peter = Contact.objects.order_by("pk")
    acme = Account.objects.get(name="ACME GmbH")
    assert (ivan.account, ivan.phones, ivan.owner) == (romashka, ["+74951112233"], org.owner)
    assert (anna.account, anna.phones, peter.account) == (acme, ["+49301234567"], acme)
    assert (acme.country, acme.domain, acme.owner) == ("DE", "acme.de", org.owner)
    assert set(MatchKey.objects.filter(contact=anna).values_list("kind", "value")) == {
        ("name", f"{acme.pk}:anna schmidt"),
        ("email", "anna@acme.de"),
        ("phone", "+49301234567"),
    }


def test_contacts_already_in_the_base_are_skipped_or_updated(tmp_path: Path, org: Any) -> None:
    account = services.account_create(user=org.owner, data={"name": "Acme", "website": "acme.de"})
    anna = services.contact_create(
        user=org.owner,
        data={
            "account": account,
            "first_name": "Anna",
            "last_name": "Schmidt",
            "emails": ["a@x.de"],
        },
    )
    path = write(tmp_path, CONTACTS)

    skipped, _ = run(org.owner, path, target="contacts", mapping={"Company": None})
    updated, _ = run(
        org.owner, path, target="contacts", on_duplicate="update", mapping={"Company": None}
    )

    anna.refresh_from_db()
    assert counts(skipped) == (2, 0, 1, 0)
    assert counts(updated) == (0, 1, 2, 0)  # the two created by the first run: unchanged
    assert (anna.job_title, anna.emails, anna.phones, anna.version) == (
        "CFO",
        ["a@x.de", "anna@acme.de"],
        ["+49301234567"],
        2,
    )


def test_a_contact_row_without_a_company_is_an_error(tmp_path: Path, org: Any) -> None:
    path = write(tmp_path, "Name,Company\nIvan Petrov,\nAnna Berg,Acme\n")

    summary, errors = run(org.owner, path, target="contacts")

    assert counts(summary) == (1, 0, 0, 1)
    assert errors == [
        ["2", "Company", "", "The row names no company; every contact belongs to an account."]
    ]
    anna = Contact.objects.get()
    assert (anna.first_name, anna.last_name) == ("Anna", "Berg")


def test_contacts_cannot_be_added_to_anothers_account(tmp_path: Path, org: Any) -> None:
    theirs = services.account_create(user=org.owner, data={"name": "Acme", "website": "acme.de"})
    services.account_set_team(user=org.owner, account=theirs, members={})
    path = write(tmp_path, "Last Name,Company,Website\nBerg,Acme,acme.de\n")

    summary, _ = run(org.other, path, target="contacts")

    assert theirs.contacts.count() == 0
    assert (counts(summary), summary.accounts_created) == ((1, 0, 0, 0), 1)


def test_contact_validation_uses_the_accounts_country_for_phones(tmp_path: Path, org: Any) -> None:
    services.account_create(user=org.owner, data={"name": "Acme", "country": "DE"})

    summary, _ = run(
        org.owner,
        write(tmp_path, "Last Name,Phone,Company\nBerg,030 1234567,Acme\n"),
        target="contacts",
    )

    assert counts(summary) == (1, 0, 0, 0)
    assert Contact.objects.get().phones == ["+49301234567"]


# --- bad files ----------------------------------------------------------------------------------


def test_an_empty_file_is_refused_clearly(tmp_path: Path, org: Any) -> None:
    with pytest.raises(ImportFileError) as empty:
        run(org.owner, write(tmp_path, b""))
    with pytest.raises(ImportFileError) as blank:
        run(org.owner, write(tmp_path, "\n\n  \n"))
    header_only, _ = run(org.owner, write(tmp_path, "Name,Website\n"))

    assert empty.value.message == "The file is empty."
    assert blank.value.message == "The file has no rows: not even a header row."
    assert (header_only.total, counts(header_only)) == (0, (0, 0, 0, 0))


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1251", b""), ("utf-16", b"")],
)
def test_encodings_are_detected(tmp_path: Path, org: Any, encoding: str, bom: bytes) -> None:
    text = "Наименование;Страна;Город\nООО «Ромашка»;RU;Москва\nВасилёк;RU;Тверь\n"
    path = write(tmp_path, bom + text.encode(encoding))

    summary, errors = run(org.owner, path)

    assert (counts(summary), errors) == ((2, 0, 0, 0), [])
    assert summary.info is not None
    assert sorted(Account.objects.values_list("name", flat=True)) == ["Василёк", "ООО «Ромашка»"]


def test_latin_1_is_detected(tmp_path: Path, org: Any) -> None:
    path = write(
        tmp_path,
        "Name,City\nMüller & Söhne GmbH,Köln\nCafé Crème SARL,Besançon\n",
        encoding="latin-1",
    )

    summary, _ = run(org.owner, path)

    assert summary.info is not None
    assert summary.info.encoding in ("cp1252", "latin_1")
    assert sorted(Account.objects.values_list("name", flat=True)) == [
        "Café Crème SARL",
        "Müller & Söhne GmbH",
    ]


def test_bytes_that_are_not_text_in_the_files_encoding_are_row_errors(
    tmp_path: Path, org: Any
) -> None:
    text = b"Name\nGood\n" + "Плохо\n".encode("cp1251") + b"Fine\n"

    summary, errors = run(org.owner, write(tmp_path, text), encoding="utf-8")

    assert counts(summary) == (2, 0, 0, 1)
    assert errors == [
        [
            "3",
            "Name",
            "\ufffd" * 5,
            "The cell holds bytes that are not valid utf-8 text; save the file as UTF-8 and "
            "import it again.",
        ]
    ]


def test_binary_and_old_excel_files_are_refused_clearly(tmp_path: Path, org: Any) -> None:
    with pytest.raises(ImportFileError) as binary:
        run(org.owner, write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
    with pytest.raises(ImportFileError) as xls:
        run(org.owner, write(tmp_path, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100))
    with pytest.raises(ImportFileError) as broken_xlsx:
        run(org.owner, write(tmp_path, b"PK\x03\x04 not really a zip"))
    with pytest.raises(ImportFileError) as unknown:
        run(org.owner, write(tmp_path, "Name\nA\n"), encoding="klingon")

    assert binary.value.message.startswith("The file contains NUL bytes, so it is not a CSV text")
    assert xls.value.message == (
        "This is an old Excel .xls file; save it as .xlsx or as CSV and import that."
    )
    assert broken_xlsx.value.message.startswith("The file is not a readable XLSX workbook")
    assert unknown.value.message == "Unknown encoding klingon."


def test_ragged_rows(tmp_path: Path, org: Any) -> None:
    path = write(
        tmp_path, "Name,Country,Industry\nShort,DE\nLong,DE,Food,extra,more\nFine,DE,Food,,\n"
    )

    summary, errors = run(org.owner, path)

    assert counts(summary) == (2, 0, 0, 1)
    assert errors == [
        [
            "3",
            "",
            "extra; more",
            "The row has 5 values but the header has 3 columns (a delimiter inside an unquoted "
            "value?); it was not imported.",
        ]
    ]
    assert Account.objects.get(name="Short").industry == ""


def test_very_long_cells(tmp_path: Path, org: Any) -> None:
    long_name, long_note, huge = "N" * 10_000, "a note " * 1_500, "x" * 200_000
    path = write(tmp_path, f"Name,Notes\n{long_name},\nNoted,{long_note}\nHuge,{huge}\nAfter,\n")

    summary, errors = run(org.owner, path)

    assert counts(summary) == (2, 0, 0, 2)
    assert errors[0][:2] == ["2", "Name"]
    assert len(errors[0][2]) == 500
    assert errors[0][2].endswith("…")
    assert errors[0][3] == "Ensure this value has at most 255 characters (it has 10000)."
    assert errors[1] == [
        "4",
        "",
        "",
        "A cell is longer than 131,072 characters; it cannot be imported.",
    ]
    assert Account.objects.get(name="Noted").notes == long_note.strip()
    assert Account.objects.filter(name="After").exists()


def test_formulas_are_refused_and_neutralised_text_is_restored(tmp_path: Path, org: Any) -> None:
    path = write(tmp_path, 'Name,Notes\n"=HYPERLINK(""http://x"",""y"")",\nPlus,"\'=1+2"\n')

    summary, errors = run(org.owner, path)

    assert counts(summary) == (1, 0, 0, 1)
    assert errors == [
        [
            "2",
            "Name",
            '\'=HYPERLINK("http://x","y")',
            "The cell holds a spreadsheet formula; formulas are not imported. Save the sheet "
            "with values instead of formulas.",
        ]
    ]
    assert Account.objects.get().notes == "=1+2"


def test_control_characters_are_refused(tmp_path: Path, org: Any) -> None:
    path = write(tmp_path, "Name,Notes\nBell\x07Co,\nTab\tCo,line one\nNul\x00Co,\n")

    with pytest.raises(ImportFileError):
        run(org.owner, path)  # a NUL near the start: a binary file
    path = write(tmp_path, "Name,Notes\nBell\x07Co,\nTab\tCo,line one\n")
    summary, errors = run(org.owner, path)

    assert counts(summary) == (1, 0, 0, 1)
    assert errors == [
        [
            "2",
            "Name",
            "Bell\x07Co",
            "The cell holds a control character (U+0007) that cannot be stored.",
        ]
    ]


def test_duplicated_headers(tmp_path: Path, org: Any) -> None:
    path = write(tmp_path, "Name,Email,Email,Name\nAcme,a@acme.de,b@acme.de,Other\n")

    summary, _ = run(org.owner, path)

    assert summary.warnings == [
        "The header 'Email' appears more than once; column 3 is read as 'Email (2)'.",
        "The header 'Name' appears more than once; column 4 is read as 'Name (2)'.",
        "Columns 'Name' and 'Name (2)' both give name; 'Name (2)' is not imported.",
    ]
    acme = Account.objects.get()
    assert (acme.name, acme.emails) == ("Acme", ["a@acme.de", "b@acme.de"])


def test_other_delimiters(tmp_path: Path, org: Any) -> None:
    run(org.owner, write(tmp_path, "Name\tCountry\nTabbed\tDE\n"))
    run(org.owner, write(tmp_path, "Name|Country\nPiped|FR\n"))
    run(org.owner, write(tmp_path, "Name\nSingle, with comma\n"))

    assert sorted(Account.objects.values_list("name", "country")) == [
        ("Piped", "FR"),
        ("Single, with comma", ""),
        ("Tabbed", "DE"),
    ]


def _xlsx(tmp_path: Path, rows: list[list[Any]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("Notes")
    path = tmp_path / "accounts.xlsx"
    workbook.save(path)
    return path


def test_xlsx_files_are_streamed_formulas_refused(tmp_path: Path, org: Any) -> None:
    path = _xlsx(
        tmp_path,
        [
            ["Account Name", "Employees", "Phone", "Website", "Country"],
            ["Acme", 1200, 30123456, "acme.de", "DE"],
            [None, None, None, None, None],
            ["=CONCAT(A1,A2)", 5, None, None, None],
        ],
    )

    summary, errors = run(org.owner, path, owner=org.owner)

    assert counts(summary) == (1, 0, 0, 1)
    assert summary.warnings == ["The workbook has 2 sheets; only the first, Sheet, is imported."]
    assert errors[0][:3] == ["4", "Account Name", "'=CONCAT(A1,A2)"]
    acme = Account.objects.get()
    assert (acme.size_band, acme.phones) == ("enterprise", ["+4930123456"])


# --- batches, crashes, progress -----------------------------------------------------------------


def _many(tmp_path: Path, rows: int, name: str = "many.csv", firm: str = "firm") -> Path:
    """`rows` contacts, two per company."""
    lines = ["Last Name,Email,Company,Website"]
    lines += [
        f"Person{i},p{i}@{firm}{i // 2}.de,{firm} {i // 2},{firm}{i // 2}.de" for i in range(rows)
    ]
    return write(tmp_path, "\n".join(lines) + "\n", name)


def test_a_crash_mid_file_loses_only_its_batch_and_a_rerun_finishes_the_job(
    tmp_path: Path, org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _many(tmp_path, 10)
    write_batch = engine.ContactImporter.write
    calls = {"n": 0}

    def crash_on_third(self: Any, plan: Any) -> None:
        calls["n"] += 1
        write_batch(self, plan)
        if calls["n"] == 3:
            raise RuntimeError("power cut")

    monkeypatch.setattr(engine.ContactImporter, "write", crash_on_third)
    with pytest.raises(RuntimeError):
        run(org.owner, path, target="contacts", batch_size=3)
    assert Contact.objects.count() == 6  # two whole batches; the third rolled back whole
    assert Account.objects.count() == 3
    monkeypatch.setattr(engine.ContactImporter, "write", write_batch)

    again, _ = run(org.owner, path, target="contacts", batch_size=3)

    assert (again.already, again.created, again.accounts_created) == (6, 4, 2)
    assert sorted(Contact.objects.values_list("last_name", flat=True)) == sorted(
        f"Person{i}" for i in range(10)
    )
    assert Account.objects.count() == 5
    assert MatchKey.objects.filter(contact__isnull=False).count() == 20
    third, _ = run(org.owner, path, target="contacts", batch_size=3)
    assert (third.already, third.created, Contact.objects.count()) == (10, 0, 10)


def test_a_job_left_running_by_a_dead_worker_resumes_after_its_committed_rows(
    tmp_path: Path, org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.files import File

    from kam.accounts.importing.jobs import run_import_job

    path = _many(tmp_path, 6)
    job = ImportJob(target="contacts", created_by=org.owner, original_name="many.csv")
    with path.open("rb") as handle:
        job.file.save("many.csv", File(handle), save=False)
    job.options = {"on_duplicate": "skip", "owner_id": None, "encoding": "", "batch_size": 2}
    job.save()
    write_batch = engine.ContactImporter.write
    calls = {"n": 0}

    def die_on_second(self: Any, plan: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("killed")
        write_batch(self, plan)

    monkeypatch.setattr(engine.ContactImporter, "write", die_on_second)
    with pytest.raises(SystemExit):
        run_import_job(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count) == ("running", 2, 2)
    monkeypatch.setattr(engine.ContactImporter, "write", write_batch)

    run_import_job(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count, job.skipped_count) == (
        "done",
        6,
        6,
        0,
    )
    assert Contact.objects.count() == 6
    assert run_import_job(job_id=job.pk) == job  # done: running it again changes nothing
    assert Contact.objects.count() == 6


def test_queries_per_batch_do_not_depend_on_the_rows(tmp_path: Path, org: Any) -> None:
    def queries(rows: int) -> int:
        path = _many(tmp_path, rows, f"q{rows}.csv", firm=f"firm{rows}x")
        with CaptureQueriesContext(connection) as captured:
            summary, _ = run(org.owner, path, target="contacts", batch_size=20)
        assert (summary.created, summary.accounts_created) == (rows, rows // 2)
        return len(captured)

    queries(20)  # the first import reads what is cached for the process (content types)
    one, two, three = queries(20 * 2), queries(20 * 4), queries(20 * 6)

    # Each batch of 20 new contacts (and 10 new accounts) costs the same queries: the
    # importer's (lookups of the ledger and keys, ids, one INSERT per table, savepoints), plus,
    # on SQLite, the search index's pass over the batch.
    per_batch = (two - one) // 2
    assert three - two == two - one == 2 * per_batch
    assert per_batch <= (60 if connection.vendor == "sqlite" else 16)


def test_progress_is_saved_per_batch(tmp_path: Path, org: Any) -> None:
    job = ImportJob.objects.create(target="contacts", created_by=org.owner, original_name="x")
    seen: list[tuple[int, int, int]] = []

    def progress(summary: ImportSummary) -> None:
        saved = ImportJob.objects.get(pk=job.pk)
        seen.append((saved.total_rows, saved.processed_rows, saved.created_count))

    run_import(
        path=_many(tmp_path, 5),
        user=org.owner,
        options=ImportOptions(target="contacts", batch_size=2),
        job=job,
        on_progress=progress,
    )

    assert seen == [(5, 2, 2), (5, 4, 4), (5, 5, 5)]


def test_row_errors_are_stored_on_the_job(tmp_path: Path, org: Any) -> None:
    job = ImportJob.objects.create(target="accounts", created_by=org.owner, original_name="x")

    run_import(
        path=write(tmp_path, "Name,Email\nA,bad\nB,\n"),
        user=org.owner,
        options=ImportOptions(target="accounts"),
        job=job,
    )

    assert list(ImportRowError.objects.values_list("row_number", "column", "value")) == [
        (2, "Email", "bad")
    ]
    job.refresh_from_db()
    assert (job.created_count, job.error_count, job.mapping) == (
        1,
        1,
        {"Name": "name", "Email": "emails"},
    )


# --- the command ----------------------------------------------------------------------------------


def test_the_command_needs_an_owner(tmp_path: Path, org: Any) -> None:
    with pytest.raises(CommandError) as raised:
        call_command("import", "accounts", str(write(tmp_path, ACCOUNTS_SF)))

    assert str(raised.value).startswith("Name the owner of imported rows whose file names none")


def test_the_command_imports_reports_and_shows_progress(tmp_path: Path, org: Any) -> None:
    path = write(tmp_path, "Name,Email\nAcme,a@acme.de\nBad,nope\n")
    report = tmp_path / "errors.csv"
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "import", "accounts", str(path), "--owner", "owner", "--report", str(report),
        stdout=out, stderr=err,
    )  # fmt: skip

    assert out.getvalue().splitlines() == [
        "2 rows of accounts in file.csv:",
        "  1 were created, 0 updated, 0 skipped as duplicates or unchanged",
        "  1 rows with errors, not imported",
        f"  row errors: {report}",
    ]
    assert report.read_text().splitlines()[0] == "row,column,value,reason"
    assert report.read_text().splitlines()[1].startswith("3,Email,nope,nope is not a valid")
    job = ImportJob.objects.get()
    assert (job.status, job.created_by, job.created_count, job.error_count) == (
        "done",
        org.owner,
        1,
        1,
    )


def test_the_command_dry_run_says_what_it_would_do(tmp_path: Path, org: Any) -> None:
    out = io.StringIO()
    mapping = write(tmp_path, '{"Firma": "name"}', "mapping.json")

    call_command(
        "import", "accounts", str(write(tmp_path, "Firma\nAcme\n")), "--owner", "owner",
        "--dry-run", "--mapping", str(mapping), stdout=out, stderr=io.StringIO(),
    )  # fmt: skip

    assert out.getvalue().splitlines()[:2] == [
        "Dry run, nothing written: 1 rows of accounts in file.csv:",
        "  1 would be created, 0 updated, 0 skipped as duplicates or unchanged",
    ]
    assert (Account.objects.count(), ImportJob.objects.count()) == (0, 0)


def test_the_progress_bar_redraws_on_a_terminal_and_prints_lines_elsewhere() -> None:
    from kam.accounts.management.commands.export import find_user  # noqa: F401 - importable

    bar_module = __import__("kam.accounts.management.commands.import", fromlist=["ProgressBar"])

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        bar = bar_module.ProgressBar(stream)
        for done in (0, 50, 100):
            bar.update(ImportSummary(total=100, processed=done, created=done))
        bar.finish()

    assert terminal.getvalue().count("\r[") == 3
    assert "\r[###############...............]  50% 50/100 rows" in terminal.getvalue()
    assert [line.split(" rows")[0] for line in pipe.getvalue().splitlines()] == [
        "0% 0/100",
        "50% 50/100",
        "100% 100/100",
    ]


# --- the API and the background task --------------------------------------------------------------


def _upload(text: str, name: str = "accounts.csv") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_api_starts_an_import_in_the_background_and_shows_its_progress(
    api_as: Any, org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = api_as(org.owner)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = client.post(
            "/api/v1/import-jobs/",
            {"file": _upload("Name,Email\nAcme,a@acme.de\nBad,nope\n"), "target": "accounts"},
            format="multipart",
        )

    assert created.status_code == 201
    assert len(callbacks) == 1
    job_id = created.json()["id"]
    assert created.json()["mapping"] == {"Name": "name", "Email": "emails"}
    detail = client.get(f"/api/v1/import-jobs/{job_id}/").json()
    assert {k: detail[k] for k in ("status", "total_rows", "processed_rows", "progress")} == {
        "status": "done",
        "total_rows": 2,
        "processed_rows": 2,
        "progress": 100,
    }
    assert (detail["created_count"], detail["error_count"], detail["created_by"]) == (1, 1, "owner")
    errors = client.get(f"/api/v1/import-jobs/{job_id}/errors.csv")
    assert errors.status_code == 200
    assert errors["Content-Type"] == "text/csv"
    assert b"".join(errors.streaming_content).decode().splitlines() == [
        "row,column,value,reason",
        "3,Email,nope,nope is not a valid e-mail address: An email address must have an @-sign.",
    ]
    assert Account.objects.get().owner == org.owner


def test_api_jobs_are_visible_to_their_creator_and_admins(
    api_as: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    job = ImportJob.objects.create(target="accounts", created_by=org.owner, original_name="a.csv")

    other = api_as(org.other)
    hidden = other.get(f"/api/v1/import-jobs/{job.pk}/")
    hidden_errors = other.get(f"/api/v1/import-jobs/{job.pk}/errors.csv")
    other_list = other.get("/api/v1/import-jobs/").json()
    admin_detail = api_as(org.admin).get(f"/api/v1/import-jobs/{job.pk}/")
    with django_assert_max_num_queries(5):
        own_list = api_as(org.owner).get("/api/v1/import-jobs/").json()

    assert (hidden.status_code, hidden_errors.status_code) == (404, 404)
    assert other_list["results"] == []
    assert admin_detail.status_code == 200
    assert [j["id"] for j in own_list["results"]] == [job.pk]


def test_api_refuses_a_bad_file_at_once(api_as: Any, org: Any) -> None:
    client = api_as(org.owner)

    empty = client.post(
        "/api/v1/import-jobs/", {"file": _upload(""), "target": "accounts"}, format="multipart"
    )
    no_name = client.post(
        "/api/v1/import-jobs/",
        {"file": _upload("Phone\n1\n"), "target": "accounts", "on_duplicate": "merge"},
        format="multipart",
    )
    auditor = api_as(org.auditor).post(
        "/api/v1/import-jobs/",
        {"file": _upload("Name\nA\n"), "target": "accounts"},
        format="multipart",
    )

    assert empty.status_code == 400
    assert empty.json()["fields"]["file"] == ["The submitted file is empty."]
    assert no_name.json()["fields"] == {"on_duplicate": ['"merge" is not a valid choice.']}
    assert auditor.status_code == 403
    assert ImportJob.objects.count() == 0


def test_api_refuses_an_unreadable_file_with_its_reason(api_as: Any, org: Any) -> None:
    response = api_as(org.owner).post(
        "/api/v1/import-jobs/",
        {"file": _upload("Phone\n1\n"), "target": "accounts"},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "import_file"
    assert response.json()["detail"].startswith("No column gives the account's name")
    assert ImportJob.objects.count() == 0


def test_api_previews_the_mapping_step(api_as: Any, org: Any) -> None:
    response = api_as(org.owner).post(
        "/api/v1/import-jobs/preview/",
        {
            "file": _upload("First Name;Last Name;Company;Fax\nAnna;Berg;Acme;1\n", "c.csv"),
            "target": "contacts",
            "mapping": '{"Fax": null}',
        },
        format="multipart",
    )

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("format", "encoding", "delimiter", "headers", "mapping")} == {
        "format": "csv",
        "encoding": "utf-8",
        "delimiter": ";",
        "headers": ["First Name", "Last Name", "Company", "Fax"],
        "mapping": {
            "First Name": "first_name",
            "Last Name": "last_name",
            "Company": "account.name",
        },
    }
    assert body["sample"] == [["Anna", "Berg", "Acme", "1"]]
    assert body["warnings"] == [
        "Columns not imported (no matching field; map them with a mapping): Fax."
    ]
    assert ImportJob.objects.count() == 0


def test_the_task_is_safe_to_run_twice(
    api_as: Any, org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from kam.accounts.tasks import import_file_task

    with django_capture_on_commit_callbacks(execute=True):
        created = api_as(org.owner).post(
            "/api/v1/import-jobs/",
            {"file": _upload("Name\nAcme\n"), "target": "accounts", "dry_run": "true"},
            format="multipart",
        )
    job = ImportJob.objects.get(pk=created.json()["id"])

    again = import_file_task(job.pk)

    assert (job.status, job.is_dry_run, job.created_count, again) == ("done", True, 1, "done")
    assert Account.objects.count() == 0
    assert import_file_task(999_999) is None
