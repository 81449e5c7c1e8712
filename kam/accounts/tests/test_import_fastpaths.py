"""The importer's short cuts give exactly what the long way gives: the audit entry's JSON text,
the key look-up, the ledger probe, built accounts and the choice verdicts."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import connection

from kam.accounts import duplicates
from kam.accounts.importing import base, instances
from kam.accounts.importing.engine import ImportOptions, run_import
from kam.accounts.models import Account, Contact, MatchKey

pytestmark = pytest.mark.django_db

CONTACTS = (
    "First Name,Last Name,Email,Phone,Title,Company,Website,Country\n"
    'Zoë,"O\'Brien ""Jr""",zoe.obrien@acme-widgets.example,+49 30 1234567,Head of Ünits,'
    "Acme Widgets GmbH,https://www.acme-widgets.example,Germany\n"
    "Ivan,Petrov,,+7 495 123-45-67,,Romashka OOO,romashka.example,RU\n"
)


def imported(tmp_path: Path, user: Any, text: str = CONTACTS) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8")
    summary = run_import(path=path, user=user, options=ImportOptions(target="contacts"))
    assert (summary.created, summary.errors) == (2, 0)


def stored_changes(obj: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT changes FROM auditlog_logentry WHERE object_id = %s AND content_type_id = "
            "(SELECT id FROM django_content_type WHERE app_label = 'accounts' AND model = %s)",
            [obj.pk, obj._meta.model_name],
        )
        (value,) = cursor.fetchone()
    return value if isinstance(value, str) else json.dumps(value)


def test_audit_entries_hold_the_json_the_generic_encoder_writes(tmp_path: Path, org: Any) -> None:
    imported(tmp_path, org.owner)

    zoe = Contact.objects.get(first_name="Zoë")
    entry = LogEntry.objects.get_for_object(zoe).get()
    expected = {
        "first_name": ["None", "Zoë"],
        "last_name": ["None", 'O\'Brien "Jr"'],
        "job_title": ["None", "Head of Ünits"],
        "emails": ["None", '["zoe.obrien@acme-widgets.example"]'],
        "phones": ["None", '["+49301234567"]'],
    }
    assert {k: entry.changes[k] for k in expected} == expected
    assert set(entry.changes) == {*expected, "account", "owner", "do_not_contact", "created_at"}
    assert entry.additional_data == {"event": "import", "job": None}
    if connection.vendor == "sqlite":  # the very text json.dumps() gives, fields in order
        text = stored_changes(zoe)
        assert text == json.dumps(json.loads(text))
        order = [f.name for f in Contact._meta.concrete_fields if f.name in entry.changes]
        assert list(json.loads(text)) == order
    account = Account.objects.get(name="Acme Widgets GmbH")
    account_entry = LogEntry.objects.get_for_object(account).get()
    assert account_entry.changes["country"] == ["None", "DE"]
    assert account_entry.changes["website"] == ["None", "https://www.acme-widgets.example"]
    assert "name_key" not in account_entry.changes  # excluded, as before


def test_the_changes_encoder_falls_back_when_more_overrides_a_column() -> None:
    account = Account(name="Acme", country="DE", emails=["a@b.example"], credit_limit=Decimal(5))
    account.pk = 10**9
    encode = base._ChangesEncoder(account, base.ACCOUNT_AUDIT_EXCLUDE)

    plain = encode(account, None)
    overridden = encode(account, lambda a: {"name": "other", "tags": {"type": "m2m"}})

    assert plain == json.dumps(encode.as_dict(account))
    assert json.loads(plain)["credit_limit"] == ["None", "5"]
    assert json.loads(plain)["emails"] == ["None", '["a@b.example"]']
    assert overridden == json.dumps(
        {**encode.as_dict(account), "name": "other", "tags": {"type": "m2m"}}
    )


def test_key_lookup_finds_what_the_duplicate_finders_lookup_finds(tmp_path: Path, org: Any) -> None:
    imported(tmp_path, org.owner)
    keys = set(MatchKey.objects.values_list("kind", "value")) | {
        (duplicates.Kind.EMAIL, "nobody@nowhere.example"),
        (duplicates.Kind.PHONE, "+10000000000"),
    }

    for side in ("account", "contact"):
        assert base.lookup_keys(keys, side=side) == duplicates.lookup(keys, side=side)
    assert base.lookup_keys(set(), side="contact") == {}
    found = base.lookup_keys(
        {(duplicates.Kind.EMAIL, "zoe.obrien@acme-widgets.example")}, side="contact"
    )
    assert found == {
        ("email", "zoe.obrien@acme-widgets.example"): {Contact.objects.get(first_name="Zoë").pk}
    }


def test_key_rows_are_written_complete_whatever_their_order(tmp_path: Path, org: Any) -> None:
    imported(tmp_path, org.owner)

    for contact in Contact.objects.all():
        stored = set(MatchKey.objects.filter(contact=contact).values_list("kind", "value"))
        assert stored == duplicates.contact_keys(contact)
    for account in Account.objects.all():
        stored = set(MatchKey.objects.filter(account=account).values_list("kind", "value"))
        assert stored == duplicates.account_keys(account)


def test_a_second_run_of_the_file_finds_every_row_in_the_ledger(tmp_path: Path, org: Any) -> None:
    imported(tmp_path, org.owner)
    path = tmp_path / "contacts.csv"

    again = run_import(path=path, user=org.owner, options=ImportOptions(target="contacts"))

    assert (again.created, again.already, again.skipped) == (0, 2, 2)
    assert Contact.objects.count() == 2


def test_built_accounts_are_what_the_model_makes(org: Any) -> None:
    build = instances.Builder(Account)
    values = {"owner_id": org.owner.pk, "name": "Acme", "country": "de", "emails": ["a@b.example"]}

    built, made = build(values), Account(**values)

    assert (build.fillable, build.direct) == (True, False)
    assert {k: v for k, v in vars(built).items() if k not in ("_state", "created_at")} == {
        k: v for k, v in vars(made).items() if k not in ("_state", "created_at")
    }
    assert str(built.country) == "DE"
    # A relation given by name goes through the model, as Account(**values) would take it.
    by_owner = build({"name": "Acme", "owner": org.owner})
    assert by_owner.owner_id == org.owner.pk
    with pytest.raises(TypeError):
        build({"name": "Acme", "no_such_field": 1})


def test_choice_verdicts_are_remembered_per_stored_value(org: Any) -> None:
    build = instances.Builder(Account)
    names, exclude = ["name", "country"], ["owner", "parent", "referred_by"]

    for _attempt in range(2):  # the second time from the memo
        instances.full_clean(build({"name": "A", "country": "DE"}), names=names, exclude=exclude)
        with pytest.raises(ValidationError) as error:
            instances.full_clean(
                build({"name": "A", "country": "XX"}), names=names, exclude=exclude
            )
        assert list(error.value.message_dict) == ["country"]
