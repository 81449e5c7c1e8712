from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kam.core import registry


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the base layout needs on every page: the navigation for this user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"kam_nav": registry.nav_items(user)}
