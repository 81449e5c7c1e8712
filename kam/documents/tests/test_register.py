"""The register: numbers per direction and year, gap-free under concurrency; filters; export."""

from __future__ import annotations

import csv
import io
import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from django.db import connection, transaction

from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.documents import choices, services
from kam.documents.exporting import export_register
from kam.documents.filters import RegisterFilterSet
from kam.documents.models import Document
from kam.documents.selectors import register_list
from kam.documents.tests import factories as f

IN, OUT, INTERNAL = (
    choices.Direction.INCOMING,
    choices.Direction.OUTGOING,
    choices.Direction.INTERNAL,
)


@pytest.mark.django_db
def test_numbers_run_per_direction_and_restart_each_year(org: Any) -> None:
    account = AccountFactory(owner=org.owner)

    def register(direction: str) -> str:
        return f.make_document(user=org.owner, record=account, direction=direction).register_number

    with time_machine.travel(datetime(2026, 12, 31, 12, tzinfo=ZoneInfo("UTC")), tick=False):
        numbers = [register(IN), register(OUT), register(IN), register(INTERNAL)]
    with time_machine.travel(datetime(2027, 1, 2, 12, tzinfo=ZoneInfo("UTC")), tick=False):
        numbers += [register(IN), register(OUT)]

    assert numbers == [
        "IN-2026-00001",
        "OUT-2026-00001",
        "IN-2026-00002",
        "",
        "IN-2027-00001",
        "OUT-2027-00001",
    ]


@pytest.mark.django_db
def test_a_rolled_back_registration_gives_its_number_back(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    f.make_document(user=org.owner, record=account, direction=OUT)

    def fail_after_registering() -> None:
        with transaction.atomic():
            f.make_document(user=org.owner, record=account, direction=OUT)
            raise RuntimeError("the caller failed after registering")

    with pytest.raises(RuntimeError):
        fail_after_registering()
    again = f.make_document(user=org.owner, record=account, direction=OUT)

    assert again.register_number.endswith("-00002")


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_get_distinct_gap_free_numbers(org: Any) -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("threads need a database shared between connections")
    account = AccountFactory(owner=org.owner)
    workers = 8
    barrier = threading.Barrier(workers)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            document = f.make_document(user=org.owner, record=account, direction=IN)
            numbers.append(document.register_number)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    year = Document.objects.get(register_number=numbers[0]).register_year
    assert sorted(numbers) == [f"IN-{year}-{n:05d}" for n in range(1, workers + 1)]


@pytest.mark.django_db
def test_register_lists_only_in_and_out_documents_the_user_may_see(org: Any) -> None:
    mine = AccountFactory(owner=org.owner)
    f.make_document(user=org.owner, record=mine, direction=IN, title="Claim")
    f.make_document(user=org.owner, record=mine, direction=OUT, title="Answer")
    f.make_document(user=org.owner, record=mine, direction=INTERNAL, title="Draft")
    f.make_document(user=org.other, record=AccountFactory(owner=org.other), direction=IN)

    titles = [d.title for d in register_list(user=org.owner)]

    assert titles == ["Answer", "Claim"]


@pytest.mark.django_db
def test_register_filters_by_direction_correspondent_and_search(org: Any) -> None:
    mine = AccountFactory(owner=org.owner)
    supplier = AccountFactory(owner=org.owner, name="Supplier")
    contact = ContactFactory(account=supplier)
    f.make_document(user=org.owner, record=mine, direction=IN, title="Claim about pumps")
    f.make_document(
        user=org.owner,
        record=mine,
        direction=IN,
        title="Price list",
        correspondent_account=supplier,
        correspondent_contact=contact,
    )
    f.make_document(user=org.owner, record=mine, direction=OUT, title="Answer about pumps")

    def titles(**filters: Any) -> list[str]:
        rows = RegisterFilterSet(filters, queryset=register_list(user=org.owner)).qs
        return [d.title for d in rows]

    assert titles(direction="incoming") == ["Price list", "Claim about pumps"]
    assert titles(correspondent=str(supplier.pk)) == ["Price list"]
    assert titles(q="pumps") == ["Answer about pumps", "Claim about pumps"]
    assert titles(q="IN-") == ["Price list", "Claim about pumps"]


@pytest.mark.django_db
def test_register_export_writes_what_the_user_sees_and_is_audited(org: Any) -> None:
    mine = AccountFactory(owner=org.owner, name="Acme")
    f.make_document(
        user=org.owner,
        record=mine,
        direction=IN,
        kind=choices.Kind.LETTER,
        title="=HYPERLINK(evil)",
        number="A-1",
        correspondent_account=mine,
    )
    f.make_document(user=org.other, record=AccountFactory(owner=org.other), direction=IN)
    out = io.BytesIO()

    count = export_register(org.owner, "csv", {}, out)

    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert count == 1
    assert rows[0][:5] == ["Register number", "Registered", "Direction", "Kind", "Subject"]
    number = Document.objects.get(title="=HYPERLINK(evil)").register_number
    assert rows[1][0] == number
    assert rows[1][2:9] == ["Incoming", "Letter", "'=HYPERLINK(evil)", "A-1", "", "Acme", ""]
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert entry.additional_data["event"] == "export"
    assert entry.additional_data["count"] == 1


@pytest.mark.django_db
def test_direction_of_a_generated_document_can_be_outgoing(org: Any) -> None:
    account = AccountFactory(owner=org.owner)

    document = services.document_generate(
        record=account,
        kind=choices.Kind.OTHER,
        template="quote",
        context={"number": "Q-9"},
        fmt="pdf",
        actor=org.owner,
        direction=OUT,
    )

    assert document.register_number.startswith("OUT-")


@pytest.mark.django_db
def test_kam_export_writes_the_register_the_user_sees(org: Any, tmp_path: Any) -> None:
    from django.core.management import CommandError, call_command

    mine = AccountFactory(owner=org.owner)
    f.make_document(user=org.owner, record=mine, direction=IN, title="Claim")
    f.make_document(user=org.owner, record=mine, direction=OUT, title="Answer")
    f.make_document(user=org.other, record=AccountFactory(owner=org.other), direction=IN)
    out = tmp_path / "register.csv"

    call_command(
        "export",
        "document-register",
        "--as",
        "owner",
        "--filter",
        "direction=incoming",
        "--output",
        str(out),
        stderr=io.StringIO(),
    )
    with pytest.raises(CommandError) as bad:
        call_command(
            "export",
            "document-register",
            "--as",
            "owner",
            "--filter",
            "year=soon",
            stderr=io.StringIO(),
        )

    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [row[4] for row in rows[1:]] == ["Claim"]
    assert "year: Enter a number." in str(bad.value)


@pytest.mark.django_db
def test_register_filters_by_correspondent_name_and_kind(org: Any) -> None:
    mine = AccountFactory(owner=org.owner)
    supplier = AccountFactory(owner=org.owner, name="Pump Supplier AG")
    f.make_document(user=org.owner, record=mine, direction=IN, title="Claim")
    f.make_document(
        user=org.owner,
        record=mine,
        direction=IN,
        kind=choices.Kind.INVOICE,
        title="Invoice 5",
        correspondent_account=supplier,
    )

    def titles(**filters: Any) -> list[str]:
        return [
            d.title for d in RegisterFilterSet(filters, queryset=register_list(user=org.owner)).qs
        ]

    assert titles(correspondent="supplier") == ["Invoice 5"]
    assert titles(kind="invoice") == ["Invoice 5"]
    assert titles(kind="letter") == ["Claim"]
