"""The events pages."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path


def rsvp(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404(token)


urlpatterns: list[URLPattern] = [
    # Public: the invitation's answer, by the delivery's token (no login).
    path("rsvp/<str:token>/", rsvp, name="rsvp"),
]
