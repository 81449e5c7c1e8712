"""The events pages."""

from __future__ import annotations

from django.urls import URLPattern, path

from kam.outreach import views_events as views

urlpatterns: list[URLPattern] = [
    path("events/", views.event_list, name="event_list"),
    path("events/new/", views.event_create, name="event_create"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
    path("events/<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("events/<int:pk>/delete/", views.event_delete, name="event_delete"),
    path("events/<int:pk>/check-in/", views.event_checkin, name="event_checkin"),
    path(
        "events/<int:pk>/guests/<int:guest_pk>/check-in/",
        views.guest_check_in,
        name="guest_check_in",
    ),
    path("events/<int:pk>/walk-in/", views.guest_walk_in, name="guest_walk_in"),
    path("events/<int:pk>/leads/new/", views.lead_capture, name="lead_capture"),
    path("events/<int:pk>/report/", views.event_report, name="event_report"),
    path("accounts/<int:pk>/events-panel/", views.account_panel, name="event_account_panel"),
    # Public: the invitation's answer, by the delivery's token (no login).
    path("rsvp/<str:token>/", views.rsvp, name="rsvp"),
]
