"""Audit wiring: django-auditlog records every change; this module names the actor.

Services run their writes inside `acting_as(user)`, so the audit knows who acted whether the
write came from the web, the API (token auth happens after middleware), the CLI or a worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.db.models import Model
from django.db.models.signals import pre_save

_actor: ContextVar[Any] = ContextVar("kam_audit_actor", default=None)


@contextmanager
def acting_as(user: Any) -> Iterator[None]:
    token = _actor.set(user if user is not None and user.is_authenticated else None)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> Any:
    return _actor.get()


def _fill_actor(sender: type[LogEntry], instance: LogEntry, **kwargs: Any) -> None:
    actor = _actor.get()
    if actor is not None and instance.actor_id is None:
        instance.actor = actor
        instance.actor_email = getattr(actor, "email", None) or None


def connect() -> None:
    pre_save.connect(_fill_actor, sender=LogEntry, dispatch_uid="kam-audit-actor")


def register(
    model: type[Model],
    *,
    exclude: tuple[str, ...] = (),
    m2m: tuple[str, ...] = (),
    include: tuple[str, ...] = (),
) -> None:
    """Audit every create, update and delete of `model` (fields old -> new); `include` names
    the only fields to record, where a model carries bookkeeping or reverse relations."""
    # Only the model's own columns: reverse relations are not fields of the record.
    columns = [field.name for field in model._meta.concrete_fields]
    auditlog.register(
        model,
        include_fields=list(include or columns),
        exclude_fields=["updated_at", "version", *exclude],
        m2m_fields=set(m2m),
    )


def log_event(
    *,
    obj: Model,
    action: int,
    changes: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> LogEntry:
    """Record an event that is not a field change (an export, a purge, an access denial)."""
    return LogEntry.objects.log_create(
        obj, action=action, changes=changes or {}, additional_data=data or {}, force_log=True
    )
