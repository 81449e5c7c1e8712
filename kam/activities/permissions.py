from __future__ import annotations

from typing import Any

from kam.activities.models import Activity
from kam.core.access import Action, get_for


def access_activity(*, user: Any, activity_id: Any, action: Action = "view") -> Activity:
    activity: Activity = get_for(
        user,
        Activity.objects.select_related("account", "owner", "assignee", "deal"),
        activity_id,
        action,
    )
    return activity
