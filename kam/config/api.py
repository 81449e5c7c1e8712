"""Mounts every app's API router under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("kam.core.api.urls")),
    path("", include("kam.users.api.urls")),
    path("", include("kam.accounts.api.urls")),
]
