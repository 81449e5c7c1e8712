"""Fetch one event or guest and authorise it: missing and invisible both answer 404."""

from __future__ import annotations

from typing import Any

from kam.core.access import Action, get_for
from kam.core.errors import NotFoundError
from kam.outreach.models import Event, EventGuest


def access_event(*, user: Any, event_id: Any, action: Action = "view") -> Event:
    queryset = Event.objects.select_related("owner")
    event: Event = get_for(user, queryset, event_id, action)
    return event


def access_guest(*, user: Any, event: Event, guest_id: Any, action: Action = "view") -> EventGuest:
    """A guest of `event` (already authorised); a guest of another event is not found."""
    queryset = EventGuest.objects.filter(event=event).select_related("event", "contact", "account")
    guest: EventGuest = get_for(user, queryset, guest_id, action)
    if guest.event.deleted_at is not None:
        raise NotFoundError()
    return guest
