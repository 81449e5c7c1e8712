"""Write use cases every app shares: versioned update, trash (soft delete, restore, purge)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from kam.core import access
from kam.core.audit import acting_as, log_event
from kam.core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from kam.core.models import SoftDeleteModel, VersionedModel

V = TypeVar("V", bound=VersionedModel)
S = TypeVar("S", bound=SoftDeleteModel)


def field_values(instance: models.Model, names: list[str] | None = None) -> dict[str, Any]:
    """Plain values of a record's concrete fields, for a conflict answer."""
    values: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if names is not None and field.name not in names and field.name != "version":
            continue
        if not field.editable and field.name != "version":
            continue  # derived bookkeeping (search keys...), not something the editor typed
        value = field.value_from_object(instance)
        values[field.attname if field.is_relation else field.name] = value
    return values


@transaction.atomic
def versioned_update(
    *, instance: V, expected_version: int, changes: dict[str, Any], user: Any
) -> V:
    """Apply `changes` if nobody saved the record since the editor read `expected_version`.

    Locks the row; validates the whole record; audits old -> new under `user`. A stale version
    raises ConflictError carrying the current values, and nothing is written.
    """
    model = instance._meta.model
    locked: Any = model._base_manager.select_for_update().get(pk=instance.pk)
    if locked.version != expected_version:
        raise ConflictError(
            extra={"current": field_values(locked, list(changes)), "version": locked.version}
        )
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.full_clean()
    with acting_as(user):
        locked.save()
    return locked


def _retention() -> timedelta:
    return timedelta(days=settings.KAM_TRASH_RETENTION_DAYS)


@transaction.atomic
def soft_delete(*, instance: S, user: Any) -> S:
    """Move a record to the trash (audited as a change of `deleted_at`)."""
    if not access.can(user, instance, "delete"):
        raise NotFoundError() if not access.can(user, instance, "view") else PermissionDeniedError()
    locked: Any = instance._meta.model._base_manager.select_for_update().get(pk=instance.pk)
    if locked.deleted_at is not None:
        return locked
    locked.deleted_at = timezone.now()
    locked.deleted_by = user if user.is_authenticated else None
    with acting_as(user):
        locked.save(update_fields=["deleted_at", "deleted_by"])
    return locked


def can_restore(user: Any, instance: SoftDeleteModel) -> bool:
    """Its owner or an admin may restore a record within the retention period."""
    if instance.deleted_at is None or instance.deleted_at < timezone.now() - _retention():
        return False
    if access.can_administer(user):
        return True
    spec = getattr(instance, "access", access.AccessSpec())
    # Records with an owner (their own, or their parent's through `via`) go back to him.
    return bool(spec.owner or spec.via) and access.can(user, instance, "delete")


@transaction.atomic
def restore(*, instance: S, user: Any) -> S:
    if not can_restore(user, instance):
        raise PermissionDeniedError(
            "Only its owner or an administrator can restore this record, "
            f"within {settings.KAM_TRASH_RETENTION_DAYS} days of its deletion."
        )
    locked: Any = instance._meta.model._base_manager.select_for_update().get(pk=instance.pk)
    locked.deleted_at = None
    locked.deleted_by = None
    try:
        locked.validate_constraints()
    except Exception as error:
        raise ApplicationError(
            "A live record now takes this one's place (same unique values); "
            "rename or delete it first."
        ) from error
    with acting_as(user):
        locked.save(update_fields=["deleted_at", "deleted_by"])
    return locked


@transaction.atomic
def purge(*, instance: SoftDeleteModel, user: Any) -> None:
    """Delete a trashed record for good. Admin only; audited (the entry keeps its last values)."""
    if not access.can_administer(user):
        raise PermissionDeniedError("Only an administrator can purge the trash.")
    if instance.deleted_at is None:
        raise ApplicationError("Only records in the trash can be purged.")
    with acting_as(user):
        log_event(
            obj=instance,
            action=LogEntry.Action.DELETE,
            data={"event": "purge", "values": _jsonable(field_values(instance))},
        )
        with disable_auditlog():
            instance.delete()


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value if isinstance(value, int | float | bool | type(None)) else str(value)
        for key, value in values.items()
    }
