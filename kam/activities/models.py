"""Interactions with clients (calls, meetings, e-mails...), tasks with reminders, the calendar.

One table holds every kind of activity: the account timeline reads one index whatever the kinds,
and a call planned for tomorrow is the same row as the call logged when it happened.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.accounts.choices import Tier
from kam.activities import choices
from kam.core.access import AccessSpec
from kam.core.models import SoftDeleteModel, VersionedModel


class Activity(SoftDeleteModel):
    """A call, meeting, e-mail, chat, fax, letter, note, presentation or task about an account."""

    kind = models.CharField(_("type"), max_length=12, choices=choices.Kind.choices)
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="activities",
    )
    contacts = models.ManyToManyField(
        "accounts.Contact", verbose_name=_("contacts"), blank=True, related_name="activities"
    )
    deal = models.ForeignKey(
        "sales.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=choices.Status.choices, default=choices.Status.DONE
    )
    # When it happened or starts (a meeting's start, a call's time); a task's creation or due time.
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_activities",
    )
    # Calls
    direction = models.CharField(
        _("direction"), max_length=8, choices=choices.Direction.choices, blank=True
    )
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=255, blank=True)
    # Meetings and presentations
    location = models.CharField(_("place"), max_length=255, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our participants"),
        blank=True,
        related_name="meetings",
    )
    # Tasks (and reminders on anything planned)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    priority = models.CharField(
        _("priority"),
        max_length=6,
        choices=choices.Priority.choices,
        default=choices.Priority.NORMAL,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_activities",
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the "task overdue" notice went out (once per due date; a new due date re-arms it).
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    access: ClassVar[AccessSpec] = AccessSpec(via="account", owner="owner", assignee="assignee")
    unversioned_fields: ClassVar[frozenset[str]] = frozenset({"reminded_at", "overdue_notified_at"})

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            # The account timeline: newest first, keyset-paginated, live rows only.
            models.Index(
                fields=["account", "-occurred_at", "-id"],
                name="activity_timeline_idx",
                condition=models.Q(deleted_at__isnull=True),
            ),
            # The activity list's order across accounts (head of sales, auditors, big teams).
            models.Index(
                fields=["-occurred_at", "-id"],
                name="activity_list_idx",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(fields=["deal", "-occurred_at"], name="activity_deal_idx"),
            models.Index(fields=["assignee", "status", "due_at"], name="activity_assignee_due_idx"),
            models.Index(fields=["owner", "status", "occurred_at"], name="activity_owner_idx"),
            models.Index(
                fields=["remind_at"],
                name="activity_reminder_idx",
                condition=models.Q(reminded_at__isnull=True, remind_at__isnull=False),
            ),
            # Planned tasks not yet announced as overdue: the overdue sweep reads only these.
            models.Index(
                fields=["due_at"],
                name="activity_overdue_idx",
                condition=models.Q(kind="task", status="planned", overdue_notified_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_task(self) -> bool:
        return self.kind == choices.Kind.TASK

    @property
    def is_planned(self) -> bool:
        return self.status == choices.Status.PLANNED

    @property
    def is_overdue(self) -> bool:
        return (
            self.is_task
            and self.is_planned
            and self.due_at is not None
            and self.due_at < timezone.now()
        )

    @property
    def is_client_interaction(self) -> bool:
        """A contact with the client (not a note to self or a task): counts for the cadence."""
        return self.kind in choices.CLIENT_INTERACTIONS


class CadenceRule(VersionedModel):
    """The longest an account of a tier may go without a contact (admin-editable)."""

    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, unique=True)
    max_days_without_contact = models.PositiveSmallIntegerField(
        _("maximum days without contact"),
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )

    class Meta:
        ordering = ["max_days_without_contact", "tier"]
        verbose_name = _("contact cadence")
        verbose_name_plural = _("contact cadences")

    def __str__(self) -> str:
        return f"{self.get_tier_display()}: {self.max_days_without_contact}"


class AccountContactStats(models.Model):
    """Per account: the last completed client interaction and how many there were.

    Kept up to date by the activity services (recomputed from the account's activities after
    every write that touches them); `contact_stats_rebuild` recomputes every row after bulk loads.
    """

    account = models.OneToOneField(
        "accounts.Account",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="contact_stats",
        verbose_name=_("account"),
    )
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    repeat_contact_count = models.PositiveIntegerField(_("client interactions"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    access: ClassVar[AccessSpec] = AccessSpec(via="account")

    class Meta:
        verbose_name = _("account contact statistics")
        verbose_name_plural = _("account contact statistics")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.repeat_contact_count}"
