"""Request types for views: the signed-in user and django-htmx's details."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails


class KamRequest(HttpRequest):
    """What views behind `login_required` receive (for type checking only)."""

    user: Any
    htmx: HtmxDetails
