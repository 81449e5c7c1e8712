"""Reads that every app shares: the trash, the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from auditlog.models import LogEntry
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet
from django.utils import timezone

from kam.core import access
from kam.core.models import SoftDeleteModel


def soft_delete_models() -> list[type[SoftDeleteModel]]:
    return [m for m in apps.get_models() if issubclass(m, SoftDeleteModel)]


@dataclass(frozen=True)
class TrashItem:
    record: SoftDeleteModel
    model_label: str
    kind: str
    deleted_at: datetime
    restorable_until: datetime

    @property
    def is_expired(self) -> bool:
        return self.restorable_until < timezone.now()


def trash_list(*, user: Any, limit_per_model: int = 200) -> list[TrashItem]:
    """What `user` may see in the trash, newest first: one query per soft-deletable model."""
    if not access.is_active_user(user):
        return []
    retention = timedelta(days=settings.KAM_TRASH_RETENTION_DAYS)
    items: list[TrashItem] = []
    for model in soft_delete_models():
        action: access.Action = "view" if access.can_administer(user) else "delete"
        rows = (
            model.all_objects.in_trash()
            .filter(access.visible_q(user, model, action))
            .select_related("deleted_by")
            .order_by("-deleted_at")[:limit_per_model]
        )
        for row in rows:
            deleted_at: datetime = row.deleted_at  # type: ignore[assignment]  # in_trash()
            items.append(
                TrashItem(
                    record=row,
                    model_label=model._meta.label_lower,
                    kind=str(model._meta.verbose_name),
                    deleted_at=deleted_at,
                    restorable_until=deleted_at + retention,
                )
            )
    return sorted(items, key=lambda item: item.deleted_at, reverse=True)


def trash_get(*, user: Any, model_label: str, pk: Any) -> SoftDeleteModel:
    """One record in the trash that `user` may act on; anything else is NotFound."""
    from kam.core.errors import NotFoundError

    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        raise NotFoundError() from None
    if not issubclass(model, SoftDeleteModel):
        raise NotFoundError()
    action: access.Action = "view" if access.can_administer(user) else "delete"
    try:
        return (
            model.all_objects.in_trash()
            .filter(  # type: ignore[no-any-return]
                access.visible_q(user, model, action)
            )
            .get(pk=pk)
        )
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


def audit_list(*, user: Any) -> QuerySet[LogEntry]:
    """The audit trail: all of it for those who see everything, otherwise one's own actions."""
    entries = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-pk")
    if not access.is_active_user(user):
        return entries.none()
    if access.sees_all(user):
        return entries
    return entries.filter(actor=user)


def record_history(*, user: Any, record: Model, limit: int = 100) -> list[LogEntry]:
    """The audit entries of one record. The caller has already checked `user` may see it."""
    content_type = ContentType.objects.get_for_model(type(record))
    entries = (
        LogEntry.objects.filter(content_type=content_type, object_pk=str(record.pk))
        .select_related("actor")
        .order_by("-timestamp", "-pk")[:limit]
    )
    hidden = set(access.hidden_fields(user, type(record)))
    history = list(entries)
    for entry in history:
        if hidden and isinstance(entry.changes, dict):
            entry.changes = {k: v for k, v in entry.changes.items() if k not in hidden}
    return history
