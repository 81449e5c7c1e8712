"""People and the organisation: users with a role, teams with a lead, departments."""

from __future__ import annotations

import zoneinfo
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.core.access import AccessSpec
from kam.core.models import SoftDeleteModel, TimeStampedModel, VersionedModel, live_unique
from kam.core.roles import Role


def validate_timezone(value: str) -> None:
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Department(SoftDeleteModel):
    """A division of the company (logistics, finance, legal...) that works on clients' records."""

    class Kind(models.TextChoices):
        SALES = "sales", _("Sales")
        LOGISTICS = "logistics", _("Logistics")
        FINANCE = "finance", _("Finance")
        LEGAL = "legal", _("Legal")
        PRODUCTION = "production", _("Production")
        SERVICE = "service", _("Service")
        MARKETING = "marketing", _("Marketing")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    email = models.EmailField(_("e-mail"), blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(public=True)

    class Meta:
        ordering = ["name"]
        constraints = [live_unique("name", name="department_name_unique_live")]
        verbose_name = _("department")

    def __str__(self) -> str:
        return self.name


class Team(SoftDeleteModel):
    """A sales team: a lead who sees and edits the work of its members."""

    name = models.CharField(_("name"), max_length=120)
    lead = models.ForeignKey(
        "users.User",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )

    access: ClassVar[AccessSpec] = AccessSpec(public=True)

    class Meta:
        ordering = ["name"]
        constraints = [live_unique("name", name="team_name_unique_live")]
        verbose_name = _("team")

    def __str__(self) -> str:
        return self.name


class User(VersionedModel, AbstractUser):  # type: ignore[django-manager-missing]
    """A person who signs in. The role decides what he may do; team and department, where."""

    role = models.CharField(
        _("role"), max_length=32, choices=Role.choices, default=Role.ACCOUNT_MANAGER
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, blank=True, default="", validators=[validate_timezone]
    )
    language = models.CharField(_("language"), max_length=8, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    # The private calendar feed's token is `calendar_feed_key + calendar_feed_secret`: the key
    # (not secret) finds the row through a unique index, the secret is then compared in constant
    # time. Both empty: no feed. Never audited (users.wiring lists the audited fields).
    calendar_feed_key = models.CharField(
        max_length=16, unique=True, null=True, blank=True, editable=False
    )
    calendar_feed_secret = models.CharField(max_length=64, blank=True, default="", editable=False)
    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]
    unversioned_fields = frozenset(
        {"last_login", "password", "calendar_feed_key", "calendar_feed_secret"}
    )

    access: ClassVar[AccessSpec] = AccessSpec(public=True)

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return str(self)

    @property
    def calendar_feed_token(self) -> str | None:
        """The secret part of the user's calendar feed address, or None when he has no feed."""
        if not (self.calendar_feed_key and self.calendar_feed_secret):
            return None
        return self.calendar_feed_key + self.calendar_feed_secret

    def calendar_feed_path(self) -> str | None:
        """The feed's path (served by the activities app's calendar), or None without a feed."""
        token = self.calendar_feed_token
        return None if token is None else reverse("calendar:feed", kwargs={"token": token})

    @property
    def is_team_lead(self) -> bool:
        return self.led_teams.filter(deleted_at__isnull=True).exists()


class Notification(TimeStampedModel):
    """Something a user should look at; the badge in the header counts the unread ones."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(owner="recipient")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            )
        ]

    def __str__(self) -> str:
        return self.title
