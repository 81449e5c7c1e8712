"""The campaigns endpoints of /api/v1/."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter


def register(router: SimpleRouter) -> None:
    """Add this topic's viewsets to the outreach router."""
    del router
