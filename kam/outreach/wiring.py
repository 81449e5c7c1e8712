"""What the outreach app plugs into core: audit, navigation, panels, timeline sources, search.

Each topic (mail, calls, campaigns, events) keeps its own registrations in its own function.
"""

from __future__ import annotations


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
    """Audit the calls and lines; admins manage telephony lines in the Django admin."""
    from django.contrib import admin
    from django.utils.translation import gettext_lazy

    from kam.core import access, audit, registry
    from kam.outreach.admin_calls import TelephonyLineAdmin
    from kam.outreach.models import Call, TelephonyLine

    audit.register(TelephonyLine)
    audit.register(Call, exclude=("dismissed_at",))
    if not admin.site.is_registered(TelephonyLine):
        admin.site.register(TelephonyLine, TelephonyLineAdmin)
    registry.register_nav(
        registry.NavItem(
            "calls",
            gettext_lazy("Calls"),
            "outreach:call_list",
            "telephone",
            order=905,
            visible=access.is_active_user,
        )
    )


# --- campaigns --------------------------------------------------------------------------------


def _campaigns() -> None:
    pass


# --- events -----------------------------------------------------------------------------------


def _events() -> None:
    pass
