"""Abstract bases for every business model: timestamps, optimistic locking, soft delete.

Core owns no business tables (STYLE.md section 1); apps build theirs on these bases.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.core.access import AccessSpec
from kam.core.querysets import KamQuerySet, LiveManager


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """A record edited by people: every save of an existing row increments `version`.

    Services compare the version the editor read with the locked row's (`core.services`), so a
    stale edit is refused with a conflict instead of silently overwriting a newer one.
    """

    version = models.PositiveIntegerField(default=1, editable=False)

    access: ClassVar[AccessSpec] = AccessSpec()
    # Fields whose saves are bookkeeping, not edits: they do not make an open form stale.
    unversioned_fields: ClassVar[frozenset[str]] = frozenset()

    objects: ClassVar[Any] = KamQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        bookkeeping = update_fields is not None and set(update_fields) <= self.unversioned_fields
        if not self._state.adding and not bookkeeping:
            self.version += 1
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version", "updated_at"}
        super().save(*args, **kwargs)


class SoftDeleteModel(VersionedModel):
    """A business record that goes to the trash when deleted and can be restored from it.

    `objects` hides the trash; `all_objects` sees it. Unique constraints of subclasses should use
    `live_unique()` so a record in the trash never blocks creating its replacement.
    """

    deleted_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects: ClassVar[Any] = LiveManager()
    all_objects: ClassVar[Any] = KamQuerySet.as_manager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class LiveUniqueConstraint(models.UniqueConstraint):
    """Unique among the rows not in the trash; a violation names its first field, like
    Django's own unique errors, so forms and the API can say which field is taken."""

    def validate(self, model: Any, instance: Any, exclude: Any = None, using: Any = None) -> None:
        try:
            if using is None:
                super().validate(model, instance, exclude=exclude)
            else:
                super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError:
            field = model._meta.get_field(self.fields[0])
            message = _("A live %(model)s with this %(field)s already exists.") % {
                "model": model._meta.verbose_name,
                "field": field.verbose_name,
            }
            raise ValidationError({self.fields[0]: [message]}, code="unique") from None


def live_unique(*fields: str, name: str) -> LiveUniqueConstraint:
    """A unique constraint over the rows not in the trash."""
    return LiveUniqueConstraint(
        fields=list(fields), condition=models.Q(deleted_at__isnull=True), name=name
    )
