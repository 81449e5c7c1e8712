"""Fetch one outreach record and authorise it: missing and invisible both answer 404.

Each topic keeps its own section (or its own `permissions_<topic>.py`).
"""

from __future__ import annotations

from typing import Any

from kam.core.access import Action, get_for
from kam.outreach.models import Mailbox, Message

# --- mail -------------------------------------------------------------------------------------


def access_message(*, user: Any, message_id: Any, action: Action = "view") -> Message:
    queryset = Message.objects.select_related(
        "contact", "account", "deal", "mailbox", "owner", "activity"
    )
    message: Message = get_for(user, queryset, message_id, action)
    return message


def access_mailbox(*, user: Any, mailbox_id: Any, action: Action = "view") -> Mailbox:
    mailbox: Mailbox = get_for(user, Mailbox.objects.select_related("owner"), mailbox_id, action)
    return mailbox
