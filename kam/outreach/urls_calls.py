"""The calls pages."""

from __future__ import annotations

from django.urls import URLPattern, path

from kam.outreach import views_calls

urlpatterns: list[URLPattern] = [
    path("calls/", views_calls.calls_page, name="call_list"),
    path("calls/live/", views_calls.calls_live, name="calls_live"),
    path("calls/<int:pk>/dismiss/", views_calls.call_dismiss_view, name="call_dismiss"),
]
