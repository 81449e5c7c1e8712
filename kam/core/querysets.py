"""Query vocabulary shared by every business model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from kam.core.access import Action

_M = TypeVar("_M", bound=models.Model)


class KamQuerySet(models.QuerySet[_M]):
    def visible_to(
        self, user: AbstractBaseUser | AnonymousUser, action: Action = "view"
    ) -> KamQuerySet[_M]:
        """Only the rows `user` may see (or change, delete): the one rule of `kam.core.access`."""
        from kam.core.access import visible_q

        return self.filter(visible_q(user, self.model, action))

    def live(self) -> KamQuerySet[_M]:
        return self.filter(deleted_at__isnull=True)

    def in_trash(self) -> KamQuerySet[_M]:
        return self.filter(deleted_at__isnull=False)


class LiveManager(models.Manager.from_queryset(KamQuerySet)):  # type: ignore[misc]
    """The default manager of soft-deletable models: rows in the trash do not exist for it."""

    def get_queryset(self) -> KamQuerySet[Any]:
        return super().get_queryset().filter(deleted_at__isnull=True)  # type: ignore[no-any-return]
