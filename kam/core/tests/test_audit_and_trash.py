"""Audit entries for every write, and the trash: soft delete, restore, purge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from kam.core import selectors, services
from kam.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from tests.testapp.models import Record

pytestmark = pytest.mark.django_db


def entries(record: Record) -> list[LogEntry]:
    content_type = ContentType.objects.get_for_model(Record)
    return list(
        LogEntry.objects.filter(content_type=content_type, object_pk=str(record.pk)).order_by("pk")
    )


def test_create_update_delete_are_audited_with_actor_and_old_new_values(org: Any) -> None:
    from kam.core.audit import acting_as

    with acting_as(org.owner):
        record = Record.objects.create(name="Acme", owner=org.owner)
    services.versioned_update(
        instance=record, expected_version=1, changes={"name": "Acme Group"}, user=org.lead
    )
    services.soft_delete(instance=record, user=org.owner)

    log = entries(record)
    assert [e.action for e in log] == [
        LogEntry.Action.CREATE,
        LogEntry.Action.UPDATE,
        LogEntry.Action.UPDATE,
    ]
    assert [e.actor for e in log] == [org.owner, org.lead, org.owner]
    assert log[1].changes_dict["name"] == ["Acme", "Acme Group"]
    assert "deleted_at" in log[2].changes_dict
    assert "version" not in log[1].changes_dict


def test_a_conflict_writes_no_audit_entry(org: Any) -> None:
    record = Record.objects.create(name="Acme", owner=org.owner)
    services.versioned_update(
        instance=record, expected_version=1, changes={"name": "B"}, user=org.owner
    )
    before = len(entries(record))

    with pytest.raises(ConflictError):
        services.versioned_update(
            instance=record, expected_version=1, changes={"name": "C"}, user=org.owner
        )

    assert len(entries(record)) == before


def test_owner_restores_from_trash_within_retention(org: Any) -> None:
    record = Record.objects.create(name="Acme", owner=org.owner)
    services.soft_delete(instance=record, user=org.owner)

    trash = selectors.trash_list(user=org.owner)
    assert [item.record.pk for item in trash] == [record.pk]

    services.restore(instance=Record.all_objects.get(pk=record.pk), user=org.owner)

    assert Record.objects.filter(pk=record.pk).exists()
    assert selectors.trash_list(user=org.owner) == []


def test_others_cannot_see_or_restore_someone_elses_trash(org: Any) -> None:
    record = Record.objects.create(name="Acme", owner=org.owner)
    services.soft_delete(instance=record, user=org.owner)
    trashed = Record.all_objects.get(pk=record.pk)

    assert selectors.trash_list(user=org.other) == []
    with pytest.raises(PermissionDeniedError):
        services.restore(instance=trashed, user=org.other)
    assert Record.objects.filter(pk=record.pk).exists() is False


def test_restore_is_refused_after_thirty_days_even_for_the_owner(org: Any) -> None:
    record = Record.objects.create(name="Acme", owner=org.owner)
    services.soft_delete(instance=record, user=org.owner)

    with time_machine.travel(timezone.now() + timedelta(days=31)):
        trashed = Record.all_objects.get(pk=record.pk)
        assert selectors.trash_list(user=org.admin)[0].is_expired is True
        with pytest.raises(PermissionDeniedError):
            services.restore(instance=trashed, user=org.owner)


def test_a_deleted_record_never_blocks_recreating_it(org: Any) -> None:
    first = Record.objects.create(name="Acme", owner=org.owner)
    services.soft_delete(instance=first, user=org.owner)

    second = Record.objects.create(name="Acme", owner=org.owner)

    assert Record.objects.get(name="Acme") == second
    with pytest.raises(ApplicationError, match="takes this one's place"):
        services.restore(instance=Record.all_objects.get(pk=first.pk), user=org.owner)


def test_purge_is_admin_only_and_audited(org: Any) -> None:
    record = Record.objects.create(name="Acme", owner=org.owner, credit_limit=10)
    services.soft_delete(instance=record, user=org.owner)
    trashed = Record.all_objects.get(pk=record.pk)

    with pytest.raises(PermissionDeniedError):
        services.purge(instance=trashed, user=org.owner)
    services.purge(instance=trashed, user=org.admin)

    assert Record.all_objects.filter(pk=record.pk).exists() is False
    purge = entries(record)[-1]
    assert purge.action == LogEntry.Action.DELETE
    assert purge.actor == org.admin
    assert purge.additional_data["event"] == "purge"
    assert purge.additional_data["values"]["name"] == "Acme"


def test_purge_refuses_live_records(org: Any) -> None:
    record = Record.objects.create(name="Acme", owner=org.owner)

    with pytest.raises(ApplicationError, match="Only records in the trash"):
        services.purge(instance=record, user=org.admin)
    assert Record.objects.filter(pk=record.pk).exists()


def test_audit_list_shows_everything_to_auditors_and_own_actions_to_others(org: Any) -> None:
    from kam.core.audit import acting_as

    with acting_as(org.owner):
        Record.objects.create(name="mine", owner=org.owner)
    with acting_as(org.other):
        Record.objects.create(name="theirs", owner=org.other)

    def reprs(user: Any) -> list[str]:
        records = selectors.audit_list(user=user).filter(content_type__app_label="testapp")
        return sorted(records.values_list("object_repr", flat=True))

    assert reprs(org.auditor) == ["mine", "theirs"]
    assert reprs(org.owner) == ["mine"]
    assert selectors.audit_list(user=org.owner).exclude(actor=org.owner).count() == 0


def test_history_hides_confidential_changes_from_roles_without_permission(org: Any) -> None:
    record = Record.objects.create(name="Acme", owner=org.owner)
    services.versioned_update(
        instance=record,
        expected_version=1,
        changes={"credit_limit": 900, "name": "Acme 2"},
        user=org.owner,
    )

    seen_by_owner = selectors.record_history(user=org.owner, record=record)[0].changes
    seen_by_marketing = selectors.record_history(user=org.marketing, record=record)[0].changes

    assert set(seen_by_owner) == {"credit_limit", "name"}
    assert set(seen_by_marketing) == {"name"}


def test_audit_address_ignores_forwarded_headers_from_untrusted_peers(
    rf: Any, settings: Any
) -> None:
    from kam.core.audit_middleware import client_address

    settings.KAM_TRUSTED_PROXIES = ["10.0.0.5"]
    direct = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="6.6.6.6")
    proxied = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")

    assert client_address(direct) == "203.0.113.9"
    assert client_address(proxied) == "198.51.100.7"
