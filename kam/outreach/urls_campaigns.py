"""The campaigns pages."""

from __future__ import annotations

from django.urls import URLPattern, path

from kam.outreach import views_campaigns as views

urlpatterns: list[URLPattern] = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/audience/", views.campaign_audience, name="campaign_audience"),
    path("campaigns/<int:pk>/save-audience/", views.audience_save, name="campaign_audience_save"),
    path("campaigns/<int:pk>/preview/", views.campaign_preview, name="campaign_preview"),
    path("campaigns/<int:pk>/launch/", views.campaign_launch, name="campaign_launch"),
    path("campaigns/<int:pk>/cancel/", views.campaign_cancel, name="campaign_cancel"),
    path("campaigns/<int:pk>/delete/", views.campaign_delete, name="campaign_delete"),
    path("campaigns/<int:pk>/letters/", views.campaign_letters, name="campaign_letters"),
    path("campaigns/<int:pk>/report/", views.campaign_report, name="campaign_report"),
    path("campaigns/<int:pk>/deals/", views.campaign_deals, name="campaign_deals"),
]
