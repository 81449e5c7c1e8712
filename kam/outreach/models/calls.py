"""Phone calls reported by the telephony provider, and the lines that tell whom a call rings."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.core.access import AccessSpec
from kam.core.models import TimeStampedModel, VersionedModel
from kam.outreach import choices


class TelephonyLine(VersionedModel):
    """A phone number (E.164) or an internal extension that rings one user: how an incoming
    call's `to` finds the person being called. Managed by admins (Django admin and the API)."""

    number = models.CharField(
        _("number or extension"),
        max_length=32,
        unique=True,
        help_text=_("E.164 (+4930123456) or an internal extension of up to 8 digits."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="telephony_lines",
    )
    label = models.CharField(_("label"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    access: ClassVar[AccessSpec] = AccessSpec(owner="user")

    class Meta:
        ordering = ["number"]
        verbose_name = _("telephony line")

    def __str__(self) -> str:
        return f"{self.number} → {self.user}"


class Call(TimeStampedModel):
    """One phone call as the telephony provider reported it, matched to the client's contact
    and account by number and to our user by line. Its events (ringing, answered, ended,
    missed) update the one row; the call activity is logged once, when the call is over."""

    # Provider's call id, or a digest of from + to + start: the same call posted twice is one row.
    key = models.CharField(max_length=128, unique=True)
    provider_call_id = models.CharField(_("provider's call id"), max_length=100, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=choices.CallDirection.choices
    )
    state = models.CharField(_("state"), max_length=8, choices=choices.CallState.choices)
    # E.164 where the number could be read; an extension's digits; "" for a withheld number.
    from_number = models.CharField(_("from"), max_length=32, blank=True)
    to_number = models.CharField(_("to"), max_length=32)
    started_at = models.DateTimeField(_("started"))
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    recording_url = models.URLField(_("recording"), max_length=1000, blank=True)
    # Our side of the call: the person called (incoming) or calling (outgoing).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="telephony_calls",
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="telephony_calls",
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="telephony_calls",
    )
    activity = models.OneToOneField(
        "activities.Activity",
        verbose_name=_("activity"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="telephony_call",
    )
    # The person called closed the caller card.
    dismissed_at = models.DateTimeField(null=True, blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(via="account", owner="user")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("phone call")
        indexes = [
            # The caller card's poll: a user's incoming calls still ringing or in progress.
            models.Index(
                fields=["user", "-started_at"],
                name="outreach_call_live_idx",
                condition=models.Q(
                    state__in=["ringing", "answered"],
                    direction="inbound",
                    dismissed_at__isnull=True,
                ),
            ),
            models.Index(fields=["account", "-started_at"], name="outreach_call_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_number or '?'} → {self.to_number} ({self.started_at:%Y-%m-%d %H:%M})"

    @property
    def client_number(self) -> str:
        """The number on the client's side of the call."""
        inbound = self.direction == choices.CallDirection.INBOUND
        return self.from_number if inbound else self.to_number
