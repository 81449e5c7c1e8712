"""kam.core.tabular: every app's table export is scoped, neutralised and audited here."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from auditlog.models import LogEntry
from openpyxl import load_workbook

from kam.core.errors import ApplicationError
from kam.core.tabular import Column, export_table, neutralise
from tests.testapp.models import Record

pytestmark = pytest.mark.django_db

COLUMNS = [Column("Name", lambda r: r.name), Column("Limit", lambda r: r.credit_limit)]


def test_exports_only_visible_rows_with_formulas_neutralised_and_audited(org: Any) -> None:
    Record.objects.create(name='=HYPERLINK("http://evil")', owner=org.owner, credit_limit=5)
    Record.objects.create(name="Someone else's", owner=org.other)

    data = b"".join(
        export_table(user=org.owner, rows=Record.objects.all(), columns=COLUMNS, fmt="csv")
    )
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["Name", "Limit"], ['\'=HYPERLINK("http://evil")', "5.00"]]
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS, additional_data__event="export")
    assert entry.actor == org.owner
    assert entry.additional_data["count"] == 1


def test_xlsx_keeps_numbers_as_numbers_and_strips_control_characters(org: Any) -> None:
    Record.objects.create(name="Bell\x07 GmbH", owner=org.owner, credit_limit=12)
    data = b"".join(
        export_table(user=org.owner, rows=Record.objects.all(), columns=COLUMNS, fmt="xlsx")
    )
    sheet = load_workbook(io.BytesIO(data)).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Name", "Limit"],
        ["Bell GmbH", 12],
    ]


def test_unknown_format_is_refused(org: Any) -> None:
    with pytest.raises(ApplicationError, match="csv or xlsx"):
        export_table(user=org.owner, rows=Record.objects.all(), columns=COLUMNS, fmt="pdf")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start: str) -> None:
    assert neutralise(f"{start}1") == f"'{start}1"
    assert neutralise(f"a{start}1") == f"a{start}1"
