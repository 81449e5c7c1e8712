"""Pages reached without signing in, by an unguessable token only (unsubscribe, tracking)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kam.outreach import views_public

urlpatterns: list[URLPattern] = [
    path("u/<str:token>/", views_public.unsubscribe, name="unsubscribe"),
    path("o/<str:token>.gif", views_public.opened, name="open"),
    path("c/<str:token>/", views_public.clicked, name="click"),
]
