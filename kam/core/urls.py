from django.urls import path

from kam.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/palette/", views.search_palette, name="search_palette"),
    path("audit/", views.audit_list, name="audit_list"),
    path("trash/", views.trash, name="trash"),
    path("trash/<str:model_label>/<str:pk>/restore/", views.trash_restore, name="trash_restore"),
    path("trash/<str:model_label>/<str:pk>/purge/", views.trash_purge, name="trash_purge"),
]
