"""What the outreach app plugs into core: audit, navigation, panels, timeline sources, search.

Each topic (mail, calls, campaigns, events) keeps its own registrations in its own function.
"""

from __future__ import annotations


def connect() -> None:
    _mail()
    _calls()
    _campaigns()
    _events()
    _delivery()


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
    pass


# --- delivery ---------------------------------------------------------------------------------


def _delivery() -> None:
    from kam.core import audit
    from kam.outreach.models import ChatProvider

    # Where chat and SMS messages go is a setting worth a trail: who pointed it where, when.
    audit.register(ChatProvider)
