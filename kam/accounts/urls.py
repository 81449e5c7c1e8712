from django.urls import path

from kam.accounts import views, views_import, views_merge

app_name = "accounts"
urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("contacts/", views.contact_list, name="contact_list"),
]

# Duplicates review and merge.
urlpatterns += [
    path("accounts/duplicates/", views_merge.duplicates, name="duplicates"),
    path(
        "accounts/<int:survivor>/merge/<int:loser>/",
        views_merge.account_merge,
        name="account_merge",
    ),
    path(
        "contacts/<int:survivor>/merge/<int:loser>/",
        views_merge.contact_merge,
        name="contact_merge",
    ),
]

# Editing, bulk actions and saved views of the account list.
urlpatterns += [
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("accounts/bulk/", views.account_bulk, name="account_bulk"),
    path("accounts/views/", views.saved_filter_save, name="saved_filter_save"),
    path("accounts/views/<int:pk>/delete/", views.saved_filter_delete, name="saved_filter_delete"),
]

# Importing files of accounts and contacts.
urlpatterns += [
    path("accounts/import/", views_import.import_start, name="import_start"),
    path("accounts/import/<int:pk>/", views_import.import_job, name="import_job"),
    path("accounts/import/<int:pk>/run/", views_import.import_run, name="import_run"),
    path("accounts/import/<int:pk>/errors.csv", views_import.import_errors, name="import_errors"),
]

# The lists as files, filtered as on screen.
urlpatterns += [
    path("<str:target>/export/", views.list_export, name="list_export"),
]
