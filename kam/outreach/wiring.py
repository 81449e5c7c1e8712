"""What the outreach app plugs into core: audit, navigation, panels, timeline sources, search.

Each topic (mail, calls, campaigns, events) keeps its own registrations in its own function.
"""

from __future__ import annotations

from typing import Any


def connect() -> None:
    _mail()
    _calls()
    _campaigns()
    _events()


# --- mail -------------------------------------------------------------------------------------


def _mail() -> None:
    pass


# --- calls ------------------------------------------------------------------------------------


def _calls() -> None:
    pass


# --- campaigns --------------------------------------------------------------------------------


def _campaigns() -> None:
    pass


# --- events -----------------------------------------------------------------------------------


def _events() -> None:
    from django.utils.translation import gettext_lazy

    from kam.core import audit, registry
    from kam.outreach.models import Event, EventGuest, EventLead

    audit.register(Event, m2m=("staff",))
    audit.register(EventGuest, exclude=("token",))
    audit.register(EventLead)
    registry.register_search("outreach.events", _events_search)
    registry.register_panel(
        registry.Panel(
            key="outreach.events.account",
            title=gettext_lazy("Events"),
            model="accounts.account",
            url_name="outreach:event_account_panel",
            order=60,
            visible=_signed_in,
        )
    )
    registry.register_nav(
        registry.NavItem(
            "events", gettext_lazy("Events"), "outreach:event_list", "calendar-event", order=45
        )
    )


def _signed_in(user: Any) -> bool:
    from kam.core import access

    return access.is_active_user(user)


def _events_search(user: Any, query: str, limit: int) -> list[Any]:
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from kam.core import registry
    from kam.outreach.models import Event

    if len(query) < 2:
        return []
    events = (
        Event.objects.visible_to(user).filter(name__icontains=query).order_by("-starts_at", "-pk")
    )
    return [
        registry.SearchHit(
            kind=str(_("Event")),
            title=event.name,
            subtitle=f"{event.get_kind_display()} · {event.starts_at:%Y-%m-%d}",
            url=reverse("outreach:event_detail", args=[event.pk]),
            score=0.9 if event.name.lower().startswith(query.lower()) else 0.5,
        )
        for event in events[:limit]
    ]
