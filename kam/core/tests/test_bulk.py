"""Bulk INSERTs (kam.core.bulk): the rows read back exactly as the ORM would have written them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from kam.core import bulk

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
FIELDS = ["content_type_id", "object_pk", "object_id", "object_repr", "action", "changes_text",
          "changes", "timestamp", "additional_data", "remote_port"]  # fmt: skip


def entry(i: int, content_type_id: int) -> dict[str, Any]:
    return {
        "content_type_id": content_type_id,
        "object_pk": str(i),
        "object_id": i,
        "object_repr": f"row {i}",
        "action": i % 3,
        "changes": {"name": ["None", f"n{i}"], "tags": [i, i + 1]},
        "timestamp": NOW - timedelta(minutes=i % 2),
    }


def test_insert_rows_writes_what_the_orm_writes_and_fills_defaults() -> None:
    content_type = ContentType.objects.get_for_model(Group).pk
    orm = LogEntry.objects.create(**entry(1, content_type), changes_text="")

    written = bulk.insert_rows(
        LogEntry, (entry(i, content_type) for i in range(1, 6)), now=NOW, batch_size=2
    )

    assert written == 5
    rows = list(LogEntry.objects.order_by("pk").values(*FIELDS))
    assert rows[1] == rows[0]  # row 1 by insert_rows == row 1 by the ORM
    assert rows[0]["changes"] == {"name": ["None", "n1"], "tags": [1, 2]}
    assert [r["object_id"] for r in rows] == [orm.object_id, 1, 2, 3, 4, 5]
    # Left out: "" for a text field, None where null, the defaults' `now` for the timestamp.
    assert {(r["changes_text"], r["additional_data"], r["remote_port"]) for r in rows} == {
        ("", None, None)
    }


def test_a_left_out_timestamp_gets_now() -> None:
    content_type = ContentType.objects.get_for_model(Group).pk
    row = entry(1, content_type)
    del row["timestamp"]

    bulk.insert_rows(LogEntry, [row], now=NOW)

    assert LogEntry.objects.get().timestamp == NOW


def test_unknown_columns_are_refused_before_anything_is_written() -> None:
    with pytest.raises(ValueError, match="Group has no column 'colour'"):
        bulk.insert_rows(Group, [{"name": "a"}, {"name": "b", "colour": "red"}], now=NOW)
    with pytest.raises(ValueError, match="Group has no column 'colour'"):
        bulk.Inserter(Group, ["name", "colour"])
    assert Group.objects.count() == 0


def test_memoised_values_stay_right_when_the_memo_is_full() -> None:
    content_type = ContentType.objects.get_for_model(Group).pk
    inserter = bulk.Inserter(LogEntry, FIELDS[:8], memo_size=2)
    stamps = [NOW + timedelta(days=i % 5) for i in range(20)]

    inserter.insert(
        [content_type, str(i), i, "r", 1, "", [i], stamp] for i, stamp in enumerate(stamps)
    )

    assert list(LogEntry.objects.order_by("object_id").values_list("timestamp", flat=True)) == (
        stamps
    )
    assert max(len(memo) for memo in inserter.memos) <= 2


def test_allocated_ids_are_fresh_and_instances_keep_them() -> None:
    Group.objects.create(name="first")
    groups = [Group(name=f"g{i}") for i in range(3)]

    ids = bulk.allocate_ids(Group, 3)
    assert ids is not None
    for group, pk in zip(groups, ids, strict=True):
        group.pk = pk
    bulk.insert_instances(groups, bulk.model_inserter(Group), NOW)

    assert list(Group.objects.order_by("pk").values_list("name", flat=True)) == [
        "first",
        "g0",
        "g1",
        "g2",
    ]
    assert ids == sorted(ids)
    assert min(ids) > Group.objects.get(name="first").pk
    assert bulk.allocate_ids(Group, 0) == []
    if connection.vendor == "sqlite":
        assert bulk.allocate_ids(Group, 1) == [max(ids) + 1]


def test_plain_values_skip_preparation_and_others_do_not() -> None:
    inserter = bulk.Inserter(LogEntry, ["object_pk", "object_id", "timestamp", "changes"])

    prepared = inserter.prepare(["7", 7, NOW, {"a": [1.5]}])

    assert prepared[:2] == ["7", 7]
    assert prepared[2] == LogEntry._meta.get_field("timestamp").get_db_prep_save(NOW, connection)
    assert inserter.plain == [True, True, False, False]


def test_json_values_are_stored_as_the_orm_stores_them() -> None:
    content_type = ContentType.objects.get_for_model(Group).pk
    values = [{"a": [1, "é", None]}, ["x", {"y": 1.5}], {}, [], "text", 7, None]
    for i, value in enumerate(values):
        LogEntry.objects.create(
            content_type_id=content_type, object_pk=str(i), object_repr="orm", action=0,
            changes_text="", changes=value, timestamp=NOW,
        )  # fmt: skip

    bulk.insert_rows(
        LogEntry,
        (
            {"content_type_id": content_type, "object_pk": str(i), "object_repr": "bulk",
             "action": 0, "changes": value, "timestamp": NOW}
            for i, value in enumerate(values)
        ),
        now=NOW,
    )  # fmt: skip

    with connection.cursor() as cursor:
        cursor.execute("SELECT object_repr, object_pk, changes FROM auditlog_logentry ORDER BY id")
        stored = cursor.fetchall()
    by_orm = [row[1:] for row in stored if row[0] == "orm"]
    assert [row[1:] for row in stored if row[0] == "bulk"] == by_orm


@pytest.mark.parametrize(
    "value",
    [["a@b.example", 'é"\\\n', ""], [], ["x"], [1, "a"], {"k": ["v"]}, "text", 1.5],
)
def test_json_dumps_is_json_dumps(value: Any) -> None:
    assert bulk.json_dumps(value) == json.dumps(value)


def test_raw_json_is_stored_as_the_value_it_encodes() -> None:
    content_type = ContentType.objects.get_for_model(Group).pk
    value = {"name": ["None", 'Zoë "Z"'], "emails": ["None", '["a@b.example"]']}
    LogEntry.objects.create(
        content_type_id=content_type, object_pk="1", object_repr="orm", action=0,
        changes_text="", changes=value, timestamp=NOW, additional_data={"job": None},
    )  # fmt: skip
    inserter = bulk.Inserter(LogEntry, [*FIELDS[:7], "timestamp", "additional_data"])

    inserter.insert(
        [
            [content_type, "1", None, "bulk", 0, "", bulk.RawJSON(json.dumps(value)), NOW,
             bulk.RawJSON(json.dumps({"job": None}))]
        ]
    )  # fmt: skip

    orm, raw = LogEntry.objects.order_by("pk")
    assert (
        (raw.changes, raw.additional_data)
        == (orm.changes, orm.additional_data)
        == (
            value,
            {"job": None},
        )
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT changes, additional_data FROM auditlog_logentry ORDER BY id")
        stored = cursor.fetchall()
    assert stored[1] == stored[0]


def test_values_that_are_not_plain_in_plain_columns_are_still_prepared() -> None:
    from django.utils.translation import gettext_lazy

    inserter = bulk.Inserter(LogEntry, ["object_pk", "object_id", "object_repr", "changes"])

    prepared = inserter.prepare([gettext_lazy("Name"), Decimal("7"), "r", ["a", "é"]])

    assert prepared[0] == "Name"
    assert type(prepared[0]) is str
    assert prepared[1] == LogEntry._meta.get_field("object_id").get_db_prep_save(
        Decimal("7"), connection
    )
    assert prepared[2] == "r"
    if connection.vendor == "sqlite":
        assert prepared[3] == json.dumps(["a", "é"])


def test_inserted_instances_get_now_for_their_automatic_times() -> None:
    content_type = ContentType.objects.get_for_model(Group).pk
    entry = LogEntry(
        content_type_id=content_type, object_pk="5", object_repr="x", action=1,
        changes_text="", changes={"a": 1}, timestamp=NOW - timedelta(days=3),
    )  # fmt: skip
    entry.pk = bulk.allocate_ids(LogEntry, 1)[0]  # type: ignore[index]

    bulk.insert_instances([entry], bulk.model_inserter(LogEntry), NOW)

    stored = LogEntry.objects.get(pk=entry.pk)
    # LogEntry.timestamp defaults to timezone.now: a bulk-created row gets the batch's `now`.
    assert (stored.timestamp, stored.changes, stored.object_repr) == (NOW, {"a": 1}, "x")
