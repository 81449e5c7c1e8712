"""Pages reached without signing in, by an unguessable token only (unsubscribe, tracking)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
