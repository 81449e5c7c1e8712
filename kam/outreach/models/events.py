"""Exhibitions, fairs, presentations: who was invited, who came, which leads came of it."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.core.access import AccessSpec
from kam.core.models import SoftDeleteModel, TimeStampedModel
from kam.core.roles import Role
from kam.outreach import choices


class Event(SoftDeleteModel):
    """An exhibition, fair, presentation, webinar or product launch we take part in."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=choices.EventKind.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    budget = models.DecimalField(
        _("budget"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="events"
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="event_duties", verbose_name=_("staff")
    )
    # A cancelled event stays on record (its invitations were sent); RSVP links then say so.
    is_cancelled = models.BooleanField(_("cancelled"), default=False)

    # Owner and staff work the event; marketing reads every event (it plans the calendar).
    access: ClassVar[AccessSpec] = AccessSpec(
        owner="owner", members="staff", readable_by=frozenset({Role.MARKETING})
    )

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gte=models.F("starts_at")),
                name="outreach_event_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(budget__gte=0), name="outreach_event_budget_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["starts_at"], name="outreach_event_starts_idx")]

    def __str__(self) -> str:
        return self.name


class EventGuest(TimeStampedModel):
    """A contact invited to (or walking into) an event, with his answer and his check-in."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="guests")
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="event_guests"
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="event_guests"
    )
    status = models.CharField(
        max_length=12, choices=choices.GuestStatus.choices, default=choices.GuestStatus.INVITED
    )
    # The RSVP link carries it; random and unguessable.
    token = models.CharField(max_length=64, unique=True)
    delivery = models.ForeignKey(
        "outreach.Delivery", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    access: ClassVar[AccessSpec] = AccessSpec(via="event")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "contact"], name="outreach_guest_once")
        ]
        indexes = [
            models.Index(fields=["event", "status"], name="outreach_guest_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.contact_id}"


class EventLead(TimeStampedModel):
    """A lead captured at an event: the account, contact and deal it became."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="leads")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="event_leads"
    )
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deal = models.ForeignKey(
        "sales.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="event_leads"
    )
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(via="event")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.account_id}"
