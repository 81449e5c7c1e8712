from django.urls import path, re_path

from kam.activities import views

app_name = "activities"
urlpatterns = [
    path("agenda/", views.agenda, name="agenda"),
    path("tasks/", views.task_list, name="task_list"),
    path("cadence/", views.cadence, name="cadence"),
    path("activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    # Only the transitions themselves: a catch-all would swallow every later activities/<id>/ page.
    re_path(
        r"^activities/(?P<pk>[0-9]+)/(?P<action>complete|cancel|reopen|delete)/$",
        views.activity_transition,
        name="activity_transition",
    ),
    path("activities/panel/account/<int:pk>/", views.account_panel, name="account_panel"),
    path("activities/panel/deal/<int:pk>/", views.deal_panel, name="deal_panel"),
]
